/// The learning rate an optimizer is given: a constant or a schedule of the step.
/// Keras: `learning_rate=0.01` or `learning_rate=ExponentialDecay(...)`.
///
/// Numbers (`Float`, `Double`, `Int`) and schedules convert to it, so that
/// `Adam(learningRate: 0.01)`, `Adam(learningRate: lr)` and
/// `Adam(learningRate: ExponentialDecay(...))` all read naturally.
public enum LearningRate: LearningRateConvertible, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    case constant(Float)
    case schedule(LearningRateSchedule)

    public init(floatLiteral value: Double) { self = .constant(Float(value)) }
    public init(integerLiteral value: Int) { self = .constant(Float(value)) }
    public var asLearningRate: LearningRate { self }
}

/// Anything an optimizer accepts as its learning rate: a number or a ``LearningRateSchedule``.
public protocol LearningRateConvertible {
    /// The value as a ``LearningRate``.
    var asLearningRate: LearningRate { get }
}

extension Float: LearningRateConvertible { public var asLearningRate: LearningRate { .constant(self) } }
extension Double: LearningRateConvertible { public var asLearningRate: LearningRate { .constant(Float(self)) } }
extension Int: LearningRateConvertible { public var asLearningRate: LearningRate { .constant(Float(self)) } }
