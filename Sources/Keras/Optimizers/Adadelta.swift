/// Adadelta: steps sized by the ratio of running RMS of updates to running RMS of gradients.
/// Keras: `Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
public final class Adadelta: Optimizer, @unchecked Sendable {
    public let rho: Double, epsilon: Double

    public init(learningRate: any LearningRateConvertible = 0.001, rho: Double = 0.95, epsilon: Double = 1e-7,
                options: OptimizerArguments = OptimizerArguments()) throws {
        try checkRange("Adadelta", "rho", rho, 0...1)
        try checkNonNegative("Adadelta", "epsilon", epsilon)
        self.rho = rho; self.epsilon = epsilon
        try super.init(learningRate: learningRate, options: options, defaultName: "adadelta")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Adadelta", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let rho = try a.double("rho", default: 0.95)
        let epsilon = try a.double("epsilon", default: 1e-7)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, rho: rho, epsilon: epsilon, options: options)
    }

    public override var slotGroups: [[String]] { [["accumulated_grad", "accumulated_delta_var"]] }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let accGrad = slots, accDelta = slots + n
        let rho = Float(self.rho), eps = Float(epsilon)
        for i in 0..<n {
            accGrad[i] = rho * accGrad[i] + (1 - rho) * g[i] * g[i]
            let delta = -((accDelta[i] + eps).squareRoot() * g[i]) / (accGrad[i] + eps).squareRoot()
            accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta
            w[i] += lr * delta
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("rho", .double(rho)); c.set("epsilon", .double(epsilon))
        return c
    }
}
