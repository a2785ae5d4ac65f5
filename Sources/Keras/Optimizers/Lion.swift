/// Lion: steps of fixed size in the sign of an interpolated momentum.
/// Keras: `Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99)`.
public final class Lion: Optimizer, @unchecked Sendable {
    public let beta1: Double, beta2: Double

    public init(learningRate: any LearningRateConvertible = 0.001, beta1: Double = 0.9, beta2: Double = 0.99,
                options: OptimizerArguments = OptimizerArguments()) throws {
        guard beta1 > 0, beta1 <= 1 else {
            throw KerasError.invalidArgument("Lion(beta_1: \(beta1)): beta_1 must be in (0, 1]; otherwise the optimizer degenerates to SignSGD")
        }
        try checkRange("Lion", "beta_2", beta2, 0...1)
        self.beta1 = beta1; self.beta2 = beta2
        try super.init(learningRate: learningRate, options: options, defaultName: "lion")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Lion", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let beta1 = try a.double("beta_1", default: 0.9)
        let beta2 = try a.double("beta_2", default: 0.99)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, beta1: beta1, beta2: beta2, options: options)
    }

    public override var slotGroups: [[String]] { [["momentum"]] }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let b1 = Float(beta1), b2 = Float(beta2)
        let m = slots
        for i in 0..<n {
            let c = m[i] * b1 + g[i] * (1 - b1)
            w[i] -= lr * (c > 0 ? 1 : (c < 0 ? -1 : 0))
            m[i] = m[i] * b2 + g[i] * (1 - b2)
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("beta_1", .double(beta1)); c.set("beta_2", .double(beta2))
        return c
    }
}
