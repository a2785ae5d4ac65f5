import CBLAS
import CHDF5Shim
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The arguments of one row-major `cblas_sgemm` call, with explicit leading dimensions so that
/// a half of a product is a call of the same kind.
struct GemmCall {
    var a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var lda: Int, ldb: Int, ldc: Int
    var alpha: Float, beta: Float
    /// Computed by the AVX2 kernel that reads A and B where they lie (``Kernels/readsInPlace(transB:inputs:units:beta:)``)
    /// instead of OpenBLAS; `beta` is then 0 or 1.
    var inPlace = false
    /// With ``inPlace``: a row added to every row of C (a Dense layer's bias) in place of C's values.
    var bias: UnsafePointer<Float>? = nil

    /// A whole product of dense matrices (`op(A)` m×k, `op(B)` k×n, C m×n).
    init(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
         _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
        self.a = a; self.b = b; self.c = c
        self.transA = transA; self.transB = transB
        self.m = m; self.n = n; self.k = k
        lda = transA ? m : k; ldb = transB ? k : n; ldc = n
        self.alpha = alpha; self.beta = beta
    }

    /// Runs the product on the calling thread.
    @inline(__always)
    func run() {
        if inPlace {
            if let bias {
                sk_gemm_strided_bias(m, n, k, alpha, a, transA ? 1 : lda, transA ? lda : 1, b, ldb, bias, c, ldc)
            } else {
                sk_gemm_strided(m, n, k, alpha, a, transA ? 1 : lda, transA ? lda : 1, b, ldb, c, ldc, beta == 0 ? 0 : 1)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The rows of the in-place AVX-512 kernel's blocks (`sk_gemm_all512`: B is read once per
    /// block of A's rows): a product cut at multiples of it reads B as often as the whole one.
    static let inPlaceBlockRows = 96

    /// Rows `r` of C (and of op(A)) as a product of its own, computed as the whole computes them.
    func rows(_ r: Range<Int>) -> GemmCall {
        var part = self
        part.m = r.count
        part.a = transA ? a + r.lowerBound : a + r.lowerBound * lda
        part.c = c + r.lowerBound * ldc
        return part
    }

    /// The fewest rows (or columns) of C a half may have.
    static let minimumHalf = 16

    /// The product cut into two products over disjoint parts of C: the rows of C when there
    /// are enough of them, else its columns; nil when C is too small to cut. The reduction is
    /// never cut, but OpenBLAS rounds some elements of a half differently from the whole
    /// product (its kernels depend on the call's shape), so a product of a given size is always
    /// computed as these halves, on one core or two: each half gives the same bits whichever
    /// thread runs it.
    func halves() -> (GemmCall, GemmCall)? {
        var first = self, second = self
        if m >= 2 * Self.minimumHalf {
            // Cut at a multiple of 8 rows near the middle (whole register blocks of the kernel).
            let mid = (m / 2 + 4) / 8 * 8
            first.m = mid
            second.m = m - mid
            second.a = transA ? a + mid : a + mid * lda
            second.c = c + mid * ldc
            return (first, second)
        }
        if n >= 2 * Self.minimumHalf {
            let mid = (n / 2 + 4) / 8 * 8
            first.n = mid
            second.n = n - mid
            second.b = transB ? b + mid * ldb : b + mid
            second.c = c + mid
            second.bias = bias.map { $0 + mid }
            return (first, second)
        }
        return nil
    }
}

/// A persistent second thread that computes one half of each mid-sized matrix product while the
/// calling thread computes the other (``Parallel/twoCoreFits``): one fit on both cores. Between
/// halves it copies the rows of the next shuffled batch (``startCopy(indices:count:parts:_:)``),
/// which the caller would otherwise gather itself at the start of the next step.
///
/// Protocol: the caller writes the second half into `call` and publishes it (`posted`), runs
/// the first half, then either takes the second half back if the partner has not claimed it
/// (`posted` → `idle`: the caller runs it, so a partner that is descheduled or asleep never
/// delays the caller by more than the half it would have done) or waits for the claimed half
/// (`taken` → `done`). After a half the partner spins for ``spinWindow`` watching for the next
/// one (steps of a small model come every few tens of µs), then parks on a semaphore. When the
/// partner finds it was descheduled while spinning, or the caller had to take back halves the
/// spinning partner did not claim, the machine is busy: products stay on the caller's core and
/// the partner parks for ``busyPause`` (it does not spin on a loaded machine). The same protocol
/// hands it a share of a fan-out instead of a half (``runParts(_:)``: the parts of an
/// elementwise kernel or of a recurrent pass, the two directions of a Bidirectional layer),
/// without allocating (a ``FanOut`` is a context pointer and a body that captures nothing).
final class GemmPartner: @unchecked Sendable {
    /// The partner of the process, its thread started on first use (through ``Parallel/partner``,
    /// nil on a one-core machine).
    static let shared: GemmPartner = {
        let partner = GemmPartner()
        partner.start()
        return partner
    }()

    /// How long the partner watches for the next half before it parks.
    static let spinWindow: UInt64 = 200_000
    /// How long products stay on one core once the machine is found busy.
    static let busyPause: UInt64 = 100_000_000
    /// A gap between two of the spinning partner's clock readings longer than this means it was
    /// descheduled.
    static let descheduledGap: UInt64 = 2_000_000
    /// A parked partner that claims its work this long after it was posted (or not before the
    /// caller is done with its own, this long after) is not getting a core: a wake on an idle
    /// core takes tens of µs. The machine is then busy (``busyPause``): waiting for such a
    /// partner made a 5 ms predict's wall time longer and cost CPU for no gain.
    static let lateClaim: UInt64 = 1_000_000

    private static let idle = 0, posted = 1, taken = 2, done = 3
    private let state = Atomic<Int>(0)
    /// Held by the one caller whose product the partner shares (other callers run alone).
    private let owner = Atomic<Bool>(false)
    /// Set by the partner before it parks; whoever clears it owes (caller) or consumes (partner)
    /// one semaphore post.
    private let parked = Atomic<Bool>(false)
    /// Set to make a spinning partner park at once (before OpenBLAS's own threads run).
    private let standDownFlag = Atomic<Bool>(false)
    /// Monotonic time (ns) until which products are not shared.
    private let busyUntil = Atomic<UInt64>(0)
    private let missesInARow = Atomic<Int>(0)
    /// Monotonic time (ns) at which the current work was posted.
    private let postedAt = Atomic<UInt64>(0)
    private let call = UnsafeMutablePointer<GemmCall>.allocate(capacity: 1)
    /// The posted fan-out (only while `owner` is held), run instead of `call` when it has parts.
    /// A concrete struct, so that its body is stored as it is: a function kept in a generic slot
    /// (`UnsafeMutablePointer<(Int) -> Void>`) is wrapped in a reabstraction thunk, a heap
    /// context per store.
    private let fanOut = UnsafeMutablePointer<FanOut>.allocate(capacity: 1)
    /// The next part of the posted fan-out not yet claimed.
    private let nextPart = Atomic<Int>(0)
    private let wake = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    /// Products and fan-outs shared, halves (or fan-outs) the partner joined, those the caller
    /// took back, fan-outs shared (for tests).
    let products = Atomic<Int>(0), helped = Atomic<Int>(0), takenBack = Atomic<Int>(0), fanOuts = Atomic<Int>(0)
    /// Times the machine was found busy: by halves taken back in a row, by the partner's own
    /// descheduling (benchmarks' diagnostics).
    let busyByMisses = Atomic<Int>(0), busyByGaps = Atomic<Int>(0)
    /// Times the machine was found busy by a parked partner's late claim (``lateClaim``).
    let busyByLateClaims = Atomic<Int>(0)

    /// One array's part of a background copy: rows `indices` of `source` (`row` floats each) into
    /// consecutive rows of `destination`.
    struct RowCopyPart {
        var source: UnsafePointer<Float>
        var row: Int
        var destination: UnsafeMutablePointer<Float>
    }
    /// The most arrays one background copy takes (a batch's inputs, targets and weights).
    static let maximumCopyParts = 4
    /// Rows per claim of a background copy: the partner looks for a posted half between claims,
    /// so a half waits at most for one slice's copy.
    static let copySlice = 8
    /// Held by the one caller whose rows the partner copies.
    private let copyOwner = Atomic<Bool>(false)
    private let copyParts = UnsafeMutablePointer<RowCopyPart>.allocate(capacity: maximumCopyParts)
    private let copyIndices = UnsafeMutablePointer<UnsafePointer<Int>?>.allocate(capacity: 1)
    private let copyPartCount = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    /// The rows of the current copy: `count << 32 | next`, `next` the first row not yet claimed.
    /// Written (with the copy's description before it) by its owner, claimed by compare-exchange.
    private let copyCursor = Atomic<UInt64>(0)
    /// Rows of the current copy done, by either thread.
    private let copyDone = Atomic<Int>(0)
    /// Rows the partner copied (for tests).
    let rowsCopied = Atomic<Int>(0)

    private init() {
        sem_init(wake, 0, 0)
        copyIndices.initialize(to: nil)
        copyPartCount.initialize(to: 0)
        fanOut.initialize(to: .none)
    }

    private func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<GemmPartner>.fromOpaque(raw).takeUnretainedValue().serve()
            return nil
        }, context)
        if rc == 0 {
            pthread_detach(thread)
        } else {
            // No thread: every product stays on the caller's core.
            busyUntil.store(.max, ordering: .relaxed)
            Unmanaged<GemmPartner>.fromOpaque(context).release()
        }
    }

