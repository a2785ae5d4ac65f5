import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CBLAS

/// One fan-out: `parts` contiguous slices of `0..<rows`, slice `p` run as `body(context, p, rows)`.
struct FanOut {
    var body: Parallel.PartBody
    var context: UnsafeRawPointer
    var rows: Int
    var parts: Int

    /// No fan-out (no parts; its context points at one byte that is never read).
    static let none = FanOut(body: { _, _, _ in }, context: UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)),
                             rows: 0, parts: 0)

    /// Runs part `p`: rows `p·size ..< min(rows, (p + 1)·size)`, `size = ⌈rows / parts⌉`.
    @inline(__always)
    func run(_ p: Int) {
        let size = (rows + parts - 1) / parts
        let lo = p * size, hi = Swift.min(rows, lo + size)
        if lo < hi { body(context, p, lo..<hi) }
    }
}

/// Splits large elementwise work across cores. Below `threshold` elements, or on a thread
/// that already runs one of several parallel fits, work stays on the calling thread.
public enum Parallel {
    /// Element count from which elementwise kernels split work across cores.
    public static let threshold = 1 << 17
    /// The processors online.
    static let onlineCores = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    private static let coreCount = Atomic<Int>(onlineCores)

    /// The cores that kernels split work across: ``onlineCores``, or what ``withCores(_:_:)`` sets.
    static var cores: Int { coreCount.load(ordering: .relaxed) }

