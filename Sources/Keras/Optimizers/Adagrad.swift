/// Adagrad: per-weight learning rates scaled by the accumulated squared gradients.
/// Keras: `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
public final class Adagrad: Optimizer, @unchecked Sendable {
    public let initialAccumulatorValue: Double, epsilon: Double

    public init(learningRate: any LearningRateConvertible = 0.001, initialAccumulatorValue: Double = 0.1,
                epsilon: Double = 1e-7, options: OptimizerArguments = OptimizerArguments()) throws {
        try checkNonNegative("Adagrad", "initial_accumulator_value", initialAccumulatorValue)
        try checkNonNegative("Adagrad", "epsilon", epsilon)
        self.initialAccumulatorValue = initialAccumulatorValue; self.epsilon = epsilon
        try super.init(learningRate: learningRate, options: options, defaultName: "adagrad")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Adagrad", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let initial = try a.double("initial_accumulator_value", default: 0.1)
        let epsilon = try a.double("epsilon", default: 1e-7)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, initialAccumulatorValue: initial, epsilon: epsilon,
                      options: options)
    }

    public override var slotGroups: [[String]] { [["accumulator"]] }
    public override func initialSlotValue(_ index: Int) -> Float { Float(initialAccumulatorValue) }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let acc = slots, eps = Float(epsilon)
        for i in 0..<n {
            acc[i] += g[i] * g[i]
            w[i] -= lr * g[i] / (acc[i] + eps).squareRoot()
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("initial_accumulator_value", .double(initialAccumulatorValue)); c.set("epsilon", .double(epsilon))
        return c
    }
}