    /// Monotonic nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Makes a spinning partner park (cheap; for code about to use both cores another way).
    static func standDown() {
        if started.load(ordering: .relaxed) { shared.standDownFlag.store(true, ordering: .relaxed) }
    }

    /// The longest ``settle()`` waits for the partner to park (a descheduled partner's time is
    /// already counted: it stopped running).
    static let settleWait: UInt64 = 50_000

    /// ``standDown()`` at the end of a `predict` or a `fit`, then waits (a few µs, at most
    /// ``settleWait``) until the partner is parking, having counted its CPU time (``park()``).
    /// Linux adds a running thread's time to its process's (`getrusage`, Python's
    /// `process_time`) only at the thread's ticks and when it sleeps: a partner still spinning
    /// when the call returned had its share of that call counted in a later one, so a caller
    /// timing calls by process CPU time read some at the caller's share alone and others at two
    /// calls' worth (the bench's `dense_784_512_10_predict`: 2.2–9.5 ms across processes for
    /// the same work). Without it, the partner of a `fit` also spun ``spinWindow`` after the
    /// last step before parking.
    static func settle() {
        guard started.load(ordering: .relaxed) else { return }
        let partner = shared
        partner.standDownFlag.store(true, ordering: .relaxed)
        let deadline = now() &+ settleWait
        var spins = 0
        while !partner.parked.load(ordering: .acquiring) {
            spins += 1
            if spins & 63 == 0, now() > deadline { return }
        }
    }
    private static let started = Atomic<Bool>(false)

