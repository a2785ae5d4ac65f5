/// The result of ``crossValidate(_:_:_:cv:scoring:nJobs:returnTrainScore:returnEstimator:errorScore:randomState:)``,
/// keyed as scikit-learn's dictionary: `fit_time`, `score_time`, `test_score` (one scorer) or
/// `test_<name>` (several), and `train_*` with `returnTrainScore`.
public struct CrossValidateResult {
    public let fitTime: [Double]
    public let scoreTime: [Double]
    /// Scores per split by key (`test_score`, `test_accuracy`, `train_score`).
    public let scores: [String: [Double]]
    /// The fitted estimators, with `returnEstimator`.
    public let estimators: [Estimator]?

    /// `test_score`, or the first scorer's test scores.
    public var testScore: [Double] { scores["test_score"] ?? scores.first { $0.key.hasPrefix("test_") }?.value ?? [] }
}

/// Fits and scores `estimator` on each split, on `nJobs` worker threads; each fit is seeded from
/// `randomState` and its split index. A failed fit scores `errorScore`. scikit-learn:
/// `cross_validate`.
public func crossValidate(_ estimator: Estimator, _ x: Tensor, _ y: Target, cv: CV = 5, scoring: [Scorer]? = nil,
                          nJobs: Int = 1, returnTrainScore: Bool = false, returnEstimator: Bool = false,
                          errorScore: ErrorScore = .nan, randomState: Int? = nil,
                          progress: ((SearchProgress) -> Void)? = nil) throws -> CrossValidateResult {
    try checkFeatures(x, owner: "cross_validate", rows: y.count, nd: true)
    let scorers = scoring ?? [.estimatorScore]
    guard !scorers.isEmpty else { throw KerasError.invalidArgument("cross_validate: scoring is an empty list") }
    for s in scorers { try s.validate() }
    let splits = try cv.resolve(y.count, y, classifier: estimator.isClassifier)
    let workers = try resolveJobs(nJobs, tasks: splits.count, owner: "cross_validate")
    try checkSharedCallbacks(estimator, workers: workers, owner: "cross_validate")
    let base = randomState.map { UInt64(bitPattern: Int64($0)) } ?? RandomGenerator.current.nextSeed()
    var done = 0
    let outcomes = runTasks(splits.count, workers: workers, { s in
        fitAndScore(estimator, params: [:], x: x, y: y, sampleWeight: nil, split: splits[s], scorers: scorers,
                    errorScore: errorScore, seed: fitSeed(base, candidate: 0, split: s),
                    returnTrainScore: returnTrainScore, keepEstimator: returnEstimator)
    }, onDone: { _, _ in
        done += 1
        progress?(SearchProgress(fitsDone: done, totalFits: splits.count, bestScore: nil, bestParams: nil))
    }).map { $0! }
    let errors = outcomes.compactMap(\.error)
    if errorScore == .raise, let e = errors.first { throw e }
    if errors.count == outcomes.count, let e = errors.first {
        throw KerasError.callbackFailed("cross_validate: all the \(outcomes.count) fits failed; the first error: \(e)")
    }
    var scores: [String: [Double]] = [:]
    let single = scoring == nil || scorers.count == 1
    for (j, s) in scorers.enumerated() {
        let name = single ? "score" : s.name
        scores["test_" + name] = outcomes.map { $0.testScores[j] }
        if returnTrainScore { scores["train_" + name] = outcomes.map { $0.trainScores[j] } }
    }
    return CrossValidateResult(fitTime: outcomes.map(\.fitTime), scoreTime: outcomes.map(\.scoreTime), scores: scores,
                               estimators: returnEstimator ? outcomes.compactMap(\.estimator) : nil)
}

/// Test scores of `estimator` on each split. scikit-learn: `cross_val_score`.
///
/// ```swift
/// let scores = try crossValScore(clf, x, y, cv: 5, scoring: "accuracy", nJobs: 2, randomState: 0)
/// ```
public func crossValScore(_ estimator: Estimator, _ x: Tensor, _ y: Target, cv: CV = 5, scoring: Scorer? = nil,
                          nJobs: Int = 1, errorScore: ErrorScore = .nan, randomState: Int? = nil) throws -> [Double] {
    try crossValidate(estimator, x, y, cv: cv, scoring: scoring.map { [$0] }, nJobs: nJobs, errorScore: errorScore,
                      randomState: randomState).testScore
}
