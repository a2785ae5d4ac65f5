#if canImport(Glibc)
import Glibc
#endif

/// FTRL-Proximal ("Follow The Regularized Leader"), with L1, L2 and L2-shrinkage regularization.
/// Keras: `Ftrl(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
/// l1_regularization_strength=0.0, l2_regularization_strength=0.0,
/// l2_shrinkage_regularization_strength=0.0, beta=0.0)`.
public final class Ftrl: Optimizer, @unchecked Sendable {
    public let learningRatePower: Double, initialAccumulatorValue: Double
    public let l1: Double, l2: Double, l2Shrinkage: Double, beta: Double

    public init(learningRate: any LearningRateConvertible = 0.001, learningRatePower: Double = -0.5,
                initialAccumulatorValue: Double = 0.1, l1RegularizationStrength: Double = 0,
                l2RegularizationStrength: Double = 0, l2ShrinkageRegularizationStrength: Double = 0, beta: Double = 0,
                options: OptimizerArguments = OptimizerArguments()) throws {
        try checkNonNegative("Ftrl", "initial_accumulator_value", initialAccumulatorValue)
        guard learningRatePower <= 0, learningRatePower.isFinite else {
            throw KerasError.invalidArgument("Ftrl(learning_rate_power: \(learningRatePower)): learning_rate_power must be a finite number <= 0")
        }
        try checkNonNegative("Ftrl", "l1_regularization_strength", l1RegularizationStrength)
        try checkNonNegative("Ftrl", "l2_regularization_strength", l2RegularizationStrength)
        try checkNonNegative("Ftrl", "l2_shrinkage_regularization_strength", l2ShrinkageRegularizationStrength)
        guard beta.isFinite else { throw KerasError.invalidArgument("Ftrl(beta: \(beta)): beta must be a finite number") }
        self.learningRatePower = learningRatePower; self.initialAccumulatorValue = initialAccumulatorValue
        l1 = l1RegularizationStrength; l2 = l2RegularizationStrength; l2Shrinkage = l2ShrinkageRegularizationStrength
        self.beta = beta
        try super.init(learningRate: learningRate, options: options, defaultName: "ftrl")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Ftrl", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let power = try a.double("learning_rate_power", default: -0.5)
        let initial = try a.double("initial_accumulator_value", default: 0.1)
        let l1 = try a.double("l1_regularization_strength", default: 0)
        let l2 = try a.double("l2_regularization_strength", default: 0)
        let shrinkage = try a.double("l2_shrinkage_regularization_strength", default: 0)
        let beta = try a.double("beta", default: 0)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, learningRatePower: power, initialAccumulatorValue: initial,
                      l1RegularizationStrength: l1, l2RegularizationStrength: l2,
                      l2ShrinkageRegularizationStrength: shrinkage, beta: beta, options: options)
    }

    public override var slotGroups: [[String]] { [["accumulator", "linear"]] }

    public override func initialSlotValue(_ index: Int) -> Float { index == 0 ? Float(initialAccumulatorValue) : 0 }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let p = Float(-learningRatePower), l1 = Float(self.l1)
        let l2 = Float(self.l2) + Float(beta) / (2 * lr), shrink = Float(2 * l2Shrinkage)
        let accum = slots, linear = slots + n
        for i in 0..<n {
            let newAccum = accum[i] + g[i] * g[i]
            let newPower = powf(newAccum, p)
            linear[i] += (g[i] + shrink * w[i]) - (newPower - powf(accum[i], p)) / lr * w[i]
            let quadratic = newPower / lr + 2 * l2
            w[i] = (Swift.min(Swift.max(linear[i], -l1), l1) - linear[i]) / quadratic
            accum[i] = newAccum
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("learning_rate_power", .double(learningRatePower))
        c.set("initial_accumulator_value", .double(initialAccumulatorValue))
        c.set("l1_regularization_strength", .double(l1)); c.set("l2_regularization_strength", .double(l2))
        c.set("l2_shrinkage_regularization_strength", .double(l2Shrinkage)); c.set("beta", .double(beta))
        return c
    }
}
