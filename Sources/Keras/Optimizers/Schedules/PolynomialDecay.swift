import Foundation

/// `(initial - end) * (1 - step / decay_steps) ^ power + end`, holding `end` after `decay_steps`
/// or, with `cycle`, stretching `decay_steps` to the next multiple.
/// Keras: `PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False)`.
public final class PolynomialDecay: LearningRateSchedule, @unchecked Sendable {
    public let initialLearningRate: Double
    public let decaySteps: Double
    public let endLearningRate: Double
    public let power: Double
    public let cycle: Bool

    public init(initialLearningRate: Double, decaySteps: Double, endLearningRate: Double = 0.0001,
                power: Double = 1.0, cycle: Bool = false, name: String = "PolynomialDecay") throws {
        try checkFinite("PolynomialDecay", "initial_learning_rate", initialLearningRate)
        try checkDecaySteps("PolynomialDecay", "decay_steps", decaySteps)
        try checkFinite("PolynomialDecay", "end_learning_rate", endLearningRate)
        try checkFinite("PolynomialDecay", "power", power)
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.endLearningRate = endLearningRate
        self.power = power
        self.cycle = cycle
        super.init(name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("PolynomialDecay", config)
        guard let lr = try a.double("initial_learning_rate"), let steps = try a.double("decay_steps") else {
            throw KerasError.invalidArgument("PolynomialDecay: initial_learning_rate and decay_steps are required")
        }
        let end = try a.double("end_learning_rate", default: 0.0001)
        let power = try a.double("power", default: 1.0)
        let cycle = try a.bool("cycle", default: false)
        let name = try a.string("name") ?? "PolynomialDecay"
        try a.finish()
        try self.init(initialLearningRate: lr, decaySteps: steps, endLearningRate: end, power: power, cycle: cycle, name: name)
    }

    /// In float32, in Keras's order of operations (its value is Keras's to the bit).
    public override func value(at step: Double) -> Double {
        var s = Float(step), steps = Float(decaySteps)
        if cycle {
            steps *= s == 0 ? 1 : (s / Float(decaySteps)).rounded(.up)
        } else {
            s = Swift.min(s, steps)
        }
        let initial = Float(initialLearningRate), end = Float(endLearningRate)
        return Double((initial - end) * powf(1 - s / steps, Float(power)) + end)
    }

    public override var config: JSON {
        ["initial_learning_rate": .double(initialLearningRate), "decay_steps": .number(decaySteps),
         "end_learning_rate": .double(endLearningRate), "power": .double(power), "cycle": .bool(cycle),
         "name": .string(name)]
    }
}
