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
