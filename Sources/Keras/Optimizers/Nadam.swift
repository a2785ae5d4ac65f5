#if canImport(Glibc)
import Glibc
#endif

/// Nadam: Adam with Nesterov momentum and Keras's momentum schedule
/// `u_t = beta_1 * (1 - 0.5 * 0.96^t)`. Keras: `Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
/// Keras 2's `schedule_decay` is accepted in configs and ignored, as Keras 3 fixes the schedule.
public final class Nadam: MomentOptimizer, @unchecked Sendable {
    /// The running product of `u_t` (Keras's `_u_product`), advanced once per step.
    public internal(set) var uProduct: Float = 1

    public init(learningRate: any LearningRateConvertible = 0.001, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-7, options: OptimizerArguments = OptimizerArguments()) throws {
        try super.init("Nadam", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                       options: options, defaultName: "nadam")
    }

    convenience init(config: JSON) throws {
        let (learningRate, m, options) = try Moments.read("Nadam", config, ignoring: ["schedule_decay"])
        try self.init(learningRate: learningRate ?? 0.001, beta1: m.beta1, beta2: m.beta2, epsilon: m.epsilon,
                      options: options)
    }

    public override var slotGroups: [[String]] { [["momentum", "velocity"]] }

    private func u(_ t: Int) -> Float { Float(beta1) * (1 - 0.5 * powf(0.96, Float(t))) }

    /// Keras's `_u_product`, an unnamed variable there (so Keras's path is `nadam/variable`), saved after the slots.
    public override var extraScalarNames: [String] { ["variable"] }

    public override var extraScalars: [Float] {
        get { [uProduct] }
        set { if let v = newValue.first { uProduct = v } }
    }

    public override func beginStep(_ step: Int) { uProduct *= u(step) }

    public override func reset() {
        super.reset()
        uProduct = 1
    }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        let ut = u(step), ut1 = u(step + 1)
        let prod = uProduct, prod1 = uProduct * ut1
        let b2Correction = 1 - powf(b2, Float(step))
        let m = slots, v = slots + n
        for i in 0..<n {
            m[i] += (g[i] - m[i]) * (1 - b1)
            v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
            let mHat = ut1 * m[i] / (1 - prod1) + (1 - ut) * g[i] / (1 - prod)
            let vHat = v[i] / b2Correction
            w[i] -= mHat * lr / (vHat.squareRoot() + eps)
        }
    }
}
