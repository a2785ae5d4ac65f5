#if canImport(Glibc)
import Glibc
#endif

/// Schedule-Free AdamW (Defazio et al., 2024): Adam-normalised steps on a sequence `z` (Keras's
/// `momentum` slot, started at the weights), a running average `x` of it, and weights
/// interpolating the two, so that no learning-rate schedule is needed. Keras:
/// `ScheduleFreeAdamW(learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0)`.
public final class ScheduleFreeAdamW: Optimizer, @unchecked Sendable {
    public let beta1: Double, beta2: Double, epsilon: Double
    /// The learning rate rises linearly from 0 over this many steps.
    public let warmupSteps: Int

    public init(learningRate: any LearningRateConvertible = 0.0025, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, warmupSteps: Int = 0,
                options: OptimizerArguments = OptimizerArguments()) throws {
        // beta_1 divides the weights to recover x, so 0 is excluded too.
        guard beta1 > 0, beta1 < 1 else {
            throw KerasError.invalidArgument("ScheduleFreeAdamW(beta_1: \(beta1)): beta_1 must be in (0, 1)")
        }
        try checkBeta("ScheduleFreeAdamW", "beta_2", beta2)
        try checkNonNegative("ScheduleFreeAdamW", "epsilon", epsilon)
        guard warmupSteps >= 0 else {
            throw KerasError.invalidArgument("ScheduleFreeAdamW(warmup_steps: \(warmupSteps)): warmup_steps must be >= 0")
        }
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.warmupSteps = warmupSteps
        try super.init(learningRate: learningRate, options: options, defaultName: "schedule_free_adam_w")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("ScheduleFreeAdamW", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let m = try Moments(&a, epsilon: 1e-8)
        let warmup = try a.int("warmup_steps") ?? 0
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.0025, beta1: m.beta1, beta2: m.beta2, epsilon: m.epsilon,
                      warmupSteps: warmup, options: options)
    }

    public override var slotGroups: [[String]] { [["momentum", "velocity"]] }

    public override func initializeSlots(of variable: Variable, _ slots: UnsafeMutablePointer<Float>, count n: Int) {
        slots.update(from: variable.storedValue.data, count: n)
    }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let t = Float(step), b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        let rate = warmupSteps > 0 ? lr * Swift.min(t / Float(warmupSteps), 1) : lr
        let c2 = 1 - powf(b2, t), weight = 1 / t
        let z = slots, v = slots + n
        for i in 0..<n {
            let zOld = z[i]
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
            z[i] -= rate * g[i] / ((v[i] / c2).squareRoot() + eps)
            let xOld = (w[i] - (1 - b1) * zOld) / b1
            let xNew = (1 - weight) * xOld + weight * z[i]
            w[i] = (1 - b1) * z[i] + b1 * xNew
        }
    }

    public override var config: JSON {
        var c = super.config
        c.setMoments(beta1, beta2, epsilon)
        c.set("warmup_steps", .int(warmupSteps))
        return c
    }
}
