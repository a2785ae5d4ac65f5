/// How ``Layer/addWeight(name:shape:initializer:trainable:regularizer:constraint:dtype:)``
/// gives a new weight its starting values, per thread: drawn from its initializer at once (as
/// Keras does on build), deferred while a model is being loaded from a file that replaces them,
/// or skipped when only the shapes are wanted.
///
/// A deferred weight takes from the random generator what its draw takes (its key) when it is
/// made, and makes its values at the first read unless a write comes first
/// (``Variable/init(deferred:shape:name:trainable:constraint:)``). So the generator ends where
/// an eager draw leaves it, a weight the file lacks gets the values it always got, and a weight
/// the file holds is never drawn: loading InceptionResNetV2 does not draw its 55.9 M values
/// only to overwrite them.
public enum InitialValues {
    /// Drawn when the weight is made (the default; Keras's build).
    case drawn
    /// Drawn at the first read, unless assigned first; every weight still owed its values when
    /// the outermost ``deferring(_:)`` returns is drawn then, so none leaves it unset.
    case deferred
    /// Never drawn: the weights' values are meaningless until loaded or assigned
    /// (``MemoryBudget/withoutInitializing(_:)``).
    case skipped

    final class State {
        var mode = InitialValues.drawn
        /// How many ``beginDeferring()`` are open, and the mode before the outermost.
        var depth = 0, outer = InitialValues.drawn
        /// The weights made deferred since the outermost ``beginDeferring()``.
        var deferred: [Variable] = []
    }
    static let state = ThreadLocal { State() }

    /// The calling thread's mode.
    static var current: InitialValues { state.value.mode }

    /// Runs `body`, the loading of a model whose weights a file then replaces, with the weights
    /// it makes deferred; on return (or throw) the ones not assigned are drawn.
    static func deferring<R>(_ body: () throws -> R) rethrows -> R {
        beginDeferring()
        defer { _ = endDeferring() }
        return try body()
    }

    /// Starts a span of the calling thread in which new weights are deferred (unless they are
    /// skipped: ``MemoryBudget/withoutInitializing(_:)`` wins); spans nest. For a front end
    /// whose build and load are two calls (``deferring(_:)`` otherwise).
    public static func beginDeferring() {
        let s = state.value
        if s.depth == 0 {
            s.outer = s.mode
            if s.mode == .drawn { s.mode = .deferred }
        }
        s.depth += 1
    }

    /// Ends the span ``beginDeferring()`` started; the outermost end draws every weight made in
    /// it that is still owed its values. False, changing nothing, when no span is open.
    @discardableResult
    public static func endDeferring() -> Bool {
        let s = state.value
        guard s.depth > 0 else { return false }
        s.depth -= 1
        guard s.depth == 0 else { return true }
        s.mode = s.outer
        let made = s.deferred
        s.deferred = []
        for v in made { v.drawIfPending() }
        return true
    }

    /// Runs `body` with `mode` (``skipped``), restoring the previous mode after.
    static func with<R>(_ mode: InitialValues, _ body: () throws -> R) rethrows -> R {
        let s = state.value, saved = s.mode
        s.mode = mode
        defer { s.mode = saved }
        return try body()
    }

    /// A new float32 weight of `shape` from `initializer` under the calling thread's mode.
    static func weight(_ shape: [Int], _ initializer: Initializer, name: String, trainable: Bool,
                       constraint: Constraint?, dtype: VariableDType) -> Variable {
        let s = state.value
        switch s.mode {
        case .skipped:
            return Variable(Tensor.uninitialized(shape), name: name, trainable: trainable, constraint: constraint, dtype: dtype)
        case .deferred where dtype == .float32:
            let draw = initializer.deferredDraw(shape, generator: RandomGenerator.current)
            let v = Variable(deferred: draw, shape: shape, name: name, trainable: trainable, constraint: constraint)
            s.deferred.append(v)
            return v
        default:
            return Variable(initializer(shape), name: name, trainable: trainable, constraint: constraint, dtype: dtype)
        }
    }
}
