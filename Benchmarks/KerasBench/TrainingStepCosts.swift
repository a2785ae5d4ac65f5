import Keras

/// Per-step costs of every optimizer and every loss on fixed small problems, for `make bench`.
///
/// Optimizer figures time `optimizer.apply` alone on the weights of the Otto MLP of the seeds
/// (`Dense(93→100) → Dense(100→9)`, 10,309 weights) with fixed gradients; loss figures time the
/// value and its gradient with respect to the predictions (`[128, 9]`) on a tape. Each figure
/// also reports the tensor buffers taken from the system per step once warm (0 when the pool
/// serves everything).
///
/// ```swift
/// for m in try TrainingStepCosts.optimizerSteps() { print(m.name, m.secondsPerStep) }
/// ```
public enum TrainingStepCosts {
    /// One measured figure.
    public struct Measurement: Sendable {
        /// What was timed (`adam`, `sgd_momentum_nesterov`, `categorical_crossentropy`).
        public let name: String
        /// Best-of-repeats seconds per step.
        public let secondsPerStep: Double
        /// Tensor buffers the pool could not serve, per warm step.
        public let poolMissesPerStep: Double
        /// What the figure covers.
        public let note: String
    }

    /// Weight shapes of the fixed model: the Otto MLP of seeds/004.
    public static let modelShapes: [[Int]] = [[93, 100], [100], [100, 9], [9]]

    /// The optimizers and options timed by ``optimizerSteps(shapes:steps:repeats:)``.
    public static func optimizerCases() -> [(name: String, make: () throws -> Optimizer)] {
        [
            ("sgd", { try SGD() }),
            ("sgd_momentum_nesterov", { try SGD(momentum: 0.9, nesterov: true) }),
            ("rmsprop", { try RMSprop() }),
            ("adagrad", { try Adagrad() }),
            ("adadelta", { try Adadelta() }),
            ("adam", { try Adam() }),
            ("adam_amsgrad", { try Adam(amsgrad: true) }),
            ("adamax", { try Adamax() }),
            ("nadam", { try Nadam() }),
            ("adamw", { try AdamW() }),
            ("lion", { try Lion() }),
            ("adafactor", { try Adafactor() }),
            ("ftrl", { try Ftrl() }),
            ("lamb", { try Lamb() }),
            ("muon", { try Muon() }),
            ("schedule_free_adamw", { try ScheduleFreeAdamW() }),
            ("loss_scale_adam", { try LossScaleOptimizer(try Adam()) }),
            ("multi_adam_sgd", { try MultiOptimizer(try OptimizerMap(defaultOptimizer: try Adam(), optimizerMap: [("w0", try SGD())])) }),
            ("adam_clipnorm", { try Adam(options: OptimizerArguments(clipnorm: 1)) }),
            ("adam_global_clipnorm", { try Adam(options: OptimizerArguments(globalClipnorm: 1)) }),
            ("adam_ema", { try Adam(options: OptimizerArguments(useEMA: true)) }),
            ("sgd_exponential_decay", {
                try SGD(learningRate: try ExponentialDecay(initialLearningRate: 0.01, decaySteps: 100, decayRate: 0.9))
            }),
        ]
    }

    /// Seconds per `apply` of each optimizer in ``optimizerCases()`` on weights of `shapes`.
    public static func optimizerSteps(shapes: [[Int]] = modelShapes, steps: Int = 500,
                                      repeats: Int = 3) throws -> [Measurement] {
        guard steps > 0, repeats > 0 else {
            throw KerasError.invalidArgument("TrainingStepCosts.optimizerSteps(steps: \(steps), repeats: \(repeats)): both must be positive")
        }
        let rng = RandomGenerator(seed: 11)
        let weights = shapes.enumerated().map { i, s in
            Variable(Tensor(shape: s, repeating: 0.1), name: "w\(i)")
        }
        let gradients = try shapes.map { s -> Tensor in
            let n = s.reduce(1, *)
            return try Tensor(shape: s, scalars: (0..<n).map { _ in rng.uniform(-0.01, 0.01) })
        }
        let count = shapes.reduce(0) { $0 + $1.reduce(1, *) }
        return try optimizerCases().map { name, make in
            let opt = try make()
            try opt.apply(gradients, to: weights)
            let (seconds, misses) = try time(steps: steps, repeats: repeats) { try opt.apply(gradients, to: weights) }
            return Measurement(name: "optimizer_step_\(name)", secondsPerStep: seconds, poolMissesPerStep: misses,
                               note: "apply() on \(count) weights")
        }
    }

    /// The losses timed by ``lossSteps(batch:classes:steps:repeats:)``: Keras name and the kind
    /// of targets they take.
    public static let lossCases: [(name: String, targets: String)] = [
        ("mean_squared_error", "real"), ("mean_absolute_error", "real"),
        ("mean_absolute_percentage_error", "real"), ("mean_squared_logarithmic_error", "positive"),
        ("huber", "real"), ("log_cosh", "real"), ("cosine_similarity", "real"),
        ("hinge", "sign"), ("squared_hinge", "sign"), ("categorical_hinge", "onehot"),
        ("kl_divergence", "probability"), ("poisson", "positive"),
        ("binary_crossentropy", "binary"), ("categorical_crossentropy", "onehot"),
        ("sparse_categorical_crossentropy", "label"),
        ("binary_focal_crossentropy", "binary"), ("categorical_focal_crossentropy", "onehot"),
        ("categorical_generalized_cross_entropy", "label"), ("dice", "binary"), ("tversky", "binary"),
        ("circle", "label"),
    ]

