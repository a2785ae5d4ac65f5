import Synchronization

/// A request, from a signal handler or another thread, that the running fit, evaluate and predict
/// loops stop after their current batch (weights stay consistent), throwing
/// ``KerasError/invalidState(_:)`` with "interrupted". The C ABI's `keras_interrupt` sets it (a
/// host installs that as its SIGINT handler during a call) and clears it when a call starts.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)

    /// Asks the running loops to stop. Async-signal-safe: one atomic store, no lock, no allocation.
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// Forgets a request.
    public static func clear() { flag.store(false, ordering: .relaxed) }

    /// Whether a stop was requested and not cleared since.
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Throws when a stop was requested; the loops call it once per batch.
    @inline(__always)
    static func check(_ what: String) throws {
        if flag.load(ordering: .relaxed) {
            throw KerasError.invalidState("\(what): interrupted (keras_interrupt or Ctrl-C); the weights are those after the last finished batch")
        }
    }
}
