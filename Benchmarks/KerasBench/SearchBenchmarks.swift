import KerasSklearn

/// The estimator issue's benchmark: the iris grid search (8 candidates x 3 stratified folds + refit)
/// with one and two workers.
func searchBenchmarks() throws -> [BenchResult] {
    let one = try SklearnBenchmarks.irisGridSearch(nJobs: 1)
    let two = try SklearnBenchmarks.irisGridSearch(nJobs: 2)
    return [
        BenchResult(name: "iris_grid_search_n_jobs_1", unit: "s", value: one.seconds, lowerIsBetter: true,
                    note: String(format: "best accuracy %.4f", one.bestScore)),
        BenchResult(name: "iris_grid_search_n_jobs_2", unit: "s", value: two.seconds, lowerIsBetter: true,
                    note: String(format: "best accuracy %.4f; %.2fx the speed of 1 worker", two.bestScore, one.seconds / two.seconds)),
    ]
}
