import Foundation
import KerasSklearn

/// The estimator issue's benchmark: the iris grid search (8 candidates x 3 stratified folds + refit)
/// with one and two workers, each the best of `repeats` searches (a search takes a tenth of a
/// second, so one run says more about the machine's other load than about the search).
func searchBenchmarks(repeats: Int = 5) throws -> [BenchResult] {
    func best(_ jobs: Int) throws -> (seconds: Double, bestScore: Double) {
        var runs: [(seconds: Double, bestScore: Double)] = []
        for _ in 0..<repeats { runs.append(try SklearnBenchmarks.irisGridSearch(nJobs: jobs)) }
        return runs.min { $0.seconds < $1.seconds } ?? (.nan, .nan)
    }
    let one = try best(1)
    let two = try best(2)
    return [
        BenchResult(name: "iris_grid_search_n_jobs_1", unit: "s", value: one.seconds, lowerIsBetter: true,
                    note: String(format: "best accuracy %.4f (best of %d)", one.bestScore, repeats)),
        BenchResult(name: "iris_grid_search_n_jobs_2", unit: "s", value: two.seconds, lowerIsBetter: true,
                    note: String(format: "best accuracy %.4f; %.2fx the speed of 1 worker (best of %d)", two.bestScore,
                                 one.seconds / two.seconds, repeats)),
    ]
}

/// `KerasBench --profile-search N`: the iris grid search with one and with two workers, taken
/// in turns N times each, with the median of each and of their ratios (the figure of issue 5);
/// with `showSchedule`, each n_jobs=2 search's schedule too.
func profileSearch(runs: Int, showSchedule: Bool = false) throws {
    let (one, two) = try searchRounds(runs) { a, cpuA, b, cpuB, search in
        print(String(format: "n_jobs=1 %.4fs (CPU %.4fs)  n_jobs=2 %.4fs (CPU %.4fs)  ratio %.2f", a, cpuA, b, cpuB, a / b))
        if showSchedule { print(scheduleSummary(search, wall: b)) }
    }
    let ratios = zip(one, two).map { $0 / $1 }
    print(String(format: "median: n_jobs=1 %.4fs  n_jobs=2 %.4fs  ratio %.2f", median(one), median(two), median(ratios)))
}

/// `runs` iris grid searches with one worker and with two, taken in turns: their wall times;
/// `each` sees every pair (wall and process CPU seconds of each, and the n_jobs=2 search).
func searchRounds(_ runs: Int, each: (Double, Double, Double, Double, GridSearchCV) -> Void = { _, _, _, _, _ in })
    throws -> (one: [Double], two: [Double]) {
    var one: [Double] = [], two: [Double] = []
    for _ in 0..<max(runs, 1) {
        let c0 = processCPUSeconds()
        let a = try SklearnBenchmarks.irisGridSearch(nJobs: 1).seconds
        let c1 = processCPUSeconds()
        let (b, search) = try SklearnBenchmarks.irisGridSearchRun(nJobs: 2)
        let c2 = processCPUSeconds()
        one.append(a); two.append(b)
        each(a, c1 - c0, b, c2 - c1, search)
    }
    return (one, two)
}

/// One n_jobs=2 search as it ran (`--profile-search N --schedule`): per worker its fits in order
/// (`candidate/split` and milliseconds, `refit` for a refit, and its CPU time when its thread
/// waited for a core), its busy and idle time up to the last fit's end, and where the refit ran;
/// all in ms from the start of the fits.
func scheduleSummary(_ search: BaseSearchCV, wall: Double) -> String {
    let s = search.schedule
    let end = s.map(\.end).max() ?? 0
    var lines = [String(format: "  fit %.1f ms, fits and refit %.1f ms (outside them %.1f ms); best candidate %d; refit ",
                        1e3 * wall, 1e3 * end, 1e3 * (wall - end), search.bestIndex ?? -1)
                 + (search.refitSpeculated ? "speculated and kept" : "after the fits")]
    for w in Set(s.map { $0.worker ?? -1 }).sorted() {
        let mine = s.filter { ($0.worker ?? -1) == w }.sorted { $0.start < $1.start }
        let busy = mine.reduce(0) { $0 + $1.end - $1.start }, cpu = mine.reduce(0) { $0 + $1.cpu }
        let last = mine.last?.end ?? 0
        let items = mine.map { f in
            // A fit whose thread waited for a core: its CPU time beside its wall time.
            (f.split.map { "\(f.candidate)/\($0)" } ?? "refit\(f.candidate)") + String(format: " %.1f", 1e3 * (f.end - f.start))
                + (f.end - f.start > 1.2 * f.cpu + 2e-4 ? String(format: " (CPU %.1f)", 1e3 * f.cpu) : "")
        }
        lines.append("  " + (w < 0 ? "caller" : "worker \(w)")
                     + String(format: ": first at %.2f, busy %.1f (CPU %.1f), idle %.1f before its last end %.1f, %.1f after: ",
                            1e3 * (mine.first?.start ?? 0), 1e3 * busy, 1e3 * cpu,
                            1e3 * (last - (mine.first?.start ?? 0) - busy), 1e3 * last, 1e3 * (end - last))
                     + items.joined(separator: ", "))
    }
    return lines.joined(separator: "\n")
}

