/// What a search records per candidate, as scikit-learn's `cv_results_`: `params`,
/// `param_<name>`, `split<i>_test_score`, `mean_test_score`, `std_test_score`,
/// `rank_test_score`, `mean_fit_time`, `std_fit_time`, `mean_score_time`, `std_score_time`, and
/// with `returnTrainScore` the `*_train_score` columns. Standard deviations are population ones
/// (numpy's default).
public struct CVResults: Sendable {
    /// The candidates' parameters, in search order.
    public let params: [Params]
    /// Numeric columns by scikit-learn key.
    public let columns: [String: [Double]]
    /// `rank_test_score`: 1 is best; NaN scores rank last.
    public let rankTestScore: [Int]
    /// `param_<name>` columns (`.none` where a candidate lacks the key, as a masked entry).
    public let paramColumns: [String: [ParamValue]]
    /// The number of splits.
    public let nSplits: Int

    public var meanTestScore: [Double] { columns["mean_test_score"] ?? [] }
    public var stdTestScore: [Double] { columns["std_test_score"] ?? [] }
    public var meanFitTime: [Double] { columns["mean_fit_time"] ?? [] }
    /// `split<i>_test_score` for split `i`.
    public func splitTestScore(_ i: Int) -> [Double] { columns["split\(i)_test_score"] ?? [] }

    /// A numeric column by key (`mean_test_score`, `split0_test_score`, `rank_test_score`).
    public subscript(key: String) -> [Double]? {
        if key == "rank_test_score" { return rankTestScore.map(Double.init) }
        return columns[key]
    }

    /// Every key, as in `cv_results_.keys()`.
    public var keys: [String] {
        (Array(columns.keys) + ["rank_test_score", "params"] + paramColumns.keys.map { "param_" + $0 }).sorted()
    }

    init(params: [Params], outcomes: [[FitOutcome]], nSplits: Int, returnTrainScore: Bool) {
        self.params = params
        self.nSplits = nSplits
        var cols: [String: [Double]] = [:]
        func stats(_ values: [[Double]], _ name: String) {
            let means = values.map { v in v.reduce(0, +) / Double(v.count) }
            cols["mean_" + name] = means
            cols["std_" + name] = zip(values, means).map { v, m in (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot() }
        }
        let test = outcomes.map { $0.map { $0.testScores.first ?? .nan } }
        for s in 0..<nSplits { cols["split\(s)_test_score"] = test.map { $0[s] } }
        stats(test, "test_score")
        if returnTrainScore {
            let train = outcomes.map { $0.map { $0.trainScores.first ?? .nan } }
            for s in 0..<nSplits { cols["split\(s)_train_score"] = train.map { $0[s] } }
            stats(train, "train_score")
        }
        stats(outcomes.map { $0.map(\.fitTime) }, "fit_time")
        stats(outcomes.map { $0.map(\.scoreTime) }, "score_time")
        columns = cols
        rankTestScore = rankMin(cols["mean_test_score"] ?? [])
        var pc: [String: [ParamValue]] = [:]
        let names = Set(params.flatMap(\.keys))
        for k in names { pc[k] = params.map { $0[k] ?? .none } }
        paramColumns = pc
    }
}

/// scikit-learn's ranking: `rankdata(-means, method="min")`, NaN treated as below the minimum.
func rankMin(_ means: [Double]) -> [Int] {
    let finite = means.filter { !$0.isNaN }
    guard !finite.isEmpty else { return Array(repeating: 1, count: means.count) }
    let floor = finite.min()! - 1
    let m = means.map { $0.isNaN ? floor : $0 }
    return m.map { v in 1 + m.filter { $0 > v }.count }
}
