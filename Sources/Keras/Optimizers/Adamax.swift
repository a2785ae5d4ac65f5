#if canImport(Glibc)
import Glibc
#endif

/// Adamax: Adam with the infinity norm in place of the squared-gradient average.
/// Keras: `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
public final class Adamax: Optimizer, @unchecked Sendable {
    public let beta1: Double, beta2: Double, epsilon: Double

    public init(learningRate: any LearningRateConvertible = 0.001, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-7, options: OptimizerArguments = OptimizerArguments()) throws {
        try checkBeta("Adamax", "beta_1", beta1)
        try checkRange("Adamax", "beta_2", beta2, 0...1)
        try checkNonNegative("Adamax", "epsilon", epsilon)
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        try super.init(learningRate: learningRate, options: options, defaultName: "adamax")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Adamax", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let beta1 = try a.double("beta_1", default: 0.9)
        let beta2 = try a.double("beta_2", default: 0.999)
        let epsilon = try a.double("epsilon", default: 1e-7)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, beta1: beta1, beta2: beta2, epsilon: epsilon,
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

    public override var config: JSON {
        var c = super.config
        c.set("beta_1", .double(beta1)); c.set("beta_2", .double(beta2)); c.set("epsilon", .double(epsilon))
        return c
    }
}
