/// RMSprop, Keras's default optimizer in `compile`: divides by a running root mean square of
/// the gradients. Keras: `RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)`.
public final class RMSprop: Optimizer, @unchecked Sendable {
    public let rho: Double, momentum: Double, epsilon: Double, centered: Bool

    public init(learningRate: any LearningRateConvertible = 0.001, rho: Double = 0.9, momentum: Double = 0,
                epsilon: Double = 1e-7, centered: Bool = false,
                options: OptimizerArguments = OptimizerArguments()) throws {
        try checkRange("RMSprop", "rho", rho, 0...1)
        try checkRange("RMSprop", "momentum", momentum, 0...1)
        try checkNonNegative("RMSprop", "epsilon", epsilon)
        self.rho = rho; self.momentum = momentum; self.epsilon = epsilon; self.centered = centered
        try super.init(learningRate: learningRate, options: options, defaultName: "rm_sprop")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("RMSprop", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let rho = try a.double("rho", default: 0.9)
        let momentum = try a.double("momentum", default: 0)
        let epsilon = try a.double("epsilon", default: 1e-7)
        let centered = try a.bool("centered", default: false)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, rho: rho, momentum: momentum, epsilon: epsilon,
                      centered: centered, options: options)
    }

    public override var slotGroups: [[String]] {
        [["velocity"]] + (momentum > 0 ? [["momentum"]] : []) + (centered ? [["average_gradient"]] : [])
    }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let rho = Float(self.rho), eps = Float(epsilon), mu = Float(momentum)
        let vel = slots
        let mom: UnsafeMutablePointer<Float>? = momentum > 0 ? slots + n : nil
        let avg: UnsafeMutablePointer<Float>? = centered ? slots + (momentum > 0 ? 2 : 1) * n : nil
        for i in 0..<n {
            vel[i] = rho * vel[i] + (1 - rho) * g[i] * g[i]
            var denom = vel[i] + eps
            if let avg {
                avg[i] = rho * avg[i] + (1 - rho) * g[i]
                denom = vel[i] - avg[i] * avg[i] + eps
            }
            let inc = lr * g[i] / denom.squareRoot()
            if let mom {
                mom[i] = mu * mom[i] + inc
                w[i] -= mom[i]
            } else {
                w[i] -= inc
            }
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("rho", .double(rho)); c.set("momentum", .double(momentum))
        c.set("epsilon", .double(epsilon)); c.set("centered", .bool(centered))
        return c
    }
}
