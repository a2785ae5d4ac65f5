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
/// in turns N times each, with the median of each and of their ratios (the figure of issue 5).
func profileSearch(runs: Int) throws {
    var one: [Double] = [], two: [Double] = [], ratios: [Double] = []
    for _ in 0..<max(runs, 1) {
        let c0 = processCPUSeconds()
        let a = try SklearnBenchmarks.irisGridSearch(nJobs: 1).seconds
        let c1 = processCPUSeconds()
        let b = try SklearnBenchmarks.irisGridSearch(nJobs: 2).seconds
        let c2 = processCPUSeconds()
        one.append(a); two.append(b); ratios.append(a / b)
        print(String(format: "n_jobs=1 %.4fs (CPU %.4fs)  n_jobs=2 %.4fs (CPU %.4fs)  ratio %.2f", a, c1 - c0, b, c2 - c1, a / b))
    }
    func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
    print(String(format: "median: n_jobs=1 %.4fs  n_jobs=2 %.4fs  ratio %.2f", median(one), median(two), median(ratios)))
}

/// CPU seconds used by the whole process (all threads), user and system.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
