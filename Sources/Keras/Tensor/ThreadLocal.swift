#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A per-thread slot holding one object, created on first use in each thread.
/// Parallel fits each see their own pool, tape and random generator through these.
final class ThreadLocal<Value: AnyObject>: @unchecked Sendable {
    /// A constant, so that reading it costs no dynamic exclusivity check.
    private let key: pthread_key_t
    private let make: () -> Value

    init(_ make: @escaping () -> Value) {
        self.make = make
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            Unmanaged<AnyObject>.fromOpaque(raw).release()
            #else
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
            #endif
        }
        self.key = key
    }

    /// The calling thread's value.
    var value: Value {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<Value>.fromOpaque(raw).takeUnretainedValue()
        }
        let fresh = make()
        pthread_setspecific(key, Unmanaged.passRetained(fresh as AnyObject).toOpaque())
        return fresh
    }

    /// Replaces the calling thread's value.
    func set(_ newValue: Value) {
        if let raw = pthread_getspecific(key) {
            Unmanaged<AnyObject>.fromOpaque(raw).release()
        }
        pthread_setspecific(key, Unmanaged.passRetained(newValue as AnyObject).toOpaque())
    }
}

/// A plain mutex; Foundation's NSLock costs more and pulls Foundation into the engine.
final class Mutex: @unchecked Sendable {
    private var raw = pthread_mutex_t()
    init() { pthread_mutex_init(&raw, nil) }
    deinit { pthread_mutex_destroy(&raw) }
    @inline(__always) func lock() { pthread_mutex_lock(&raw) }
    @inline(__always) func unlock() { pthread_mutex_unlock(&raw) }
    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock(); defer { unlock() }
        return try body()
    }
}