    /// Seconds per loss value + gradient for each loss in ``lossCases`` on `[batch, classes]`
    /// predictions, plus categorical cross-entropy through the fused softmax path and CTC on
    /// `[batch, 16, classes]` logits with labels of 4.
    public static func lossSteps(batch: Int = 128, classes: Int = 9, steps: Int = 500,
                                 repeats: Int = 3) throws -> [Measurement] {
        guard batch > 0, classes > 1, steps > 0, repeats > 0 else {
            throw KerasError.invalidArgument("TrainingStepCosts.lossSteps(batch: \(batch), classes: \(classes), steps: \(steps), repeats: \(repeats)): batch, steps and repeats must be positive, classes > 1")
        }
        let rng = RandomGenerator(seed: 12)
        let shape = [batch, classes]
        func values(_ f: (Int) -> Float) throws -> Tensor {
            try Tensor(shape: shape, scalars: (0..<(batch * classes)).map(f))
        }
        let labels = (0..<batch).map { _ in Int(rng.uniform(0, Float(classes))) % classes }
        let logits = try values { _ in rng.uniform(-2, 2) }
        let probabilities = try GradientTape.withoutRecording { try Ops.softmax(logits) }
        var out: [Measurement] = []
        for (name, kind) in lossCases {
            let loss = try Loss.named(name)
            let yTrue: Tensor
            var yPred = try values { _ in rng.uniform(0.1, 2) }
            switch kind {
            case "sign": yTrue = try values { _ in rng.uniform(0, 1) < 0.5 ? -1 : 1 }
            case "binary": yTrue = try values { _ in rng.uniform(0, 1) < 0.5 ? 0 : 1 }; yPred = probabilities
            case "onehot": yTrue = try values { labels[$0 / classes] == $0 % classes ? 1 : 0 }; yPred = probabilities
            case "label": yTrue = Tensor(labels.map(Float.init)); yPred = probabilities
            case "probability": yTrue = probabilities; yPred = try Ops.softmax(try values { _ in rng.uniform(-1, 1) })
            default: yTrue = try values { _ in rng.uniform(0.1, 2) }
            }
            let (seconds, misses) = try timeGradient(of: yPred, steps: steps, repeats: repeats) { try loss(yTrue, $0) }
            out.append(Measurement(name: "loss_step_\(name)", secondsPerStep: seconds, poolMissesPerStep: misses,
                                   note: "value + gradient, [\(batch), \(classes)] predictions"))
        }
        let cce = CategoricalCrossentropy()
        let oneHot = try values { labels[$0 / classes] == $0 % classes ? 1 : 0 }
        let (seconds, misses) = try timeGradient(of: logits, steps: steps, repeats: repeats) { try cce(oneHot, try Ops.softmax($0)) }
        out.append(Measurement(name: "loss_step_softmax_categorical_crossentropy", secondsPerStep: seconds,
                               poolMissesPerStep: misses, note: "softmax + cross-entropy, fused gradient to the logits"))
        out.append(try ctcStep(batch: batch, classes: classes, steps: steps, repeats: repeats, rng: rng))
        return out
    }

    /// CTC's value + gradient: labels of 4 classes (not the blank 0) against 16 time steps.
    static func ctcStep(batch: Int, classes: Int, steps: Int, repeats: Int, rng: RandomGenerator) throws -> Measurement {
        let frames = 16, labelLength = 4
        let labels = try Tensor(shape: [batch, labelLength],
                                scalars: (0..<(batch * labelLength)).map { _ in Float(1 + Int(rng.uniform(0, Float(classes - 1))) % (classes - 1)) })
        let logits = try Tensor(shape: [batch, frames, classes], scalars: (0..<(batch * frames * classes)).map { _ in rng.uniform(-2, 2) })
        let loss = CTC()
        let (seconds, misses) = try timeGradient(of: logits, steps: steps, repeats: repeats) { try loss(labels, $0) }
        return Measurement(name: "loss_step_ctc", secondsPerStep: seconds, poolMissesPerStep: misses,
                           note: "value + gradient, [\(batch), \(frames), \(classes)] logits, labels of \(labelLength)")
    }

    /// Best-of-`repeats` seconds and pool misses per value + gradient of `value(x)` with respect to `x`.
    static func timeGradient(of x: Tensor, steps: Int, repeats: Int,
                             _ value: @escaping (Tensor) throws -> Tensor) throws -> (Double, Double) {
        let tape = GradientTape()
        return try time(steps: steps, repeats: repeats) {
            tape.reset()
            let (watched, result) = try tape.record { () throws -> (Tensor, Tensor) in
                let w = tape.watch(x)
                return (w, try value(w))
            }
            _ = try tape.gradient(of: result, with: [watched])
        }
    }

    /// Best-of-`repeats` seconds per call of `body` and pool misses per call, after one warm call.
    static func time(steps: Int, repeats: Int, _ body: () throws -> Void) throws -> (Double, Double) {
        try body()
        let pool = BufferPool.current
        var best = Double.infinity
        var misses = 0
        for _ in 0..<repeats {
            let before = pool.misses
            let t0 = monotonicSeconds()
            for _ in 0..<steps { try body() }
            best = Swift.min(best, (monotonicSeconds() - t0) / Double(steps))
            misses = pool.misses - before
        }
        return (best, Double(misses) / Double(steps))
    }
}