    /// Forgets that the machine was found busy (for tests).
    func clearBusy() {
        busyUntil.store(0, ordering: .relaxed)
        missesInARow.store(0, ordering: .relaxed)
    }

    /// Computes `mine` here and `theirs` on the partner (or here, if the partner has not
    /// claimed it by the time `mine` is done). Returns false, having computed nothing, when the
    /// partner cannot be used now (busy with another caller's product, or the machine found
    /// busy): the caller then runs both. OpenBLAS must be single-threaded for the duration (the
    /// caller holds the scope).
    func run(_ mine: GemmCall, _ theirs: GemmCall) -> Bool {
        share(post: { call.pointee = theirs }, mine: { mine.run() }, theirs: { theirs.run() }, yieldEvery: 1024)
    }

    /// As ``run(_:_:)`` for a fan-out: runs each part of `job` once, this thread and the
    /// partner taking the parts in turn (a part is claimed by one of them, then run there), so
    /// that a partner late to wake or descheduled costs at most a part. While it waits for the
    /// partner's last part, the caller yields its core often, so that a loaded machine's other
    /// work runs. A part that uses the partner itself runs its work alone (the partner is owned).
    /// Nothing is allocated.
    func runParts(_ job: FanOut) -> Bool {
        let shared = share(post: {
            nextPart.store(0, ordering: .relaxed)
            fanOut.pointee = job
        }, mine: { claimParts(job) }, theirs: { claimParts(job) }, yieldEvery: 16)
        if shared { fanOuts.add(1, ordering: .relaxed) }
        return shared
    }

