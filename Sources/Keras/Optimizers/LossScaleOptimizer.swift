/// Dynamic loss scaling around another optimizer: the loss is multiplied by a scale before
/// gradients are taken and the gradients divided by it; a step whose gradients are not all finite
/// is skipped and halves the scale, and every `dynamicGrowthSteps` finite steps double it. Keras:
/// `LossScaleOptimizer(inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000)`.
///
/// The learning rate, iterations and moving averages are the inner optimizer's.
public final class LossScaleOptimizer: Optimizer, @unchecked Sendable {
    /// The optimizer that applies the unscaled gradients.
    public let inner: Optimizer
    public let initialScale: Double
    public let dynamicGrowthSteps: Int
    /// The current loss scale (Keras's `dynamic_scale`).
    public internal(set) var dynamicScale: Float
    /// Finite steps since the scale last changed (Keras's `step_counter`).
    public internal(set) var stepCounter: Int = 0
    private var unscaled: [Tensor] = []

    /// Wraps `innerOptimizer`, whose own `lossScaleFactor` is cleared as Keras does.
    public init(_ innerOptimizer: Optimizer, initialScale: Double = 32768, dynamicGrowthSteps: Int = 2000,
                name: String = "loss_scale_optimizer") throws {
        guard initialScale > 0, initialScale.isFinite, Float(initialScale).isFinite else {
            throw KerasError.invalidArgument("LossScaleOptimizer(initial_scale: \(initialScale)): initial_scale must be a finite number > 0")
        }
        inner = innerOptimizer
        self.initialScale = initialScale
        self.dynamicGrowthSteps = dynamicGrowthSteps
        dynamicScale = Float(initialScale)
        try super.init(learningRate: 0, defaultName: name)
        inner.lossScaleFactor = nil
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("LossScaleOptimizer", config)
        guard let innerConfig = a.raw("inner_optimizer") else {
            throw KerasError.invalidArgument("LossScaleOptimizer: the argument inner_optimizer is required")
        }
        let inner = try Optimizer.deserialize(innerConfig)
        let initialScale = try a.double("initial_scale", default: 32768)
        let steps = try a.int("dynamic_growth_steps") ?? 2000
        let name = try a.string("name")
        guard try a.bool("dynamic", default: true) else {
            throw KerasError.invalidArgument("LossScaleOptimizer(dynamic: false): dynamic=False is no longer supported; set loss_scale_factor on the inner optimizer instead")
        }
        for (key, value) in Optimizer.commonArguments {
            guard let given = a.raw(key), given != value else { continue }
            throw KerasError.invalidArgument("LossScaleOptimizer(\(key): \(given)): LossScaleOptimizer does not support \(key); set it on the inner_optimizer instead")
        }
        try a.finish()
        try self.init(inner, initialScale: initialScale, dynamicGrowthSteps: steps, name: name ?? "loss_scale_optimizer")
    }

    override var innerOptimizers: [Optimizer] { [inner] }

    /// The inner optimizer's count; this wrapper's own stays 0 in saved files, as in Keras.
    public internal(set) override var iterations: Int {
        get { inner.iterations }
        set { inner.iterations = newValue }
    }

    override var ownIterations: Int {
        get { 0 }
        set {}
    }

    public override var currentLearningRate: Float { inner.currentLearningRate }

    public override var learningRate: Float {
        get { inner.learningRate }
        set { inner.learningRate = newValue }
    }

    public override func setLearningRate(_ value: Float) throws { try inner.setLearningRate(value) }

    public override func scaleLoss(_ loss: Tensor) -> Tensor { loss * dynamicScale }

    public override var scalesLoss: Bool { true }

    /// Keras's `step_counter` and `dynamic_scale`, before the inner optimizer's variables.
    public override var extraScalarNames: [String] { ["step_counter", "dynamic_scale"] }

    /// Applies the gradients divided by the scale when all are finite, then grows the scale every
    /// `dynamicGrowthSteps` such steps; otherwise skips the step and halves the scale.
    public override func apply(_ gradients: [Tensor], to variables: [Variable]) throws {
        guard gradients.count == variables.count else {
            throw KerasError.invalidArgument("\(name).apply: \(gradients.count) gradients for \(variables.count) variables")
        }
        for g in gradients {
            let p = g.data
            for j in 0..<g.count where !p[j].isFinite {
                stepCounter = 0
                dynamicScale *= 0.5
                return
            }
        }
        if unscaled.count != gradients.count || zip(unscaled, gradients).contains(where: { $0.shape != $1.shape }) {
            unscaled = gradients.map { Tensor(shape: $0.shape, repeating: 0) }
        }
        let scale = dynamicScale
        for i in 0..<gradients.count {
            // (a float8 scale's or history's gradient is its new value: kept, as Keras keeps it)
            let out = unscaled[i].data, p = gradients[i].data, s = variables[i].overwriteWithGradient ? 1 : scale
            for j in 0..<gradients[i].count { out[j] = p[j] / s }
        }
        try inner.apply(unscaled, to: variables)
        if stepCounter == dynamicGrowthSteps - 1 {
            stepCounter = 0
            dynamicScale *= 2
        } else {
            stepCounter += 1
        }
    }

    public override func reset() {
        super.reset()
        inner.reset()
        dynamicScale = Float(initialScale)
        stepCounter = 0
    }

    public override var config: JSON {
        ["name": .string(name), "inner_optimizer": inner.serialized, "initial_scale": .double(initialScale),
         "dynamic_growth_steps": .int(dynamicGrowthSteps)]
    }
}
