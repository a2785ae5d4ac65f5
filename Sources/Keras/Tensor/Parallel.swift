import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import CBLAS

/// Splits large elementwise work across cores. Below `threshold` elements, or on a thread
/// that already runs one of several parallel fits, work stays on the calling thread.
public enum Parallel {
    /// Element count from which elementwise kernels split work across cores.
    public static let threshold = 1 << 17
    static let cores = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

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
        GemmPartner.standDown()
        let chunks = cores
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * size
            let hi = Swift.min(count, lo + size)
            if lo < hi { body(lo..<hi) }
        }
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

    /// Calls `body(part, rows)` on `parts` contiguous slices of `0..<rows`, concurrently when
    /// `parts > 1`: for reductions that keep one partial result per part.
    static func forEachPart(_ rows: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        if parts <= 1 {
            body(0, 0..<rows)
            return
        }
        GemmPartner.standDown()
        let size = (rows + parts - 1) / parts
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lo = p * size
            let hi = Swift.min(rows, lo + size)
            if lo < hi { body(p, lo..<hi) }
        }
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

    /// Runs `first` on this thread and `second` on the partner thread (``GemmPartner``), each
    /// on one core as a worker (``asWorker(_:)``), when ``twoCoreFits`` allows and the partner is
    /// free; otherwise `first` then `second` here, each splitting its own work as usual. For two
    /// independent tasks of similar length whose results do not depend on how they are run
    /// (the two directions of a Bidirectional layer).
    static func both(_ first: () -> Void, _ second: @escaping () -> Void) {
        if !isWorkerThread, twoCoreFits, let partner = GemmPartner.shared,
           partner.run(task: { asWorker(first) }, { asWorker(second) }) {
            return
        }
        first()
        second()
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
}
