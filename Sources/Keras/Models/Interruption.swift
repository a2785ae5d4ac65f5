import Synchronization

/// A request, from a signal handler or another thread, that the running fit, evaluate and predict
/// loops stop after their current batch (weights stay consistent), throwing
/// ``KerasError/invalidState(_:)`` with "interrupted". The C ABI's `keras_interrupt` sets it (a
/// host installs that as its SIGINT handler during a call) and clears it when a call starts,
/// unless the host armed it first (`keras_interrupt_arm`): then a request made between the arming
/// and the call's start stops the call too, where it would otherwise be forgotten.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)
    private static let armed = Atomic<Bool>(false)

    /// Asks the running loops to stop. Async-signal-safe: one atomic store, no lock, no allocation.
    public static func request() { flag.store(true, ordering: .relaxed) }

    /// Forgets a request.
    public static func clear() { flag.store(false, ordering: .relaxed) }

    /// `true`: forgets any earlier request and makes the next call that starts keep the requests
    /// made from now on (a host arms before installing its handler, so that a Ctrl-C landing
    /// between the two is not lost). `false`: disarms (a host that made no call after arming).
    public static func arm(_ on: Bool) {
        if on { flag.store(false, ordering: .relaxed) }
        armed.store(on, ordering: .relaxed)
    }

    /// At the start of a call: forgets a request made before it unless the host armed (and
    /// consumes the arming).
    public static func begin() {
        if !armed.exchange(false, ordering: .relaxed) { flag.store(false, ordering: .relaxed) }
    }

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
