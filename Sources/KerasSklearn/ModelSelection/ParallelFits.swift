import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex for the search's bookkeeping.
final class SearchLock: @unchecked Sendable {
    private var raw = pthread_mutex_t()
    init() { pthread_mutex_init(&raw, nil) }
    deinit { pthread_mutex_destroy(&raw) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&raw)
        defer { pthread_mutex_unlock(&raw) }
        return try body()
    }
}

/// The number of worker threads for `nJobs` (joblib's rule: -1 is all cores, -2 all but one).
func resolveJobs(_ nJobs: Int?, tasks: Int, owner: String) throws -> Int {
    let cores = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    let n = nJobs ?? 1
    guard n != 0 else { throw KerasError.invalidArgument("\(owner): n_jobs == 0 has no meaning; use 1 for one thread or -1 for all cores") }
    let workers = n > 0 ? n : Swift.max(1, cores + 1 + n)
    return Swift.max(1, Swift.min(workers, tasks))
}

/// When each task of ``runTasks(_:workers:order:timeline:_:onDone:onIdle:)`` ran, and on which
/// worker (0..<workers; worker 0 is the calling thread): the search's `schedule`, which
/// shows how long each worker idles and where an `onIdle` extra ran.
final class TaskTimeline: @unchecked Sendable {
    /// `task` nil: an extra that `onIdle` handed out. Times in ``monotonicSeconds()``; `cpu`: the
    /// worker thread's CPU seconds in the task (less than `end - start` when the machine is
    /// busy and the thread waits for a core).
    private(set) var entries: [(task: Int?, worker: Int, start: Double, end: Double, cpu: Double)] = []

    func record(_ task: Int?, worker: Int, start: Double, end: Double, cpu: Double) {
        entries.append((task, worker, start, end, cpu))
    }
}

/// CPU seconds of the calling thread.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// What a worker asking for work (``runTasks(_:workers:order:timeline:_:onDone:onIdle:)``'s
/// `onIdle`) does instead of taking the next task in order.
enum TaskChoice {
    /// Take the task at this offset among those not yet taken (0: the next in order).
    case take(Int)
    /// Run this extra work first (a search's speculative refit).
    case extra(() -> Void)
    /// Take no more tasks: another worker, busy now, ends them all sooner (a faster core).
    /// Honoured only while another worker is running something, which then takes them.
    case leave
}

/// What another worker is running: a task, or an extra (`task` nil), since `since`
/// (``monotonicSeconds()``).
typealias BusyWorker = (task: Int?, since: Double)

/// Runs `count` tasks on `workers` threads (the calling thread and `workers - 1` new ones), each
/// task pulled in `order` (default: index order) by the next free worker; results are stored by index, so they do not depend on the schedule.
/// `onDone` is called under a lock after each task. With several workers, `onIdle` is asked
/// (under the same lock) by each worker before it takes a task, with its index, the tasks not
/// yet taken and what the other workers are running (nil: a worker that is not running anything), and
/// once more when none is left: it may hand out extra work to run first (a search starts its
/// refit while the other workers finish the fits, ``SpeculativeRefit``) or pick another of the
/// tasks left (a search balances the last fits, ``TailPlan``); nil takes the next in order.
/// `timeline`, when given, records each task and extra (under the lock).
func runTasks<R>(_ count: Int, workers: Int, order: [Int]? = nil, timeline: TaskTimeline? = nil,
                 _ body: @escaping (Int) -> R, onDone: ((Int, R) -> Void)? = nil,
                 onIdle: ((_ worker: Int, _ remaining: ArraySlice<Int>, _ others: [BusyWorker?]) -> TaskChoice?)? = nil) -> [R?] {
    var results = [R?](repeating: nil, count: count)
    var sequence = order ?? Array(0..<count)
    let lock = SearchLock()
    var next = 0
    var busy = [BusyWorker?](repeating: nil, count: Swift.max(workers, 1))
    // Custom objects in scope on the calling thread stay visible to the workers' model loading.
    let scoped = CustomObjectScope.active
    let work = { (worker: Int) in
        while true {
            let (task, extra) = lock.withLock { () -> (Int?, (() -> Void)?) in
                busy[worker] = nil
                var choice: TaskChoice?
                if workers > 1, let onIdle {
                    choice = onIdle(worker, sequence[next...], busy.indices.map { $0 == worker ? nil : busy[$0] })
                }
                if case .extra(let extra)? = choice {
                    busy[worker] = (nil, monotonicSeconds())
                    return (nil, extra)
                }
                if case .leave? = choice, busy.contains(where: { $0 != nil }) { return (nil, nil) }
                guard next < sequence.count else { return (nil, nil) }
                if case .take(let offset)? = choice, offset > 0, next + offset < sequence.count {
                    sequence.swapAt(next, next + offset)
                }
                next += 1
                busy[worker] = (sequence[next - 1], monotonicSeconds())
                return (sequence[next - 1], nil)
            }
            let start = monotonicSeconds(), cpu = timeline == nil ? 0 : threadCPUSeconds()
            if let extra {
                Parallel.asWorker { scoped.isEmpty ? extra() : scoped { extra() } }
                let end = monotonicSeconds(), used = timeline == nil ? 0 : threadCPUSeconds() - cpu
                lock.withLock { timeline?.record(nil, worker: worker, start: start, end: end, cpu: used) }
                continue
            }
            guard let i = task else { break }
            let r = Parallel.asWorker { scoped.isEmpty ? body(i) : scoped { body(i) } }
            let end = monotonicSeconds(), used = timeline == nil ? 0 : threadCPUSeconds() - cpu
            lock.withLock {
                results[i] = r
                timeline?.record(i, worker: worker, start: start, end: end, cpu: used)
                onDone?(i, r)
            }
        }
    }
    // The calling thread is worker 0 and keeps its core; the other workers are parked helper
    // threads (``SearchHelpers``). (When the caller started every worker and then slept, the
    // scheduler could place two new workers on one core and leave the caller's idle for
    // milliseconds: with two workers, the iris bench grid ran at 1.6x one worker in some
    // processes and 1.9x in others.)
    let group = SearchHelpers.shared.start((1..<Swift.max(workers, 1)).map { w in { work(w) } })
    work(0)
    group.wait()
    return results
}

