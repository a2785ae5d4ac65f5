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

/// CPU seconds used by the whole process (all threads), user and system.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