    /// Runs the parts of `job` (the posted fan-out) that this thread claims, until none is left.
    private func claimParts(_ job: FanOut) {
        while true {
            let part = nextPart.wrappingAdd(1, ordering: .relaxed).oldValue
            guard part < job.parts else { return }
            job.run(part)
        }
    }

    /// The protocol of both kinds of work: `post` stores the partner's part (the owner held).
    @inline(__always)
    private func share(post: () -> Void, mine: () -> Void, theirs: () -> Void, yieldEvery: Int) -> Bool {
        if busyUntil.load(ordering: .relaxed) > Self.now() { return false }
        guard owner.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { owner.store(false, ordering: .releasing) }
        Self.started.store(true, ordering: .relaxed)
        standDownFlag.store(false, ordering: .relaxed)
        post()
        defer { if fanOut.pointee.parts > 0 { fanOut.pointee = .none } }
        let posted = Self.now()
        postedAt.store(posted, ordering: .relaxed)
        state.store(Self.posted, ordering: .sequentiallyConsistent)
        let wasParked = parked.exchange(false, ordering: .sequentiallyConsistent)
        if wasParked { sem_post(wake) }
        mine()
        products.add(1, ordering: .relaxed)
        if state.compareExchange(expected: Self.posted, desired: Self.idle, ordering: .acquiringAndReleasing).exchanged {
            let t = Self.now()
            if wasParked, t &- posted > Self.lateClaim { foundLate(at: t) }
            theirs()
            takenBack.add(1, ordering: .relaxed)
            // A spinning partner claims a half within a fraction of a µs: when it repeatedly
            // does not, it is not getting a core.
            if !wasParked, missesInARow.add(1, ordering: .relaxed).newValue >= 3 {
                busyUntil.store(Self.now() &+ Self.busyPause, ordering: .relaxed)
                busyByMisses.add(1, ordering: .relaxed)
                missesInARow.store(0, ordering: .relaxed)
            }
            return true
        }
        var spins = 0
        while state.load(ordering: .acquiring) != Self.done {
            spins += 1
            if spins % yieldEvery == 0 { sched_yield() }
        }
        state.store(Self.idle, ordering: .relaxed)
        missesInARow.store(0, ordering: .relaxed)
        return true
    }

    /// The partner was not woken within ``lateClaim``: products stay on one core for ``busyPause``.
    private func foundLate(at t: UInt64) {
        busyUntil.store(t &+ Self.busyPause, ordering: .relaxed)
        busyByLateClaims.add(1, ordering: .relaxed)
    }

    /// Starts copying rows `indices[0..<count]` of each part's array (written by `describe` into
    /// the `parts` slots it is given) on the partner, which claims them a slice at a time between
    /// halves. Returns false, having started nothing, when the partner cannot be used now (another
    /// caller's copy, the machine found busy, or more than ``maximumCopyParts`` parts): the caller
    /// copies the rows itself. A started copy must be ended with ``finishCopy()`` before its rows
    /// are read or its indices and buffers are released.
    func startCopy(indices: UnsafePointer<Int>, count: Int, parts: Int,
                   _ describe: (UnsafeMutablePointer<RowCopyPart>) -> Void) -> Bool {
        guard count > 0, count < 1 << 31, parts > 0, parts <= Self.maximumCopyParts,
              busyUntil.load(ordering: .relaxed) <= Self.now(),
              copyOwner.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        describe(copyParts)
        copyIndices.pointee = indices
        copyPartCount.pointee = parts
        copyDone.store(0, ordering: .relaxed)
        Self.started.store(true, ordering: .relaxed)
        standDownFlag.store(false, ordering: .relaxed)
        copyCursor.store(UInt64(count) << 32, ordering: .sequentiallyConsistent)
        if parked.exchange(false, ordering: .sequentiallyConsistent) { sem_post(wake) }
        return true
    }

    /// Ends the copy started by ``startCopy(indices:count:parts:_:)``: copies the rows the
    /// partner has not claimed and waits for those it is copying (at most one slice).
    func finishCopy() {
        while let rows = claimCopy() { copy(rows) }
        let count = Int(copyCursor.load(ordering: .acquiring) >> 32)
        var spins = 0
        while copyDone.load(ordering: .acquiring) < count {
            spins += 1
            if spins & 1023 == 0 { sched_yield() }
        }
        copyOwner.store(false, ordering: .releasing)
    }

