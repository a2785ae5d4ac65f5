extension Model {
    // MARK: Compile

    /// Configures training. Keras: `model.compile(optimizer="rmsprop", loss=..., metrics=[...])`.
    /// `weightedMetrics` are updated with the sample weights (Keras's `weighted_metrics`).
    public func compile(optimizer: OptimizerSpec = "rmsprop", loss: LossSpec, metrics: [MetricSpec] = [],
                        lossWeights: [Float]? = nil, weightedMetrics: [MetricSpec] = []) throws {
        try compile(optimizer: optimizer, losses: [loss], metrics: [metrics], lossWeights: lossWeights,
                    weightedMetrics: weightedMetrics.isEmpty ? [] : [weightedMetrics])
    }

    /// Configures training with optimizer and loss objects:
    /// `model.compile(optimizer: try SGD(learningRate: 0.02, momentum: 0.9), loss: MeanSquaredError())`.
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [MetricSpec] = [], lossWeights: [Float]? = nil) throws {
        try compile(optimizer: .instance(optimizer), losses: [.instance(loss)], metrics: [metrics], lossWeights: lossWeights)
    }

    /// Configures training with an optimizer object and a loss name.
    public func compile(optimizer: Optimizer, loss: LossSpec, metrics: [MetricSpec] = [], lossWeights: [Float]? = nil) throws {
        try compile(optimizer: .instance(optimizer), losses: [loss], metrics: [metrics], lossWeights: lossWeights)
    }

    /// Configures training of a model with several outputs: one loss (and metric list) per output,
    /// or a single one shared by all; a nil loss leaves its output untrained and its target
    /// unread (Keras's `loss=[None, "mse"]`). No loss (Keras's `compile(optimizer)`): the loss is
    /// the sum of the model's `add_loss` terms and regularization penalties, and fit and
    /// evaluate need no targets.
    public func compile(optimizer: OptimizerSpec = "rmsprop", losses: [LossSpec?] = [], metrics: [[MetricSpec]] = [],
                        lossWeights: [Float]? = nil, weightedMetrics: [[MetricSpec]] = []) throws {
        let opt = try optimizer.resolve()
        let resolved = try losses.map { try $0?.resolve() }
        if let lossWeights, lossWeights.contains(where: { !$0.isFinite }) {
            throw KerasError.invalidArgument("compile: loss_weights must be finite numbers, got \(lossWeights)")
        }
        compiled = CompiledState(optimizer: opt, losses: resolved, lossWeights: lossWeights ?? [],
                                 metricSpecs: metrics, specs: (optimizer, losses, metrics, lossWeights))
        compiled?.weightedMetricSpecs = weightedMetrics
    }

    /// The optimizer set by `compile`.
    public var optimizer: Optimizer? { compiled?.optimizer }
    /// True while `fit` runs (validation inside `fit` is not reported as a separate evaluation).
    public internal(set) var isFitting: Bool {
        get { fittingFlag }
        set { fittingFlag = newValue }
    }

    /// Names of the outputs (their layers' names), used for per-output logs.
    public var outputNames: [String] { outputs.map { $0.layer?.name ?? $0.name } }

    func requireCompiled(_ what: String) throws -> CompiledState {
        guard let compiled else {
            throw KerasError.invalidState("You must call compile() before \(what)")
        }
        return compiled
    }

    /// Per-output losses and metrics for one output count.
    func expand(_ c: CompiledState, outputs count: Int) throws -> (losses: [Loss?], weights: [Float], metrics: [[MetricSpec]]) {
        if c.losses.isEmpty { return ([], [], c.metricSpecs) }   // compiled without a loss
        let losses = c.losses.count == 1 ? Array(repeating: c.losses[0], count: count) : c.losses
        guard losses.count == count else {
            throw KerasError.invalidArgument("compile: \(c.losses.count) losses given for a model with \(count) outputs")
        }
        let weights = c.lossWeights.isEmpty ? Array(repeating: 1, count: count) : c.lossWeights
        guard weights.count == count else {
            throw KerasError.invalidArgument("compile: \(c.lossWeights.count) loss weights given for a model with \(count) outputs")
        }
        return (losses, weights, c.metricSpecs)
    }

    // MARK: Steps

    /// One gradient step on one batch; returns the batch loss. Keras: `train_on_batch`.
    @discardableResult
    public func trainOnBatch(_ x: Tensor, _ y: Tensor, sampleWeight: Tensor? = nil) throws -> Double {
        try trainOnBatch([x], [y], sampleWeight: sampleWeight)
    }

    @discardableResult
    public func trainOnBatch(_ xs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor? = nil) throws -> Double {
        let c = try requireCompiled("training the model")
        try ensureBuilt(for: xs)
        try checkBatch(xs, ys, sampleWeight)
        c.ranSinceCompile = true
        try c.resetMetrics()
        return try trainStep(xs, ys, sampleWeight, c)
    }

    /// One gradient step on one batch whose figures join the running ones of the steps before
    /// (unless `resetMetrics`), as Keras's default `train_step` updates `model.metrics` through
    /// an epoch (Keras's fit resets them at each epoch's start). Returns the figures after the
    /// step in compile order (loss, per-output losses, metrics: fit's batch logs) and the class
    /// values of the metrics that report one per class.
    public func trainStepContinuing(_ xs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor? = nil,
                                    resetMetrics: Bool) throws -> (results: [(String, Double)], perClass: [String: [Double]]) {
        let c = try requireCompiled("training the model")
        try ensureBuilt(for: xs)
        try checkBatch(xs, ys, sampleWeight)
        if resetMetrics { try c.resetMetrics() }
        _ = try trainStep(xs, ys, sampleWeight, c)
        return (try c.orderedResults(), try c.perClassLogs())
    }

    /// The loss of one batch without updating weights. Keras: `test_on_batch`.
    @discardableResult
    public func testOnBatch(_ x: Tensor, _ y: Tensor, sampleWeight: Tensor? = nil) throws -> Double {
        let c = try requireCompiled("evaluating the model")
        try ensureBuilt(for: [x])
        try checkBatch([x], [y], sampleWeight)
        c.ranSinceCompile = true
        try c.resetMetrics()
        return try testStep([x], [y], sampleWeight, c)
    }

    /// Outputs for one batch, no batching or callbacks. Keras: `predict_on_batch`.
    public func predictOnBatch(_ x: Tensor) throws -> Tensor {
        if let s = self as? Sequential, let out = s.predictWithPlan(x) { return out }
        return try GradientTape.withoutRecording { try forward([x], training: false)[0] }
    }

    /// Outputs of every output for one batch.
    public func predictOnBatch(_ xs: [Tensor]) throws -> [Tensor] {
        try GradientTape.withoutRecording { try forward(xs, training: false) }
    }

    func trainStep(_ xs: [Tensor], _ ys: [Tensor], _ sw: Tensor?, _ c: CompiledState) throws -> Double {
        if let plan = stepPlan(xs, ys, sw, c) { return try plan.step(self, xs, ys, c) }
        tape.reset()
        let variables = trainableWeights
        let (total, preds, perOutput, masks) = try tape.record { try computeLoss(xs, ys, sw, c, training: true) }
        try descend(total, tape, variables, c)
        tape.reset()
        let value = Double(total.scalar ?? .nan)
        try updateMetrics(ys, preds, sw, c, total: value, perOutput: perOutput, batch: xs[0].shape[0], masks: masks)
        try updateTracedMetrics(c)
        return value
    }

    /// The optimizer's update of `variables` along the gradients of `total`, recorded on `tape`.
    /// Keras differentiates optimizer.scale_loss(loss) (loss_scale_factor); logs show the loss.
    /// A model without trainable weights (keras.io's ActivityRegularizationLayer alone) trains
    /// nothing, as in Keras: its loss is reported, no gradient taken.
    func descend(_ total: Tensor, _ tape: GradientTape, _ variables: [Variable], _ c: CompiledState) throws {
        guard !variables.isEmpty else { return }
        let scaled = c.optimizer.scalesLoss ? tape.record { c.optimizer.scaleLoss(total) } : total
        let grads = try tape.gradient(of: scaled, with: variables)
        try c.optimizer.apply(grads, to: variables)
    }

    func testStep(_ xs: [Tensor], _ ys: [Tensor], _ sw: Tensor?, _ c: CompiledState) throws -> Double {
        if let plan = stepPlan(xs, ys, sw, c), plan.tests { return try plan.test(self, xs, ys, c) }
        let (total, preds, perOutput, masks) = try GradientTape.withoutRecording {
            try computeLoss(xs, ys, sw, c, training: false)
        }
        let value = Double(total.scalar ?? .nan)
        try updateMetrics(ys, preds, sw, c, total: value, perOutput: perOutput, batch: xs[0].shape[0], masks: masks)
        try updateTracedMetrics(c)
        return value
    }

    /// Forward pass and total loss (weighted per-output losses plus regularization penalties and
    /// `add_loss` values, in a test step too, as Keras's `evaluate` counts them).
    /// An output's mask (from `Masking`, `Embedding(maskZero:)`) weights its loss as in Keras.
    func computeLoss(_ xs: [Tensor], _ ys: [Tensor], _ sw: Tensor?, _ c: CompiledState,
                     training: Bool) throws -> (Tensor, [Tensor], [Double], [Tensor?]?) {
        clearAllLosses()
        let (preds, masks) = try CallContext.steppingModel {
            training ? try forward(xs, masks: nil, training: true)
                : try CallContext.collectingLosses { try forward(xs, masks: nil, training: false) }
        }
        let (total, perOutput) = try totalLoss(ys, preds, masks, sw, c)
        return (total, preds, perOutput, masks)
    }

    /// The total loss of a forward pass's outputs `preds` (with their masks) against `ys`: the
    /// weighted per-output losses (each also returned unweighted) plus the penalties and
    /// `add_loss` values the pass's layers collected.
    func totalLoss(_ ys: [Tensor], _ preds: [Tensor], _ masks: [Tensor?]?, _ sw: Tensor?,
                   _ c: CompiledState) throws -> (Tensor, [Double]) {
        let (losses, weights, _) = try expand(c, outputs: preds.count)
        guard ys.count == preds.count || (losses.isEmpty && ys.isEmpty) else {
            throw KerasError.invalidArgument("Model '\(name)' has \(preds.count) output(s) but \(ys.count) target array(s) were given")
        }
        var total: Tensor?
        var perOutput: [Double] = []
        for i in 0..<losses.count {
            guard let loss = losses[i] else { perOutput.append(.nan); continue }
            let mask = masks.flatMap { i < $0.count ? $0[i] : nil }
            var l = try loss(ys[i], preds[i], sampleWeight: sw, mask: mask)
            perOutput.append(Double(l.scalar ?? .nan))
            if weights[i] != 1 { l = l * weights[i] }
            total = try total.map { try $0 + l } ?? l
        }
        for penalty in try collectLosses() { total = try total.map { try $0 + penalty } ?? penalty }
        if total == nil, !losses.isEmpty {
            total = Tensor(Float(0))   // every output's loss is None: Keras's loss is 0
        }
        guard let total else {
            // Compiled without a loss and no add_loss term or penalty (Keras's message).
            throw KerasError.invalidArgument("No loss to compute. Provide a `loss` argument in `compile()`.")
        }
        return (total, perOutput)
    }

    func updateMetrics(_ ys: [Tensor], _ preds: [Tensor], _ sw: Tensor?, _ c: CompiledState,
                       total: Double, perOutput: [Double], batch: Int, masks: [Tensor?]? = nil) throws {
        // Resolved once; later steps build no shape or name arrays.
        let metrics: [[Metric]]
        if let resolved = c.metrics {
            metrics = resolved
        } else if ys.isEmpty {
            // No targets (a model compiled without a loss): only the loss is tracked.
            guard c.metricSpecs.allSatisfy(\.isEmpty), c.weightedMetricSpecs.allSatisfy(\.isEmpty) else {
                throw KerasError.invalidArgument("Model '\(name)': its compiled metrics need targets (y), but none were given")
            }
            metrics = []
        } else {
            metrics = try c.resolveMetrics(yTrue: ys.map(\.shape), yPred: preds.map(\.shape), outputNames: outputNames)
        }
        let weight = Double(batch)
        c.lossTracker.add(Float(total), weight: weight)
        // Index loops: a debug build allocates in each step of a generic iterator (zip, for-in).
        for i in 0..<Swift.min(c.outputLossTrackers.count, perOutput.count) {
            c.outputLossTrackers[i]?.add(Float(perOutput[i]), weight: weight)
        }
        for i in 0..<Swift.min(metrics.count, preds.count) {
            let list = metrics[i]
            // Keras applies sample and class weights to the loss and `weighted_metrics` only;
            // `metrics` are unweighted, but a mean of per-sample values (MeanMetricWrapper) counts only unmasked ones.
            let mask = masks.flatMap { i < $0.count ? $0[i] : nil }
            for j in 0..<list.count {
                let m = list[j]
                if c.isWeighted(m), let sw {
                    try m.update(ys[i], preds[i].detached, sampleWeight: sw)
                    continue
                }
                try m.update(ys[i], preds[i].detached, sampleWeight: mask.flatMap { m is MeanMetricWrapper ? $0 : nil })
            }
        }
    }

    /// The one check of user data for fit, evaluate and the batch calls (the C ABI and Python
    /// only marshal): one array per model input and output, the same number of samples in
    /// every array, one sample weight per sample, finite values. `what` prefixes the messages
    /// ("validation data").
    /// With `checkingInputs` false the inputs' values are left to the caller (a fit whose first
    /// gather checks them: ``EpochIterator``'s `checkingInputs`).
    func checkBatch(_ xs: [Tensor], _ ys: [Tensor], _ sw: Tensor?, _ what: String? = nil, checkingInputs: Bool = true) throws {
        let owner = "Model '\(name)'" + (what.map { " \($0)" } ?? "")
        try checkInputs(xs, owner)
        let n = xs[0].shape[0]
        guard n > 0 else {
            throw KerasError.invalidData("\(owner): the data has 0 samples (arrays of shape \(xs[0].shape)); at least one is needed")
        }
        // No targets at all: a model compiled without a loss (computeLoss checks it).
        if built, !outputs.isEmpty, !ys.isEmpty, ys.count != outputs.count {
            throw KerasError.shapeMismatch("\(owner): the model has \(outputs.count) output(s), got \(ys.count) y array(s)")
        }
        for (i, y) in ys.enumerated() where y.shape.first != n {
            throw KerasError.shapeMismatch("\(owner): \(Self.ambiguous): target \(i) has \(y.shape.first ?? 0) samples but the inputs have \(n)")
        }
        if let sw, sw.count != n || sw.shape.first != n {
            throw KerasError.shapeMismatch("\(owner): sample_weight must have shape (\(n),) (one weight per sample), got shape \(sw.shape) (\(sw.count) values for \(n) samples)")
        }
        for (i, x) in xs.enumerated() where checkingInputs && x.hasNonFinite {
            throw Self.nonFiniteInput(owner, i)
        }
        for (i, y) in ys.enumerated() where y.hasNonFinite {
            throw KerasError.invalidData("\(owner): target \(i) contains NaN or infinite values")
        }
    }

    /// The error for input `i` with a NaN or infinite value.
    static func nonFiniteInput(_ owner: String, _ i: Int) -> KerasError {
        KerasError.invalidData("\(owner): input \(i) contains NaN or infinite values")
    }

    static let ambiguous = "data cardinality is ambiguous (make sure all arrays contain the same number of samples)"

    /// One array per model input (once the model knows its inputs), all with the same number
    /// of samples.
    func checkInputs(_ xs: [Tensor], _ owner: String) throws {
        guard let n = xs.first?.shape.first else {
            throw KerasError.invalidData("\(owner): input data must have a batch dimension")
        }
        if built, !inputs.isEmpty, xs.count != inputs.count {
            throw KerasError.shapeMismatch("\(owner): the model has \(inputs.count) input(s), got \(xs.count) x array(s)")
        }
        for (i, x) in xs.enumerated() where x.shape.first != n {
            throw KerasError.shapeMismatch("\(owner): \(Self.ambiguous): input \(i) has \(x.shape.first ?? 0) samples, input 0 has \(n)")
        }
    }
}

/// Storage for `isFitting` (extensions cannot add stored properties).
extension Model {
    var fittingFlag: Bool {
        get { fitState.fitting }
        set { fitState.fitting = newValue }
    }
}