/// The threads that run a parallel search's workers beside the calling thread: parked between
/// searches and woken for the next, instead of a new thread per worker and search. A new
/// thread cost each search its creation and exit on the critical path, and ran its fits with
/// empty per-thread caches (its ``BufferPool``, the tape and generator slots) that the calling
/// thread, worker 0, kept warm from search to search: the iris bench grid's second worker spent
/// ~1% more CPU per fit than the first and the search ~0.6 ms more CPU outside its fits.
/// A parked helper waits on a condition variable (it never spins) and exits after
/// ``idleSeconds`` without work, which frees its caches; at most ``maxParked`` stay parked
/// (nested or concurrent searches may start more, which exit after their job). After a fork,
/// the child starts with no helpers (the parent's threads do not exist there).
final class SearchHelpers: @unchecked Sendable {
    static let shared = SearchHelpers()

    /// A parked helper retires after this many seconds without work.
    static let idleSeconds = 10
    /// The most helpers kept parked.
    static let maxParked = Swift.max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// One helper thread: its job (and the group to leave when the job is done) is set under
    /// the pool's mutex, which its condition variable waits with.
    final class Helper {
        var cond = pthread_cond_t()
        var job: (body: () -> Void, group: DispatchGroup)?
        init() {
            var attr = pthread_condattr_t()
            pthread_condattr_init(&attr)
            pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
            pthread_cond_init(&cond, &attr)
            pthread_condattr_destroy(&attr)
        }
        deinit { pthread_cond_destroy(&cond) }
    }

    private var mutex = pthread_mutex_t()
    private var parked: [Helper] = []
    private var pid = getpid()
    /// Helper threads started so far (tests: whether a search reused the parked ones).
    private(set) var threadsStarted = 0

    init() { pthread_mutex_init(&mutex, nil) }

    /// Runs each of `jobs` on its own helper thread (a parked one, else a new one) and returns
    /// the group that the caller waits on for all of them.
    func start(_ jobs: [() -> Void]) -> DispatchGroup {
        let group = DispatchGroup()
        var fresh: [Helper] = [], woken: [Helper] = []
        pthread_mutex_lock(&mutex)
        if getpid() != pid {
            // A forked child: the parked helpers were threads of the parent.
            parked.removeAll()
            pid = getpid()
        }
        for job in jobs {
            group.enter()
            if let helper = parked.popLast() {
                helper.job = (job, group)
                woken.append(helper)
            } else {
                let helper = Helper()
                helper.job = (job, group)
                fresh.append(helper)
            }
        }
        threadsStarted += fresh.count
        pthread_mutex_unlock(&mutex)
        // Signalled once the mutex is free, so that a woken helper does not wake only to wait
        // for it. (Its job is already set: a helper that wakes on its own first runs it too.)
        for helper in woken { pthread_cond_signal(&helper.cond) }
        for helper in fresh {
            let t = Thread { [self] in loop(helper) }
            t.stackSize = 16 << 20
            t.start()
        }
        return group
    }