/// `runs` iris grid searches with one worker, the calling thread held on core 0, then on
/// core 1, taken in turns: each core's wall times (both empty on a one-core machine). With
/// the time of a two-worker search, they tell whether a process's n_jobs ratio is the search's
/// or the machine's: two workers can at best reach the two cores' speeds summed, a search time
/// of 1 / (1/core0 + 1/core1), which is n_jobs 1 / 2 only when the cores run equally fast (in
/// some processes here one vCPU runs its fits 15-50% slower than the other).
func searchesByCore(_ runs: Int) throws -> (core0: [Double], core1: [Double]) {
    // glibc's sched_{get,set}affinity (not imported into Swift without _GNU_SOURCE), on a
    // 1024-bit CPU mask as cpu_set_t holds it.
    typealias Affinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32
    func call(_ name: String, _ mask: inout [UInt8]) -> Bool {
        guard let f = dlsym(nil, name).map({ unsafeBitCast($0, to: Affinity.self) }) else { return false }
        return mask.withUnsafeMutableBytes { raw in raw.baseAddress.map { f(0, raw.count, $0) == 0 } ?? false }
    }
    var original = [UInt8](repeating: 0, count: 128)
    guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1, call("sched_getaffinity", &original) else { return ([], []) }
    defer { _ = call("sched_setaffinity", &original) }
    var times: [[Double]] = [[], []]
    for _ in 0..<max(runs, 1) {
        for core in 0..<2 {
            var one = [UInt8](repeating: 0, count: 128)
            one[core / 8] |= UInt8(1 << (core % 8))
            guard call("sched_setaffinity", &one) else { return ([], []) }
            times[core].append(try SklearnBenchmarks.irisGridSearch(nJobs: 1).seconds)
        }
    }
    return (times[0], times[1])
}

/// CPU seconds used by the whole process (all threads), user and system.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// `KerasBench --profile-search-cpu N`: N pairs of iris grid searches (n_jobs 1, then 2); each
/// fit's thread CPU time in the n_jobs 2 search over the same (candidate, split) fit's in the
/// n_jobs 1 search before it, per worker (the median over all pairs), and each search's CPU
/// time outside its fits and refit (the serial set-up and tear-down).
func profileSearchCPU(runs: Int) throws {
    var perWorker: [Int: [Double]] = [:]
    var serial1: [Double] = [], serial2: [Double] = [], startGap: [Double] = []
    var taskCPU: [String: [Double]] = [:]
    for _ in 0..<max(runs, 1) {
        let c0 = processCPUSeconds()
        let (_, one) = try SklearnBenchmarks.irisGridSearchRun(nJobs: 1)
        let c1 = processCPUSeconds()
        let (_, two) = try SklearnBenchmarks.irisGridSearchRun(nJobs: 2)
        let c2 = processCPUSeconds()
        var alone: [String: Double] = [:]
        for f in one.schedule {
            alone["\(f.candidate)/\(f.split ?? -1)"] = f.cpu
            taskCPU[f.split.map { "\(f.candidate)/\($0)" } ?? "refit\(f.candidate)", default: []].append(f.cpu)
        }
        for f in two.schedule {
            guard let a = alone["\(f.candidate)/\(f.split ?? -1)"], a > 0 else { continue }
            perWorker[f.worker ?? -1, default: []].append(f.cpu / a)
        }
        serial1.append(c1 - c0 - one.schedule.reduce(0) { $0 + $1.cpu })
        serial2.append(c2 - c1 - two.schedule.reduce(0) { $0 + $1.cpu })
        let firsts = Dictionary(grouping: two.schedule, by: { $0.worker ?? -1 }).mapValues { $0.map(\.start).min() ?? 0 }
        startGap.append((firsts[1] ?? 0) - (firsts[0] ?? 0))
    }
    for (w, r) in perWorker.sorted(by: { $0.key < $1.key }) {
        print(String(format: "worker %d: a fit's CPU over the same fit's with n_jobs 1: median %.3f [%.3f-%.3f] of %d fits",
                     w, median(r), r.min() ?? .nan, r.max() ?? .nan, r.count))
    }
    // Each task's CPU alone (n_jobs 1), for simulating schedules: candidate/split or refitN, ms.
    print("n_jobs 1 CPU per task (ms, medians): " + taskCPU.sorted { $0.key < $1.key }
        .map { "\($0.key)=" + String(format: "%.3f", 1e3 * median($0.value)) }.joined(separator: " "))
    print(String(format: "CPU outside the fits and refit: n_jobs 1 %.2f ms, n_jobs 2 %.2f ms (medians); worker 1 starts %.2f ms after worker 0",
                 1e3 * median(serial1), 1e3 * median(serial2), 1e3 * median(startGap)))
}
