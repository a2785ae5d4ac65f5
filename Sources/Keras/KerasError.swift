/// Every error the library throws. Each case carries a message that names the object,
/// the argument and the value that were wrong, so that C and Python callers can show it as is.
public enum KerasError: Error, CustomStringConvertible, Equatable {
    /// An argument is out of range or of the wrong kind: `Dense(units: -3): units must be positive`.
    case invalidArgument(String)
    /// An argument of a type Keras's constructor refuses with a `TypeError` (`RepeatVector(n: "a")`),
    /// where a bad value of the right type is ``invalidArgument(_:)`` (Keras's `ValueError`).
    case wrongType(String)
    /// An integer outside the range its value is held in (a seed below 0 or at or above 2^32,
    /// which Keras's `SeedGenerator` keeps as a `uint32`): Keras's `OverflowError`, where an
    /// in-range value that is still refused is ``invalidArgument(_:)``.
    case overflow(String)
    /// A value Keras's constructor refuses as not implemented (an augmentation's
    /// `interpolation="BILINEAR"`: `Unknown \`interpolation\` BILINEAR`): Keras's `NotImplementedError`.
    case notImplemented(String)
    /// A value of a type without the method Keras's constructor calls on it (`padding.lower()`
    /// of `Conv2D(padding=None)`: `'NoneType' object has no attribute 'lower'`): Keras's
    /// `AttributeError`.
    case noAttribute(String)
    /// Shapes that do not fit together.
    case shapeMismatch(String)
    /// A name (loss, optimizer, activation, layer class) that the registry does not know.
    case unknownName(String)
    /// A call in the wrong order: fit before compile, weights before build.
    case invalidState(String)
    /// Data that cannot be used: NaN or infinite values, empty arrays.
    case invalidData(String)
    /// A file or config that cannot be read or written.
    case io(String)
    /// A user callback, layer or plugin failed.
    case callbackFailed(String)
    /// A request beyond ``MemoryBudget/bytes`` or the memory the machine can give, refused
    /// before allocating (activations and gradients of a batch, a kernel's output).
    case outOfMemory(String)

    public var message: String {
        switch self {
        case .invalidArgument(let m), .wrongType(let m), .overflow(let m), .notImplemented(let m), .noAttribute(let m), .shapeMismatch(let m), .unknownName(let m),
             .invalidState(let m), .invalidData(let m), .io(let m), .callbackFailed(let m), .outOfMemory(let m):
            return m
        }
    }

    public var description: String { message }

    /// The same kind of error with another message.
    public func withMessage(_ m: String) -> KerasError {
        switch self {
        case .invalidArgument: return .invalidArgument(m)
        case .wrongType: return .wrongType(m)
        case .overflow: return .overflow(m)
        case .notImplemented: return .notImplemented(m)
        case .noAttribute: return .noAttribute(m)
        case .shapeMismatch: return .shapeMismatch(m)
        case .unknownName: return .unknownName(m)
        case .invalidState: return .invalidState(m)
        case .invalidData: return .invalidData(m)
        case .io: return .io(m)
        case .callbackFailed: return .callbackFailed(m)
        case .outOfMemory: return .outOfMemory(m)
        }
    }
}
