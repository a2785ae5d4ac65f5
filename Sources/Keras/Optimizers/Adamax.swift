#if canImport(Glibc)
import Glibc
#endif

/// Adamax: Adam with the infinity norm in place of the squared-gradient average.
/// Keras: `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
public final class Adamax: MomentOptimizer, @unchecked Sendable {
    public init(learningRate: any LearningRateConvertible = 0.001, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-7, options: OptimizerArguments = OptimizerArguments()) throws {
        try super.init("Adamax", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                       beta2MayBeOne: true, options: options, defaultName: "adamax")
    }

    convenience init(config: JSON) throws {
        let (learningRate, m, options) = try Moments.read("Adamax", config)
        try self.init(learningRate: learningRate ?? 0.001, beta1: m.beta1, beta2: m.beta2, epsilon: m.epsilon,
                      options: options)
    }

    public override var slotGroups: [[String]] { [["momentum", "norm"]] }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        let correction = 1 - powf(b1, Float(step))
        let m = slots, u = slots + n
        for i in 0..<n {
            m[i] += (g[i] - m[i]) * (1 - b1)
            u[i] = Swift.max(b2 * u[i], Swift.abs(g[i]))
            w[i] -= lr * m[i] / (correction * (u[i] + eps))
        }
    }
}