    /// A helper thread's life: run the job it was given, park, and run the next, until it has
    /// waited ``idleSeconds`` for one or finds ``maxParked`` helpers already parked.
    private func loop(_ helper: Helper) {
        pthread_mutex_lock(&mutex)
        while true {
            while helper.job == nil {
                var deadline = timespec()
                clock_gettime(CLOCK_MONOTONIC, &deadline)
                deadline.tv_sec += Self.idleSeconds
                let waited = pthread_cond_timedwait(&helper.cond, &mutex, &deadline)
                // Retire unless a search handed it a job meanwhile (it is then no longer parked).
                if waited == ETIMEDOUT, helper.job == nil {
                    parked.removeAll { $0 === helper }
                    pthread_mutex_unlock(&mutex)
                    return
                }
            }
            guard let (body, group) = helper.job else { continue }
            helper.job = nil
            pthread_mutex_unlock(&mutex)
            body()
            pthread_mutex_lock(&mutex)
            // Parked before the caller is told, so that the caller's next search finds it.
            let stays = parked.count < Self.maxParked && getpid() == pid
            if stays { parked.append(helper) }
            group.leave()
            if !stays {
                pthread_mutex_unlock(&mutex)
                return
            }
        }
    }
}

/// The cost of each candidate's fit: its `epochs` (the largest of any nested `..._epochs`), at least 1.
func candidateCosts(_ candidates: [Params], base: Estimator) -> [Int] {
    candidates.map { c -> Int in
        let merged = base.getParams(deep: true).merging(c) { $1 }
        let epochs = merged.filter { $0.key == "epochs" || $0.key.hasSuffix("__epochs") }.compactMap { $0.value.intValue }
        return Swift.max(1, epochs.max() ?? 1)
    }
}

/// Task order that starts the longest fits first (longest-processing-time scheduling), with
/// `costs` per candidate, so that no worker is left with one long fit at the end. Candidates of
/// one cost take turns by split (each one's first fold, then each one's second...), so that each
/// has a fit measured early, for ``TailPlan``.
func longestFirst(_ costs: [Int], splits: Int) -> [Int] {
    let k = Swift.max(1, splits)
    return (0..<(costs.count * k)).sorted { a, b in
        let ca = costs[a / k], cb = costs[b / k]
        return ca != cb ? ca > cb : (a % k, a / k) < (b % k, b / k)
    }
}

/// How two workers share the last work of a search, from measured times: when one asks for
/// work, the tasks left (their expected seconds, a refit's included) are split between it and
/// the other worker (busy for `otherBusy` more seconds) so that both end as early as possible,
/// by trying every split (up to ``maxItems`` tasks); the asking worker starts the longest of
/// its share. Taking the tasks in a fixed order instead left the two workers' last fits ending
/// 0.7–1.3 ms apart in a 25 ms search (about half a fit), with one core idle meanwhile. Each
/// worker's time for a task is the task's expected seconds times the worker's own pace
/// (`mine`, `other`: in some processes here one vCPU runs every fit 15–50% slower than the
/// other, and a split by common times then leaves the faster worker idle at the end).
enum TailPlan {
    /// Beyond this many tasks left the order stands (2^10 splits to try under the search's lock).
    static let maxItems = 10

    /// What the asking worker should do.
    enum Step: Equatable {
        /// Start the task at this index in `items`.
        case start(Int)
        /// Take none: the other worker ends them all sooner (a faster core soon free).
        case leave
    }

    /// How much sooner (a share of the end when this worker takes a task) leaving must end all
    /// the tasks: leaving cannot be undone, and the other worker may be held up by more than
    /// its measured pace says (a fit's wall time grows by the time its thread waits for a core).
    static let leaveMargin = 0.1

    /// What the asking worker should do with `items` (seconds each at pace 1); nil when
    /// `items` is empty or longer than ``maxItems``.
    static func pick(_ items: [Double], otherBusy: Double, mine pace: Double = 1, other otherPace: Double = 1,
                     leaveMargin: Double = TailPlan.leaveMargin) -> Step? {
        guard !items.isEmpty, items.count <= maxItems else { return nil }
        let total = items.reduce(0, +), other = Swift.max(0, otherBusy)
        var best: (end: Double, first: Int)?
        // The asking worker takes at least one task: the other may be slower than measured. Of
        // shares that end as early, the one with the longest task (started first, so that what
        // is left at the end is short).
        for mask in 1..<(1 << items.count) {
            var mine = 0.0, first = -1
            for i in items.indices where mask & (1 << i) != 0 {
                mine += items[i]
                if first < 0 || items[i] > items[first] { first = i }
            }
            let end = Swift.max(mine * pace, other + (total - mine) * otherPace)
            if let b = best, end > b.end + 1e-9 || (end > b.end - 1e-9 && items[first] <= items[b.first]) { continue }
            best = (end, first)
        }
        guard let best else { return nil }
        // At equal paces taking a task never ends later, so a worker leaves only for a faster one.
        return other + total * otherPace < best.end * (1 - leaveMargin) - 1e-9 ? .leave : .start(best.first)
    }
}