    /// The next slice of the current copy's rows, claimed; nil when none is left.
    private func claimCopy() -> Range<Int>? {
        var cursor = copyCursor.load(ordering: .acquiring)
        while true {
            let next = Int(cursor & 0xFFFF_FFFF), count = Int(cursor >> 32)
            guard next < count else { return nil }
            let end = Swift.min(next + Self.copySlice, count)
            let (exchanged, seen) = copyCursor.compareExchange(expected: cursor, desired: UInt64(count) << 32 | UInt64(end),
                                                               ordering: .acquiringAndReleasing)
            if exchanged { return next..<end }
            cursor = seen
        }
    }

    /// Copies claimed rows of every part (the description is stable while rows are unclaimed or
    /// being copied: its owner rewrites it only after ``finishCopy()``).
    private func copy(_ rows: Range<Int>) {
        guard let indices = copyIndices.pointee else { return }
        let count = Int(copyCursor.load(ordering: .relaxed) >> 32)
        for i in 0..<copyPartCount.pointee {
            let part = copyParts[i]
            Kernels.gatherShuffledRows(part.source, indices, rows: rows, of: count, row: part.row, into: part.destination)
        }
        copyDone.add(rows.count, ordering: .releasing)
    }

    /// Runs the claimed work: the posted fan-out's parts if there is one, else the posted half.
    /// The fan-out's context lies on the caller's stack until the caller sees done.
    @inline(never)
    private func runClaimed() {
        let job = fanOut.pointee
        if job.parts > 0 {
            claimParts(job)
        } else {
            call.pointee.run()
        }
    }

    /// The partner thread's loop: claim and run posted halves; spin between them, park when idle.
    private func serve() {
        while true {
            var lastSeen = Self.now()
            var lastClock = lastSeen
            var polls = 0
            spin: while true {
                if state.load(ordering: .relaxed) == Self.posted,
                   state.compareExchange(expected: Self.posted, desired: Self.taken, ordering: .acquiringAndReleasing).exchanged {
                    let t = Self.now()
                    if t &- postedAt.load(ordering: .relaxed) > Self.lateClaim { foundLate(at: t) }
                    runClaimed()
                    helped.add(1, ordering: .relaxed)
                    state.store(Self.done, ordering: .releasing)
                    lastSeen = Self.now()
                    lastClock = lastSeen
                    continue
                }
                // Rows of the next batch while no half is posted, a slice at a time.
                if let rows = claimCopy() {
                    copy(rows)
                    rowsCopied.add(rows.count, ordering: .relaxed)
                    lastSeen = Self.now()
                    lastClock = lastSeen
                    continue
                }
                polls += 1
                if polls & 127 != 0 { continue }
                let t = Self.now()
                if t &- lastClock > Self.descheduledGap {
                    busyUntil.store(t &+ Self.busyPause, ordering: .relaxed)
                    busyByGaps.add(1, ordering: .relaxed)
                    break spin
                }
                lastClock = t
                if t &- lastSeen > Self.spinWindow || standDownFlag.load(ordering: .relaxed)
                    || busyUntil.load(ordering: .relaxed) > t { break spin }
            }
            park()
        }
    }

    /// Sleeps until a caller posts a half (or returns at once if one is already posted). Reading
    /// its own CPU clock first makes the time it has run so far count in the process's
    /// (``settle()``) before it says it is parked.
    private func park() {
        var cpu = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu)
        parked.store(true, ordering: .sequentiallyConsistent)
        let cursor = copyCursor.load(ordering: .sequentiallyConsistent)
        if state.load(ordering: .sequentiallyConsistent) == Self.posted || cursor & 0xFFFF_FFFF < cursor >> 32 {
            // Already a half or rows waiting: undo the parking, unless a caller cleared the flag
            // first, in which case its semaphore post is on its way and must be consumed.
            if parked.exchange(false, ordering: .sequentiallyConsistent) { return }
        }
        while sem_wait(wake) != 0 {}
    }
}
