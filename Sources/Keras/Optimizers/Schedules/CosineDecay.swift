import Foundation

/// Cosine decay from `initial` (or, after a linear warmup, from `warmup_target`) down to
/// `alpha` times that rate over `decay_steps`.
/// Keras: `CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0)`.
public final class CosineDecay: LearningRateSchedule, @unchecked Sendable {
    public let initialLearningRate: Double
    public let decaySteps: Double
    public let alpha: Double
    public let warmupTarget: Double?
    public let warmupSteps: Double

    public init(initialLearningRate: Double, decaySteps: Double, alpha: Double = 0, name: String = "CosineDecay",
                warmupTarget: Double? = nil, warmupSteps: Double = 0) throws {
        try checkFinite("CosineDecay", "initial_learning_rate", initialLearningRate)
        try checkDecaySteps("CosineDecay", "decay_steps", decaySteps)
        try checkFinite("CosineDecay", "alpha", alpha)
        if let warmupTarget { try checkFinite("CosineDecay", "warmup_target", warmupTarget) }
        guard warmupSteps >= 0, warmupSteps.isFinite else {
            throw KerasError.invalidArgument("CosineDecay(warmup_steps: \(warmupSteps)): warmup_steps must be >= 0")
        }
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
        super.init(name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("CosineDecay", config)
        guard let lr = try a.double("initial_learning_rate"), let steps = try a.double("decay_steps") else {
            throw KerasError.invalidArgument("CosineDecay: initial_learning_rate and decay_steps are required")
        }
        let alpha = try a.double("alpha", default: 0)
        let name = try a.string("name") ?? "CosineDecay"
        let target = try a.double("warmup_target")
        let warmup = try a.double("warmup_steps", default: 0)
        try a.finish()
        try self.init(initialLearningRate: lr, decaySteps: steps, alpha: alpha, name: name,
                      warmupTarget: target, warmupSteps: warmup)
    }

    /// Keras's `_decay_function`, in float32 in its order of operations (`1 - alpha` is a Python
    /// number there, rounded to float32 once).
    private func decayed(_ step: Float, from lr: Float) -> Float {
        let cosine = 0.5 * (1 + cosf(kerasPi * (step / Float(decaySteps))))
        return lr * (Float(1 - alpha) * cosine + Float(alpha))
    }

    public override func value(at step: Double) -> Double {
        let initial = Float(initialLearningRate), steps = Float(decaySteps)
        guard let target = warmupTarget.map(Float.init) else {
            return Double(decayed(Swift.min(Float(step), steps), from: initial))
        }
        let warmup = Float(warmupSteps)
        let s = Swift.min(Float(step), steps + warmup)
        if s < warmup { return Double((target - initial) * (s / warmup) + initial) }
        return Double(decayed(s - warmup, from: target))
    }

    public override var config: JSON {
        ["initial_learning_rate": .double(initialLearningRate), "decay_steps": .number(decaySteps),
         "alpha": .double(alpha), "name": .string(name), "warmup_target": .optional(warmupTarget),
         "warmup_steps": .number(warmupSteps)]
    }
}
