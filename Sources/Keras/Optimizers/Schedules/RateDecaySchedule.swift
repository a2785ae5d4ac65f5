/// The schedules that decay a learning rate by `decay_rate` per `decay_steps` steps, the
/// progress `step / decay_steps` floored when `staircase`: ``ExponentialDecay`` and
/// ``InverseTimeDecay``, which differ only in how they apply the rate (``value(at:)``).
/// Keras: `(initial_learning_rate, decay_steps, decay_rate, staircase=False, name=<class name>)`.
public class RateDecaySchedule: LearningRateSchedule, @unchecked Sendable {
    public let initialLearningRate: Double
    public let decaySteps: Double
    public let decayRate: Double
    public let staircase: Bool

    /// `name` defaults to the Keras class name, as in Keras.
    public init(initialLearningRate: Double, decaySteps: Double, decayRate: Double, staircase: Bool = false,
                name: String? = nil) throws {
        let owner = String(describing: Self.self)
        try checkFinite(owner, "initial_learning_rate", initialLearningRate)
        try checkDecaySteps(owner, "decay_steps", decaySteps)
        try checkFinite(owner, "decay_rate", decayRate)
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
        super.init(name: name ?? owner)
    }

    convenience init(config: JSON) throws {
        let owner = String(describing: Self.self)
        var a = try ConfigArguments(owner, config)
        guard let lr = try a.double("initial_learning_rate"), let steps = try a.double("decay_steps"),
              let rate = try a.double("decay_rate") else {
            throw KerasError.invalidArgument("\(owner): initial_learning_rate, decay_steps and decay_rate are required")
        }
        let staircase = try a.bool("staircase", default: false)
        let name = try a.string("name")
        try a.finish()
        try self.init(initialLearningRate: lr, decaySteps: steps, decayRate: rate, staircase: staircase, name: name)
    }

    /// `step / decay_steps`, floored when `staircase`.
    public final func progress(at step: Double) -> Double {
        let p = step / decaySteps
        return staircase ? p.rounded(.down) : p
    }

    /// ``progress(at:)`` in float32, as Keras computes it (its value is Keras's to the bit).
    final func progress32(at step: Double) -> Float {
        let p = Float(step) / Float(decaySteps)
        return staircase ? p.rounded(.down) : p
    }

    public override var config: JSON {
        ["initial_learning_rate": .double(initialLearningRate), "decay_steps": .number(decaySteps),
         "decay_rate": .double(decayRate), "staircase": .bool(staircase), "name": .string(name)]
    }
}