/// A seed for one fit, mixed from the search's seed and the (candidate, split) index, so that
/// each fit gets the same seed whichever thread runs it.
func fitSeed(_ base: UInt64, candidate: Int, split: Int) -> UInt64 {
    var z = base &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(bitPattern: Int64(candidate &* 1_000_003 &+ split &+ 1))
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// What to record when a fit fails. scikit-learn: `error_score` (default `np.nan`).
public enum ErrorScore: Sendable, Equatable {
    /// Record NaN and go on.
    case nan
    /// Rethrow the fit's error.
    case raise
    /// Record this score and go on.
    case value(Double)

    var score: Double {
        switch self {
        case .value(let v): return v
        default: return .nan
        }
    }
}

/// How to split for cross-validation: a number of folds (stratified for classifiers), a
/// splitter, or explicit splits. scikit-learn: `cv`.
public enum CV: ExpressibleByIntegerLiteral {
    case folds(Int)
    case splitter(CrossValidator)
    case splits([Split])

    public init(integerLiteral value: Int) { self = .folds(value) }

    func resolve(_ n: Int, _ y: Target, classifier: Bool) throws -> [Split] {
        switch self {
        case .folds(let k): return try defaultSplitter(k, classifier: classifier, y: y).split(n, y: y)
        case .splitter(let s): return try s.split(n, y: y)
        case .splits(let s):
            guard !s.isEmpty else { throw KerasError.invalidArgument("cv: the list of splits is empty") }
            for sp in s where (sp.train + sp.test).contains(where: { $0 < 0 || $0 >= n }) {
                throw KerasError.invalidArgument("cv: a split holds an index outside 0..<\(n)")
            }
            return s
        }
    }
}

/// The outcome of one fit in a search or cross-validation.
struct FitOutcome {
    var testScores: [Double]
    var trainScores: [Double]
    var fitTime: Double
    var scoreTime: Double
    var error: Error?
    var estimator: Estimator?
}

/// Clones `base`, sets `params`, fits on the split's train part under `seed`, and scores the
/// test part. A failure becomes `errorScore` (the error is kept for `.raise` and for reports).
func fitAndScore(_ base: Estimator, params: Params, x: Tensor, y: Target, sampleWeight: Tensor?, split: Split,
                 scorers: [Scorer], errorScore: ErrorScore, seed: UInt64, returnTrainScore: Bool,
                 keepEstimator: Bool) -> FitOutcome {
    let start = monotonicSeconds()
    var out = FitOutcome(testScores: [], trainScores: [], fitTime: 0, scoreTime: 0, error: nil, estimator: nil)
    do {
        let est = try base.clone()
        try est.setParams(params)
        let xt = takeRows(x, split.train), yt = try y.take(split.train)
        let sw = sampleWeight.map { takeRows($0, split.train) }
        try withRandomSeed(seed) { try est.fit(xt, yt, sampleWeight: sw) }
        out.fitTime = monotonicSeconds() - start
        guard let p = est as? Predictor else {
            throw KerasError.invalidArgument("\(est.estimatorName) cannot be scored: it does not predict")
        }
        let scoreStart = monotonicSeconds()
        let xs = takeRows(x, split.test), ys = try y.take(split.test)
        out.testScores = try scorers.map { try $0(p, xs, ys) }
        if returnTrainScore { out.trainScores = try scorers.map { try $0(p, xt, yt) } }
        out.scoreTime = monotonicSeconds() - scoreStart
        if keepEstimator { out.estimator = est }
    } catch {
        if out.fitTime == 0 { out.fitTime = monotonicSeconds() - start }
        out.error = error
        out.testScores = Array(repeating: errorScore.score, count: scorers.count)
        if returnTrainScore { out.trainScores = out.testScores }
    }
    return out
}

/// Refuses callback objects in parallel fits: each fit would share (and race on) one object.
func checkSharedCallbacks(_ estimator: Estimator, workers: Int, owner: String) throws {
    guard workers > 1 else { return }
    for case .object(let o) in callbackParams(estimator.getParams(deep: true)) where o is Callback {
        throw KerasError.invalidArgument("\(owner): callbacks given as objects would be shared by parallel fits (n_jobs > 1); wrap each in CallbackFactory { ... }")
    }
}

/// The callbacks (objects, factories or names) that `params` give fits: `callbacks` and every
/// nested `..._callbacks`.
func callbackParams(_ params: Params) -> [ParamValue] {
    var items: [ParamValue] = []
    for (k, v) in params where k == "callbacks" || k.hasSuffix("__callbacks") {
        if case .array(let a) = v { items += a } else if v != .none { items.append(v) }
    }
    return items
}

/// A search's refit started on a worker while the other workers finish the fits (once the fits
/// not yet started would keep the other workers busy about as long as the refit takes, or when
/// this worker runs out of fits; with two workers near the end, when ``TailPlan`` gives it to
/// the asking worker), for the candidate that leads among those whose folds are all
/// scored; while fits are left to take, not as long as another candidate whose folds are all
/// under way beats the leader on those scored so far (``hasContender``). The refit is seeded the same way whenever it runs, so when the leader stays the best the result is the one
/// a refit after the search gives, and the search saves that time (at the end of a search the
/// serial refit is what keeps two workers from being twice as fast as one). When another
/// candidate wins, the search discards it and refits the winner as usual. A candidate whose fits
/// run callbacks is never refitted early: what callbacks leave behind (checkpoints, logs) must
/// come from the one refit, after the search.
final class SpeculativeRefit: @unchecked Sendable {
    let candidate: Int
    private(set) var outcome: Result<(estimator: Estimator, seconds: Double), Error>?

    init(candidate: Int) { self.candidate = candidate }

    func run(_ refit: () throws -> (estimator: Estimator, seconds: Double)) {
        outcome = Result { try refit() }
    }

    /// The candidate whose refit a worker asking for work (``runTasks(_:workers:order:timeline:_:onDone:onIdle:)``'s
    /// `onIdle`) should start now, or nil (it takes a fit, or stops when none is left). `leader`:
    /// the best mean score and its candidate among those whose folds are all scored; `remaining`:
    /// the fits not yet taken (task `i` is candidate `i / splits`; `costs` per candidate, a
    /// refit costing `refitScale` times a fold's fit). The leader's refit starts once the fits
    /// left would keep the other `workers - 1` workers busy for no longer than it takes, so that
    /// it does not run alone after the last fit; while fits are left to take, not as long as a
    /// candidate that may still win is under way (``hasContender``): a refit of another
    /// candidate would be thrown away and the winner would refit alone after the fits.
    static func candidateToStart(leader: (mean: Double, candidate: Int)?, remaining: ArraySlice<Int>, costs: [Int],
                                 splits: Int, workers: Int, refitScale: Double, scored: [Int], sums: [Double]) -> Int? {
        guard let (mean, c) = leader, costs.indices.contains(c) else { return nil }
        let left = remaining.reduce(0) { $0 + (costs.indices.contains($1 / Swift.max(1, splits)) ? costs[$1 / Swift.max(1, splits)] : 0) }
        guard Double(left) <= Double(costs[c]) * refitScale * Double(workers - 1) else { return nil }
        if !remaining.isEmpty, hasContender(leader: c, leaderMean: mean, remaining: remaining, splits: splits,
                                            scored: scored, sums: sums) { return nil }
        return c
    }

    /// Whether a candidate other than `leader` has none of its folds left in `remaining` (task
    /// `i` is candidate `i / splits`), some but not all of them scored (`scored`, with score sums
    /// `sums`), and a mean over those at least `leaderMean`: it may still win once its folds
    /// under way are scored, so a refit of the leader started now may be thrown away.
    static func hasContender(leader: Int, leaderMean: Double, remaining: ArraySlice<Int>, splits: Int,
                             scored: [Int], sums: [Double]) -> Bool {
        let queued = Set(remaining.map { $0 / Swift.max(1, splits) })
        return scored.indices.contains { c in
            c != leader && scored[c] > 0 && scored[c] < splits && !queued.contains(c)
                && c < sums.count && sums[c] / Double(scored[c]) >= leaderMean
        }
    }

    /// The refitted estimator when `winner` is the candidate it refitted and the fit succeeded.
    func result(for winner: Int) -> (estimator: Estimator, seconds: Double)? {
        guard winner == candidate, case .success(let r)? = outcome else { return nil }
        return r
    }
}