    /// Runs `body` with kernels splitting work as on a machine of `n` cores (tests: the two-core
    /// paths on a machine of any size). Buffers sized by the core count (a step plan's attention
    /// scratch) must be made inside.
    static func withCores<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        let was = coreCount.exchange(Swift.max(1, n), ordering: .relaxed)
        defer { coreCount.store(was, ordering: .relaxed) }
        return try body()
    }

    /// The persistent partner thread (``GemmPartner``) where there is a second core to run it.
    static var partner: GemmPartner? { cores > 1 ? GemmPartner.shared : nil }

    private final class Flag { var nested = false }
    private static let flag = ThreadLocal { Flag() }

    /// True on threads where kernels must not fan out (worker threads of a parallel search).
    public static var isWorkerThread: Bool {
        get { flag.value.nested }
        set { flag.value.nested = newValue }
    }

    /// Calls `body` over `0..<count` in contiguous chunks, in parallel when it pays.
    @inline(__always)
    static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count < threshold || cores == 1 || isWorkerThread {
            body(0..<count)
            return
        }
        forEachPart(count, parts: cores) { _, chunk in body(chunk) }
    }

    /// How many parts ``forEachPart(_:parts:_:)`` should split `rows` rows of `width` elements
    /// into: one when fanning out does not pay.
    static func partCount(rows: Int, width: Int) -> Int {
        rows * width < threshold || cores == 1 || isWorkerThread ? 1 : Swift.min(cores, rows)
    }

    /// As ``partCount(rows:width:)``, but four parts per core when it fans out: the threads take
    /// the parts in turn, so a core that another process holds for a while delays the kernel by
    /// a part, not by half of the work (the rounds of a loaded machine stop being bimodal). For
    /// kernels whose parts cost the same and whose per-part results are small.
    static func balancedPartCount(rows: Int, width: Int) -> Int {
        let parts = partCount(rows: rows, width: width)
        return parts > 1 ? Swift.min(rows, 4 * parts) : 1
    }

    /// The body of a fan-out that allocates nothing (``forEachPart(_:parts:context:_:)``): called
    /// with the fan-out's `context`, a part's index and its rows. It must capture nothing (a
    /// closure literal that reads everything from `context`, or a static function).
    typealias PartBody = (_ context: UnsafeRawPointer, _ part: Int, _ rows: Range<Int>) -> Void

    /// Calls `body(part, rows)` on `parts` contiguous slices of `0..<rows`, concurrently when
    /// `parts > 1`: for reductions that keep one partial result per part. On two cores this
    /// allocates once per call (the closure handed to the partner thread); the fan-outs of a
    /// step plan use ``forEachPart(_:parts:context:_:)``, which does not.
    static func forEachPart(_ rows: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        if parts <= 1 {
            body(0, 0..<rows)
            return
        }
        /// A concrete struct, so that the closure is kept as it is (not behind a thunk).
        struct Borrowed { let body: (Int, Range<Int>) -> Void }
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: Borrowed(body: body)) { borrowed in
                forEachPart(rows, parts: parts, context: borrowed) { context, part, slice in
                    context.assumingMemoryBound(to: Borrowed.self).pointee.body(part, slice)
                }
            }
        }
    }

    /// Calls `body(context, part, rows)` on `parts` contiguous slices of `0..<rows`, each on one
    /// thread, concurrently when `parts > 1`; the slices' results are the same whichever thread
    /// runs them. On two cores (``twoCoreFits``) this thread and the partner
    /// (``GemmPartner/runParts(_:)``) take the slices in turn, with no allocation and no thread
    /// woken that is not already there; when the partner cannot be had (the machine found busy,
    /// another caller's product) this thread runs them all. On more cores, or with
    /// ``twoCoreFits`` off, Dispatch's threads run them (`concurrentPerform`, which allocates).
    static func forEachPart(_ rows: Int, parts: Int, context: UnsafeRawPointer, _ body: @escaping PartBody) {
        if parts <= 1 {
            body(context, 0, 0..<rows)
            return
        }
        let fanOut = FanOut(body: body, context: context, rows: rows, parts: parts)
        if cores == 2, twoCoreFits {
            if partner?.runParts(fanOut) != true {
                for p in 0..<parts { fanOut.run(p) }
            }
            return
        }
        GemmPartner.standDown()
        DispatchQueue.concurrentPerform(iterations: parts) { p in fanOut.run(p) }
    }

    private static let twoCores = Atomic<Bool>(getenv("SWIFTKERAS_TWO_CORE").map { String(cString: $0) != "0" } ?? true)

    /// Whether work outside a parallel search uses a second core for its matrix products: each
    /// product from ``Kernels/splitGemmMinimum`` multiply-adds (up to ``Kernels/threadedGemmMinimum``
    /// on more than two cores: the layers of small dense models) is cut into two halves of C, one
    /// computed on a persistent partner thread (``GemmPartner``). On by default (the environment
    /// variable `SWIFTKERAS_TWO_CORE=0` turns it off, for C and Python callers). Workers of a
    /// parallel search (``asWorker(_:)``, `n_jobs > 1`) keep one core each whatever it says, and
    /// the partner steps back while the machine is busy. Results are bit-identical either way:
    /// the halves never cut a sum.
    public static var twoCoreFits: Bool {
        get { twoCores.load(ordering: .relaxed) }
        set { twoCores.store(newValue, ordering: .relaxed) }
    }

    /// Runs `first` on this thread and `second` on the partner thread (``GemmPartner``; here too
    /// if the partner has not claimed it by the time `first` is done), each on one core as a
    /// worker (``asWorker(_:)``), when ``twoCoreFits`` allows and the partner is free; otherwise
    /// `first` then `second` here, each splitting its own work as usual. For two independent
    /// tasks of similar length whose results do not depend on how they are run (the two
    /// directions of a Bidirectional layer).
    static func both(_ first: () -> Void, _ second: () -> Void) {
        guard !isWorkerThread, twoCoreFits, let partner else {
            first()
            second()
            return
        }
        struct Pair { let first: () -> Void, second: () -> Void }
        let shared = withoutActuallyEscaping(first) { first in
            withoutActuallyEscaping(second) { second in
                withUnsafePointer(to: Pair(first: first, second: second)) { pair in
                    partner.runParts(FanOut(body: { context, part, _ in
                        let pair = context.assumingMemoryBound(to: Pair.self).pointee
                        asWorker(part == 0 ? pair.first : pair.second)
                    }, context: pair, rows: 2, parts: 2))
                }
            }
        }
        if !shared {
            first()
            second()
        }
    }

    /// Runs `body` as a worker of a parallel job: single-threaded BLAS and kernels on this thread.
    public static func asWorker<T>(_ body: () throws -> T) rethrows -> T {
        let was = isWorkerThread
        isWorkerThread = true
        defer { isWorkerThread = was }
        return try withSingleThreadedBLAS(body)
    }

    /// Sets the number of OpenBLAS threads (process-wide).
    public static func setBLASThreads(_ n: Int) {
        openblas_set_num_threads(Int32(Swift.max(1, n)))
    }

    private static let blasLock = Mutex()
    nonisolated(unsafe) private static var singleThreadedScopes = 0
    nonisolated(unsafe) private static var savedBLASThreads = 1

    /// Runs `body` with OpenBLAS on one thread. The thread count is one process-wide setting, so
    /// scopes are counted: the first to open saves the count and sets one thread, the last to
    /// close restores it. Workers hold a scope for their whole task; ``Kernels`` holds one
    /// around a product too small for OpenBLAS's threads to pay (toolchain.md §5-6).
    static func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        blasLock.withLock {
            if singleThreadedScopes == 0 {
                savedBLASThreads = blasThreads
                if savedBLASThreads > 1 { setBLASThreads(1) }
            }
            singleThreadedScopes += 1
        }
        defer {
            blasLock.withLock {
                singleThreadedScopes -= 1
                if singleThreadedScopes == 0 && savedBLASThreads > 1 { setBLASThreads(savedBLASThreads) }
            }
        }
        return try body()
    }

    /// The number of OpenBLAS threads.
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// How the partner thread (``GemmPartner``) has shared this process's work so far, for
    /// benchmarks: products and fan-outs shared, halves (or fan-outs) it joined, halves the caller took back,
    /// rows of batches it copied, and the times the machine was found busy (halves missed in a
    /// row, or the partner itself descheduled), each of which keeps work on one core for
    /// ``GemmPartner/busyPause``. Empty where there is no partner (one core).
    public static var partnerCounters: [String: Int] {
        guard cores == 2, let p = partner else { return [:] }
        return ["products": p.products.load(ordering: .relaxed), "helped": p.helped.load(ordering: .relaxed),
                "taken_back": p.takenBack.load(ordering: .relaxed), "rows_copied": p.rowsCopied.load(ordering: .relaxed),
                "busy_by_misses": p.busyByMisses.load(ordering: .relaxed), "busy_by_gaps": p.busyByGaps.load(ordering: .relaxed),
                "busy_by_late_claims": p.busyByLateClaims.load(ordering: .relaxed)]
    }
}
