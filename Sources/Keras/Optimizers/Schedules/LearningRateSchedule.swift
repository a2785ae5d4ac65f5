/// A learning rate as a function of the optimizer's step. Keras:
/// `keras.optimizers.schedules.LearningRateSchedule`.
///
/// Subclasses implement ``value(at:)`` and ``config``. An optimizer given a schedule asks it for
/// the rate at `optimizer.iterations` before each step.
///
/// ```swift
/// let schedule = try ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.9)
/// let opt = try SGD(learningRate: schedule)
/// ```
open class LearningRateSchedule: LearningRateConvertible, @unchecked Sendable {
    /// The schedule's name (Keras's `name` argument).
    public let name: String

    public init(name: String) { self.name = name }

    public var asLearningRate: LearningRate { .schedule(self) }

    /// The Keras class name (`ExponentialDecay`).
    open var className: String { String(describing: type(of: self)) }

    /// The learning rate at `step` (0 for the first step), in double precision.
    open func value(at step: Double) -> Double { 0 }

    /// The learning rate at `step` as the optimizer uses it. Keras: `schedule(step)`.
    public func callAsFunction(_ step: Int) -> Float { Float(value(at: Double(step))) }

    /// Keras's `get_config()`: the constructor's arguments.
    open var config: JSON { ["name": .string(name)] }

    /// The serialized form Keras writes inside an optimizer config:
    /// `{"module": "keras.optimizers.schedules", "class_name": ..., "config": ..., "registered_name": null}`.
    open var serialized: JSON {
        ["module": "keras.optimizers.schedules", "class_name": .string(className), "config": config,
         "registered_name": nil]
    }

    /// The schedule classes of this library by Keras class name, as ``ObjectRegistry`` loads them.
    static let builtinClasses: [String: (JSON) throws -> LearningRateSchedule] = [
        "ExponentialDecay": ExponentialDecay.init(config:),
        "PiecewiseConstantDecay": PiecewiseConstantDecay.init(config:),
        "InverseTimeDecay": InverseTimeDecay.init(config:),
        "PolynomialDecay": PolynomialDecay.init(config:),
        "CosineDecay": CosineDecay.init(config:),
        "CosineDecayRestarts": CosineDecayRestarts.init(config:),
    ]

    /// A schedule from its Keras class name and config: a custom schedule (scopes, then global),
    /// else one of this library's.
    public static func from(className: String, config: JSON) throws -> LearningRateSchedule {
        guard case .schedule(let make)? = ObjectRegistry.lookup(.schedule, className) else {
            throw KerasError.unknownName("Unknown learning rate schedule '\(className)'. Known: \(ObjectRegistry.builtinNames(.schedule).joined(separator: ", "))")
        }
        return try make(config)
    }

    /// A schedule from Keras's serialized form (`{"class_name": ..., "config": ...}`).
    public static func deserialize(_ json: JSON) throws -> LearningRateSchedule {
        guard let name = json["class_name"]?.stringValue else {
            throw KerasError.invalidArgument("learning rate schedule: expected {\"class_name\": ..., \"config\": ...}, got \(json)")
        }
        return try from(className: name, config: json["config"] ?? [:])
    }
}

/// Checks a schedule's step count argument.
func checkDecaySteps(_ owner: String, _ key: String, _ v: Double) throws {
    guard v > 0, v.isFinite else {
        throw KerasError.invalidArgument("\(owner)(\(key): \(v)): \(key) must be > 0")
    }
}

/// Checks a schedule's rate argument.
func checkFinite(_ owner: String, _ key: String, _ v: Double) throws {
    guard v.isFinite else { throw KerasError.invalidArgument("\(owner)(\(key): \(v)): \(key) must be a finite number") }
}

/// π in float32 as Keras's schedules use it (`ops.array(math.pi, "float32")`: rounded to nearest;
/// Swift's `Float.pi` is rounded toward zero, one unit lower).
let kerasPi = Float(Double.pi)
