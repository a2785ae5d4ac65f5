#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The most memory a model's weights, or one member read from a file, may take: checked before
/// allocating, so that a hostile or mistaken config or file fails with a ``KerasError`` instead
/// of exhausting the machine. The default is half of the smallest of physical memory and the
/// process's `RLIMIT_AS` / `RLIMIT_DATA`; the environment variable `SWIFTKERAS_MEMORY_BUDGET`
/// (bytes) or ``bytes`` sets it.
public enum MemoryBudget {
    private static let lock = Mutex()
    nonisolated(unsafe) private static var configured: Int?

    /// The budget in bytes (always positive).
    public static var bytes: Int {
        get {
            lock.withLock {
                if let configured { return configured }
                let value = fromEnvironment() ?? machineDefault()
                configured = value
                return value
            }
        }
        set { lock.withLock { configured = Swift.max(1, newValue) } }
    }

    /// Restores the default (the environment variable, else half of the machine's memory).
    public static func reset() { lock.withLock { configured = nil } }

    static func fromEnvironment() -> Int? {
        guard let raw = getenv("SWIFTKERAS_MEMORY_BUDGET"), let v = Int(String(cString: raw)), v > 0 else { return nil }
        return v
    }

    static func machineDefault() -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        var limit = pages > 0 && size > 0 ? pages.multipliedReportingOverflow(by: size).partialValue : Int.max
        if limit <= 0 { limit = Int.max }
        for resource in [RLIMIT_AS, RLIMIT_DATA] {
            var r = rlimit()
            #if canImport(Glibc)
            let got = getrlimit(__rlimit_resource_t(resource.rawValue), &r)
            #else
            let got = getrlimit(resource, &r)
            #endif
            if got == 0, r.rlim_cur < UInt64(Int.max) { limit = Swift.min(limit, Int(r.rlim_cur)) }
        }
        return Swift.max(limit / 2, 1 << 20)
    }

    /// Bytes charged in the calling thread's open scope (nil outside one).
    final class Usage { var depth = 0; var bytes = 0 }
    private static let usage = ThreadLocal { Usage() }

    /// Runs `body` as one model's construction: the weights ``charge(_:)`` records in it count
    /// together against the budget. Nested scopes share the outermost one.
    static func scope<R>(_ body: () throws -> R) rethrows -> R {
        let u = usage.value
        if u.depth == 0 { u.bytes = 0 }
        u.depth += 1
        defer { u.depth -= 1 }
        return try body()
    }

    /// Runs `body` with new weights left uninitialised (allocated, never written, so the pages
    /// are not touched): for reading a model's structure (`swiftkeras summary`) without paying
    /// for its initialisers. The weights' values are meaningless until loaded or assigned.
    public static func withoutInitializing<R>(_ body: () throws -> R) rethrows -> R {
        try InitialValues.with(.skipped, body)
    }

    /// Records `count` more bytes; nil when they fit, else why not (a sentence for an error).
    /// Outside a scope each request is checked alone.
    static func charge(_ count: Int) -> String? {
        let limit = bytes, u = usage.value
        let (total, overflow) = (u.depth > 0 ? u.bytes : 0).addingReportingOverflow(count)
        guard !overflow, total <= limit else {
            return "would bring the weights to \(overflow ? "over \(Int.max)" : String(total)) bytes, more than the memory budget of \(limit) bytes (MemoryBudget.bytes, SWIFTKERAS_MEMORY_BUDGET)"
        }
        if u.depth > 0 { u.bytes = total }
        guard available(count) else { return "cannot allocate \(count) bytes (out of memory)" }
        return nil
    }

    /// Throws ``KerasError/outOfMemory(_:)`` naming `what` when `count` bytes exceed the budget
    /// or cannot be allocated now; the one check for buffers made while running a model
    /// (a batch's activations and gradients, a kernel's output), made before allocating them.
    static func require(_ count: Int, for what: @autoclosure () -> String) throws {
        let limit = bytes
        guard count <= limit else {
            throw KerasError.outOfMemory("\(what()) needs \(count) bytes, more than the memory budget of \(limit) bytes (MemoryBudget.bytes, SWIFTKERAS_MEMORY_BUDGET)")
        }
        guard available(count) else {
            throw KerasError.outOfMemory("\(what()) needs \(count) bytes, which cannot be allocated (out of memory)")
        }
    }

    /// Whether `count` bytes can be allocated now: large requests are tried with `malloc`
    /// (and freed), so that a process under a memory limit gets an error, not Swift's abort.
    static func available(_ count: Int) -> Bool {
        guard count >= 1 << 24 else { return true }
        guard let p = malloc(count) else { return false }
        free(p)
        return true
    }
}
