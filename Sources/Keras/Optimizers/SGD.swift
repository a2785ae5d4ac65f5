/// Stochastic gradient descent with optional (Nesterov) momentum.
/// Keras: `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`; Keras 2's
/// `SGD(lr=0.02, decay=1e-6, momentum=0.9, nesterov=True)` is accepted through ``decay``.
///
/// ```swift
/// let sgd = try SGD(learningRate: 0.02, momentum: 0.9, nesterov: true,
///                   options: OptimizerArguments(decay: 1e-6))
/// ```
public final class SGD: Optimizer, @unchecked Sendable {
    public let momentum: Double
    public let nesterov: Bool

    public init(learningRate: any LearningRateConvertible = 0.01, momentum: Double = 0, nesterov: Bool = false,
                options: OptimizerArguments = OptimizerArguments()) throws {
        try checkRange("SGD", "momentum", momentum, 0...1)
        self.momentum = momentum
        self.nesterov = nesterov
        try super.init(learningRate: learningRate, options: options, defaultName: "sgd")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("SGD", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let momentum = try a.double("momentum", default: 0)
        let nesterov = try a.bool("nesterov", default: false)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.01, momentum: momentum, nesterov: nesterov, options: options)
    }

    public override var slotGroups: [[String]] { momentum != 0 ? [["momentum"]] : [] }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        if momentum == 0 {
            for i in 0..<n { w[i] -= g[i] * lr }
            return
        }
        let m = slots, mu = Float(momentum)
        if nesterov {
            for i in 0..<n { m[i] = m[i] * mu - g[i] * lr; w[i] += m[i] * mu - g[i] * lr }
        } else {
            for i in 0..<n { m[i] = m[i] * mu - g[i] * lr; w[i] += m[i] }
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("momentum", .double(momentum)); c.set("nesterov", .bool(nesterov))
        return c
    }
}
