/// `initial / (1 + decay_rate * step / decay_steps)`, the quotient floored when `staircase`.
/// Keras: `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)`.
/// Keras 2's optimizer argument `decay` is this schedule with `decay_steps = 1`.
public final class InverseTimeDecay: LearningRateSchedule, @unchecked Sendable {
    public let initialLearningRate: Double
    public let decaySteps: Double
    public let decayRate: Double
    public let staircase: Bool

    public init(initialLearningRate: Double, decaySteps: Double, decayRate: Double, staircase: Bool = false,
                name: String = "InverseTimeDecay") throws {
        try checkFinite("InverseTimeDecay", "initial_learning_rate", initialLearningRate)
        try checkDecaySteps("InverseTimeDecay", "decay_steps", decaySteps)
        try checkFinite("InverseTimeDecay", "decay_rate", decayRate)
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
        super.init(name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("InverseTimeDecay", config)
        guard let lr = try a.double("initial_learning_rate"), let steps = try a.double("decay_steps"),
              let rate = try a.double("decay_rate") else {
            throw KerasError.invalidArgument("InverseTimeDecay: initial_learning_rate, decay_steps and decay_rate are required")
        }
        let staircase = try a.bool("staircase", default: false)
        let name = try a.string("name") ?? "InverseTimeDecay"
        try a.finish()
        try self.init(initialLearningRate: lr, decaySteps: steps, decayRate: rate, staircase: staircase, name: name)
    }

    public override func value(at step: Double) -> Double {
        var p = step / decaySteps
        if staircase { p = p.rounded(.down) }
        return initialLearningRate / (1 + decayRate * p)
    }

    public override var config: JSON {
        ["initial_learning_rate": .double(initialLearningRate), "decay_steps": .number(decaySteps),
         "decay_rate": .double(decayRate), "staircase": .bool(staircase), "name": .string(name)]
    }
}
