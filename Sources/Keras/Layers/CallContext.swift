#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The training flag of the outermost layer call running on this thread, so that a layer called
/// without one inside another layer's `call` (a block's `Dropout`, a model inside a model)
/// inherits it. Keras: the `training` of the call context.
///
/// Keras's order of precedence: the `training` argument of the call, then the outer call's,
/// then inference.
enum CallContext {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// The flag of the call in progress on this thread, nil outside any call.
    static var training: Bool? {
        switch Int(bitPattern: pthread_getspecific(key)) {
        case 1: return false
        case 2: return true
        default: return nil
        }
    }

    /// Runs `body` with `training` as the thread's call flag, restoring the previous one after.
    static func with<R>(training: Bool, _ body: () throws -> R) rethrows -> R {
        let saved = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: training ? 2 : 1))
        defer { pthread_setspecific(key, saved) }
        return try body()
    }

    private static let lossKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// True while a test step runs on this thread: layers then collect their activity penalties
    /// and `add_loss` values in inference too, since Keras's `evaluate` loss includes them.
    static var collectsLosses: Bool { pthread_getspecific(lossKey) != nil }

    /// Runs `body` with ``collectsLosses`` set, restoring the previous value after.
    static func collectingLosses<R>(_ body: () throws -> R) rethrows -> R {
        let saved = pthread_getspecific(lossKey)
        pthread_setspecific(lossKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(lossKey, saved) }
        return try body()
    }

    private static let stepKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Runs `body`, a training or test step's forward pass of a model, so that the model's own
    /// layers each drop the losses of their previous call in the step before they run again:
    /// Keras's step runs the model's `call` (`stateless_call`), not its `__call__`, so each
    /// layer the model calls enters a call context of its own, which clears its losses (and its
    /// sublayers'). A layer called twice adds only its last call's activity penalties and
    /// `add_loss` values to the step's loss; `model(x)` keeps both calls'.
    static func steppingModel<R>(_ body: () throws -> R) rethrows -> R {
        let saved = pthread_getspecific(stepKey)
        pthread_setspecific(stepKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(stepKey, saved) }
        return try body()
    }

    /// Whether the model whose forward pass starts is the one a step runs (``steppingModel(_:)``);
    /// reading it ends the flag, so that models called inside that forward pass are not.
    static func takeStepEntry() -> Bool {
        guard pthread_getspecific(stepKey) != nil else { return false }
        pthread_setspecific(stepKey, nil)
        return true
    }

    /// Where Keras's `warnings.warn` from layer calls goes: standard error, as Python prints it.
    static func warn(_ message: String) { fputs("UserWarning: " + message + "\n", stderr) }
}
