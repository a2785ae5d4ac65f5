import Foundation

/// Progress of a running search or cross-validation, reported after each fit.
public struct SearchProgress: Sendable {
    /// Fits finished so far.
    public let fitsDone: Int
    /// Fits in total (candidates × splits).
    public let totalFits: Int
    /// The best mean test score among candidates whose splits are all done.
    public let bestScore: Double?
    /// That candidate's parameters.
    public let bestParams: Params?
}

/// One fit of a search as it ran: which worker ran it and when.
public struct ScheduledFit: Sendable, Equatable {
    /// The candidate's index (the refit's: the candidate it refitted).
    public let candidate: Int
    /// The split's index; nil for the refit on all the data.
    public let split: Int?
    /// The worker thread (0..<workers; worker 0 is the calling thread); nil for a refit run
    /// on the calling thread after the fits.
    public let worker: Int?
    /// Seconds from the start of the search's fits.
    public let start: Double
    public let end: Double
    /// CPU seconds of the thread that ran it (below `end - start` when it waited for a core).
    public let cpu: Double
}

/// Shared by ``GridSearchCV`` and ``RandomizedSearchCV``: fits every candidate on every split
/// (on `nJobs` worker threads of this process), records ``cvResults``, and refits the best
/// candidate on all the data. scikit-learn: `BaseSearchCV`.
///
/// Each fit runs as a parallel worker (single-threaded kernels, OpenBLAS at one thread for the
/// search) with a seed mixed from `randomState` and its (candidate, split) index, so scores,
/// best parameters and the refitted weights are the same for any `nJobs`.
open class BaseSearchCV: Predictor, @unchecked Sendable {
    /// The estimator whose clones are fitted.
    public let estimator: Estimator
    /// Scoring; nil uses the estimator's `score`.
    public var scoring: Scorer?
    /// Worker threads (1: the calling thread; -1: all cores).
    public var nJobs: Int
    /// Refit the best candidate on all data (`bestEstimator`).
    public var refit: Bool
    public var cv: CV
    /// 0 silent; 1 prints the plan; 2 also prints each fit.
    public var verbose: Int
    public var errorScore: ErrorScore
    public var returnTrainScore: Bool
    /// Seeds the fits (and, for the randomized search, the sampling).
    public var randomState: Int?
    /// Called after each fit, on the thread that ran it, under the search's lock.
    public var progress: ((SearchProgress) -> Void)?

    /// scikit-learn: `cv_results_`.
    public private(set) var cvResults: CVResults?
    /// scikit-learn: `best_index_`.
    public private(set) var bestIndex: Int?
    /// scikit-learn: `best_params_`.
    public private(set) var bestParams: Params?
    /// scikit-learn: `best_score_` (mean test score of the best candidate).
    public private(set) var bestScore: Double?
    /// scikit-learn: `best_estimator_` (with `refit`).
    public private(set) var bestEstimator: Estimator?
    /// scikit-learn: `refit_time_`.
    public private(set) var refitTime: Double?
    /// Whether the refit ran on a worker while the other workers finished the fits (``SpeculativeRefit``).
    public private(set) var refitSpeculated = false
    /// scikit-learn: `n_splits_`.
    public private(set) var nSplits: Int?
    /// When each fit and the refit ran, and on which worker, in the order they finished (a
    /// speculative refit that lost is listed too): the idle time of each worker and whether the
    /// refit overlapped the fits.
    public private(set) var schedule: [ScheduledFit] = []
    /// The errors of failed fits, by (candidate, split).
    public private(set) var fitErrors: [(candidate: Int, split: Int, error: Error)] = []

    init(estimator: Estimator, scoring: Scorer?, nJobs: Int, refit: Bool, cv: CV, verbose: Int,
         errorScore: ErrorScore, returnTrainScore: Bool, randomState: Int?) {
        self.estimator = estimator
        self.scoring = scoring
        self.nJobs = nJobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.errorScore = errorScore
        self.returnTrainScore = returnTrainScore
        self.randomState = randomState
    }

    open var searchName: String { "BaseSearchCV" }
    public var estimatorName: String { searchName }
    public var isClassifier: Bool { estimator.isClassifier }
    public var classLabels: [String]? { (bestEstimator as? Predictor)?.classLabels }

    /// The search's own settings plus the estimator's parameters as `estimator__<key>`.
    public func getParams(deep: Bool = true) -> Params {
        var p: Params = ["n_jobs": .int(nJobs), "refit": .bool(refit), "verbose": .int(verbose),
                         "return_train_score": .bool(returnTrainScore),
                         "random_state": randomState.map { .int($0) } ?? ParamValue.none,
                         "scoring": scoring.map { .string($0.name) } ?? ParamValue.none, "estimator": .object(estimator)]
        if deep { for (k, v) in estimator.getParams(deep: true) { p["estimator__" + k] = v } }
        return p
    }

    /// Sets `n_jobs`, `refit`, `verbose`, `return_train_score`, `random_state`, `scoring` (a
    /// name), or the estimator's parameters as `estimator__<key>`.
    public func setParams(_ params: Params) throws {
        let r = ParamReader(owner: "\(searchName).setParams", params: params)
        var nested: Params = [:]
        for (k, v) in params {
            switch k {
            case "n_jobs": nJobs = try r.int(k, default: nJobs)
            case "refit": refit = try r.bool(k, default: refit)
            case "verbose": verbose = try r.int(k, default: verbose)
            case "return_train_score": returnTrainScore = try r.bool(k, default: returnTrainScore)
            case "random_state": randomState = try r.optionalInt(k)
            case "scoring": scoring = try r.string(k).map { try Scorer.named($0) }
            default:
                guard k.hasPrefix("estimator__") else {
                    throw KerasError.invalidArgument("\(searchName).setParams: invalid parameter '\(k)'. Valid parameters are: n_jobs, random_state, refit, return_train_score, scoring, verbose, estimator__*")
                }
                nested[String(k.dropFirst("estimator__".count))] = v
            }
        }
        if !nested.isEmpty { try estimator.setParams(nested) }
    }

    /// An unfitted search with the same settings over a clone of the estimator.
    public func clone() throws -> Estimator {
        let copy = try makeCopy(estimator.clone())
        copy.progress = progress
        return copy
    }

    /// A new search of the same kind over `estimator`.
    open func makeCopy(_ estimator: Estimator) throws -> BaseSearchCV {
        throw KerasError.invalidState("\(searchName): makeCopy must be overridden")
    }

    /// The candidates to evaluate.
    open func candidates() throws -> [Params] { [] }

    /// Runs the search. scikit-learn: `fit(X, y)`.
    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws {
        try checkFeatures(x, owner: "\(searchName).fit", rows: y.count, nd: true)
        let scorer = scoring ?? .estimatorScore
        try scorer.validate()
        let cands = try candidates()
        guard !cands.isEmpty else { throw KerasError.invalidArgument("\(searchName): there are no candidates to evaluate") }
        // Setting each candidate on a clone checks every key before any fit runs.
        for c in cands { try estimator.clone().setParams(c) }
        let splits = try cv.resolve(y.count, y, classifier: estimator.isClassifier)
        let k = splits.count
        let total = cands.count * k
        let workers = try resolveJobs(nJobs, tasks: total, owner: searchName)
        try checkSharedCallbacks(estimator, workers: workers, owner: searchName)
        let base = randomState.map { UInt64(bitPattern: Int64($0)) } ?? RandomGenerator.current.nextSeed()
        if verbose > 0 { print("Fitting \(k) folds for each of \(cands.count) candidates, totalling \(total) fits") }

        var done = 0
        var splitsDone = Array(repeating: 0, count: cands.count)
        var sums = Array(repeating: 0.0, count: cands.count)
        var best: (mean: Double, candidate: Int)?
        let est = estimator, refits = refit, errScore = errorScore, train = returnTrainScore, verb = verbose, report = progress
        let refitSeed = fitSeed(base, candidate: -1, split: 0)
        var speculation: SpeculativeRefit?
        let costs = candidateCosts(cands, base: est)
        // A refit trains on every row, a fold's fit on its training part.
        let refitScale = Double(y.count) / Double(Swift.max(1, splits.map(\.train.count).min() ?? 1))
        // Each candidate's measured seconds per fit (fit and score), for the tail's plan.
        var measured = Array(repeating: (sum: 0.0, count: 0), count: cands.count)
        func expected(_ c: Int) -> Double? { measured[c].count > 0 ? measured[c].sum / Double(measured[c].count) : nil }
        // Whether a candidate's refit may run early: not when its fits run callbacks (asked once each).
        var callbackFree = [Bool?](repeating: nil, count: cands.count)
        func speculable(_ c: Int) -> Bool {
            if let known = callbackFree[c] { return known }
            let free = callbackParams(est.getParams(deep: true).merging(cands[c]) { $1 }).isEmpty
            callbackFree[c] = free
            return free
        }
        func startRefit(_ leader: Int) -> TaskChoice {
            let s = SpeculativeRefit(candidate: leader)
            speculation = s
            return .extra { s.run { try Self.refitEstimator(est, cands[leader], x, y, sampleWeight, seed: refitSeed) } }
        }
        let timeline = TaskTimeline()
        // Each worker's pace: the CPU seconds of its fits over the mean CPU seconds of the same
        // candidates' fits on any worker (1 until it has run one), so that the plan gives a
        // slower core less of the tail. CPU time, not wall: a slow vCPU shows in both, while a
        // fit that waited for a core (another process) says nothing about the next.
        func paces() -> [Double] {
            var sums = Array(repeating: (cpu: 0.0, count: 0), count: cands.count)
            for e in timeline.entries {
                guard let t = e.task, sums.indices.contains(t / k) else { continue }
                sums[t / k].cpu += e.cpu
                sums[t / k].count += 1
            }
            var took = Array(repeating: 0.0, count: workers), meant = took
            for e in timeline.entries where took.indices.contains(e.worker) {
                guard let t = e.task, sums.indices.contains(t / k), sums[t / k].count > 0 else { continue }
                took[e.worker] += e.cpu
                meant[e.worker] += sums[t / k].cpu / Double(sums[t / k].count)
            }
            return zip(took, meant).map { $1 > 0 && $0 > 0 ? $0 / $1 : 1 }
        }
        // Two workers near the end: share the fits left and the refit still to start (`refitNow`,
        // the leader's, when it may start) by their measured times and paces (``TailPlan``; the
        // slower worker may leave the rest to the other). Nil (the order and the refit's own rule
        // stand) while a time is unknown, with more fits left than the plan takes, while the
        // refit is to come but may not start yet, or once the other worker has stopped.
        func planned(_ worker: Int, _ remaining: ArraySlice<Int>, _ others: [BusyWorker?], refitNow: Int?,
                     refitToCome: Bool) -> TaskChoice? {
            guard workers == 2, remaining.count + (refitToCome ? 1 : 0) <= TailPlan.maxItems,
                  !refitToCome || refitNow != nil, others.contains(where: { $0 != nil }) else { return nil }
            var items: [Double] = []
            for t in remaining {
                guard let e = expected(t / k) else { return nil }
                items.append(e)
            }
            if let r = refitNow {
                guard let e = expected(r) else { return nil }
                items.append(e * refitScale)
            }
            let now = monotonicSeconds(), pace = paces()
            var otherBusy = 0.0, otherPace = 1.0
            for (o, busy) in others.enumerated() {
                guard let w = busy else { continue }
                // A worker running an extra runs the speculative refit.
                let running: Double?
                if let t = w.task { running = expected(t / k) } else { running = speculation.flatMap { expected($0.candidate) } }
                guard let e = w.task == nil ? running.map({ $0 * refitScale }) : running else { return nil }
                otherPace = pace.indices.contains(o) ? pace[o] : 1
                otherBusy = Swift.max(otherBusy, w.since + e * otherPace - now)
            }
            let mine = pace.indices.contains(worker) ? pace[worker] : 1
            guard let step = TailPlan.pick(items, otherBusy: otherBusy, mine: mine, other: otherPace) else { return nil }
            guard case .start(let i) = step else { return .leave }
            if i == remaining.count, let r = refitNow { return startRefit(r) }
            return .take(i)
        }
        let started = monotonicSeconds()
        let outcomes: [FitOutcome?] = runTasks(total, workers: workers, order: longestFirst(costs, splits: k),
                                               timeline: timeline, { i in
            let c = i / k, s = i % k
            return fitAndScore(est, params: cands[c], x: x, y: y, sampleWeight: sampleWeight, split: splits[s],
                               scorers: [scorer], errorScore: errScore, seed: fitSeed(base, candidate: c, split: s),
                               returnTrainScore: train, keepEstimator: false)
        }, onDone: { i, o in
            let c = i / k, s = i % k
            done += 1
            measured[c].sum += o.fitTime + o.scoreTime
            measured[c].count += 1
            splitsDone[c] += 1
            sums[c] += o.testScores.first ?? .nan
            if splitsDone[c] == k {
                let mean = sums[c] / Double(k)
                if !mean.isNaN, best == nil || mean > best!.0 || (mean == best!.0 && c < best!.1) { best = (mean, c) }
            }
            if verb > 1 {
                let score = o.testScores.first.map { String($0) } ?? "nan"
                print("[CV \(s + 1)/\(k)] END \(cands[c].pythonDescription); score=\(score); total time=\(String(format: "%.3f", o.fitTime + o.scoreTime))s" + (o.error.map { " (failed: \($0))" } ?? ""))
            }
            report?(SearchProgress(fitsDone: done, totalFits: total, bestScore: best?.0, bestParams: best.map { cands[$0.1] }))
        }, onIdle: { worker, remaining, others in
            let refitToCome = refits && speculation == nil
            var refitNow: Int?
            if refitToCome, let leader = best, speculable(leader.candidate),
               remaining.isEmpty || !SpeculativeRefit.hasContender(leader: leader.candidate, leaderMean: leader.mean,
                                                                   remaining: remaining, splits: k,
                                                                   scored: splitsDone, sums: sums) { refitNow = leader.candidate }
            if let choice = planned(worker, remaining, others, refitNow: refitNow, refitToCome: refitToCome) { return choice }
            guard refitToCome,
                  let leader = SpeculativeRefit.candidateToStart(leader: best, remaining: remaining, costs: costs, splits: k,
                                                                 workers: workers, refitScale: refitScale,
                                                                 scored: splitsDone, sums: sums),
                  speculable(leader) else { return nil }
            return startRefit(leader)
        })
        let table = (0..<cands.count).map { c in (0..<k).map { outcomes[c * k + $0]! } }
        fitErrors = []
        for (c, row) in table.enumerated() { for (s, o) in row.enumerated() { if let e = o.error { fitErrors.append((c, s, e)) } } }
        if errorScore == .raise, let first = fitErrors.first { throw first.error }
        if fitErrors.count == total, let first = fitErrors.first {
            throw KerasError.callbackFailed("\(searchName): all the \(total) fits failed; the first error: \(first.error)")
        }
        let results = CVResults(params: cands, outcomes: table, nSplits: k, returnTrainScore: returnTrainScore)
        cvResults = results
        nSplits = k
        let bi = results.rankTestScore.firstIndex(of: 1) ?? 0
        bestIndex = bi
        bestParams = cands[bi]
        bestScore = results.meanTestScore[bi]
        bestEstimator = nil
        refitTime = nil
        refitSpeculated = false
        schedule = timeline.entries.map { e in
            ScheduledFit(candidate: e.task.map { $0 / k } ?? speculation?.candidate ?? bi, split: e.task.map { $0 % k },
                         worker: e.worker, start: e.start - started, end: e.end - started, cpu: e.cpu)
        }
        if refit {
            let refitStart = monotonicSeconds(), refitCPU = threadCPUSeconds()
            let r = try speculation?.result(for: bi) ?? Parallel.asWorker {
                try Self.refitEstimator(estimator, cands[bi], x, y, sampleWeight, seed: refitSeed)
            }
            refitSpeculated = speculation?.result(for: bi) != nil
            if !refitSpeculated {
                schedule.append(ScheduledFit(candidate: bi, split: nil, worker: nil, start: refitStart - started,
                                             end: monotonicSeconds() - started, cpu: threadCPUSeconds() - refitCPU))
            }
            refitTime = r.seconds
            bestEstimator = r.estimator
        }
    }

    /// A clone of `base` with `params`, fitted on all the data with the refit's seed; and the
    /// seconds it took (scikit-learn's `refit_time_`).
    static func refitEstimator(_ base: Estimator, _ params: Params, _ x: Tensor, _ y: Target, _ sampleWeight: Tensor?,
                               seed: UInt64) throws -> (estimator: Estimator, seconds: Double) {
        let e = try base.clone()
        try e.setParams(params)
        let start = monotonicSeconds()
        try withRandomSeed(seed) { try e.fit(x, y, sampleWeight: sampleWeight) }
        return (e, monotonicSeconds() - start)
    }

    func fittedBest(_ what: String) throws -> Predictor {
        guard let p = bestEstimator as? Predictor else {
            throw KerasError.invalidState("\(searchName).\(what): needs a search fitted with refit=True")
        }
        return p
    }

    /// Predictions of the refitted best estimator.
    public func predict(_ x: Tensor) throws -> Target { try fittedBest("predict").predict(x) }
    /// Class probabilities of the refitted best estimator.
    public func predictProba(_ x: Tensor) throws -> Tensor { try fittedBest("predictProba").predictProba(x) }
    /// The search's scoring applied to the refitted best estimator.
    public func score(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws -> Double {
        let best = try fittedBest("score")
        if let scoring { return try scoring(best, x, y) }
        return try best.score(x, y, sampleWeight: sampleWeight)
    }
}

/// Exhaustive search over a grid (or a list of grids) of parameter values, scored by
/// cross-validation. scikit-learn: `GridSearchCV`.
///
/// ```swift
/// let search = GridSearchCV(clf, ["model__hidden": [8, 16], "epochs": [50, 100], "optimizer": ["adam", "sgd"]],
///                           cv: 3, nJobs: 2, randomState: 0)
/// try search.fit(x, y)
/// print(search.bestParams!, search.bestScore!)
/// ```
public final class GridSearchCV: BaseSearchCV, @unchecked Sendable {
    public let paramGrid: ParameterGrid

    public init(_ estimator: Estimator, _ paramGrid: [String: [ParamValue]], scoring: Scorer? = nil, nJobs: Int = 1,
                refit: Bool = true, cv: CV = 5, verbose: Int = 0, errorScore: ErrorScore = .nan,
                returnTrainScore: Bool = false, randomState: Int? = nil) {
        self.paramGrid = ParameterGrid(paramGrid)
        super.init(estimator: estimator, scoring: scoring, nJobs: nJobs, refit: refit, cv: cv, verbose: verbose,
                   errorScore: errorScore, returnTrainScore: returnTrainScore, randomState: randomState)
    }

    /// A search over several grids, one after another.
    public init(_ estimator: Estimator, grids: [[String: [ParamValue]]], scoring: Scorer? = nil, nJobs: Int = 1,
                refit: Bool = true, cv: CV = 5, verbose: Int = 0, errorScore: ErrorScore = .nan,
                returnTrainScore: Bool = false, randomState: Int? = nil) {
        self.paramGrid = ParameterGrid(grids)
        super.init(estimator: estimator, scoring: scoring, nJobs: nJobs, refit: refit, cv: cv, verbose: verbose,
                   errorScore: errorScore, returnTrainScore: returnTrainScore, randomState: randomState)
    }

    public override var searchName: String { "GridSearchCV" }

    public override func makeCopy(_ estimator: Estimator) throws -> BaseSearchCV {
        GridSearchCV(estimator, grids: paramGrid.grids, scoring: scoring, nJobs: nJobs, refit: refit, cv: cv,
                     verbose: verbose, errorScore: errorScore, returnTrainScore: returnTrainScore, randomState: randomState)
    }

    public override func candidates() throws -> [Params] {
        try paramGrid.validate(owner: searchName)
        return paramGrid.candidates
    }
}

/// Search over `nIter` settings drawn from distributions, scored by cross-validation; the draws
/// are seeded by `randomState`. scikit-learn: `RandomizedSearchCV` (default `n_iter` 10).
///
/// ```swift
/// let search = RandomizedSearchCV(clf, ["optimizer__learning_rate": .logUniform(1e-4, 1e-1),
///                                       "model__hidden": .randInt(4, 33)], nIter: 20, randomState: 0)
/// ```
public final class RandomizedSearchCV: BaseSearchCV, @unchecked Sendable {
    public var paramDistributions: [[String: ParamDistribution]] { distributionsOverride ?? distributions }
    private let distributions: [[String: ParamDistribution]]
    fileprivate var distributionsOverride: [[String: ParamDistribution]]?
    public let nIter: Int

    public init(_ estimator: Estimator, _ paramDistributions: [String: ParamDistribution], nIter: Int = 10,
                scoring: Scorer? = nil, nJobs: Int = 1, refit: Bool = true, cv: CV = 5, verbose: Int = 0,
                errorScore: ErrorScore = .nan, returnTrainScore: Bool = false, randomState: Int? = nil) {
        self.distributions = [paramDistributions]
        self.nIter = nIter
        super.init(estimator: estimator, scoring: scoring, nJobs: nJobs, refit: refit, cv: cv, verbose: verbose,
                   errorScore: errorScore, returnTrainScore: returnTrainScore, randomState: randomState)
    }

    public override var searchName: String { "RandomizedSearchCV" }

    public override func makeCopy(_ estimator: Estimator) throws -> BaseSearchCV {
        let copy = RandomizedSearchCV(estimator, [:], nIter: nIter, scoring: scoring, nJobs: nJobs, refit: refit, cv: cv,
                                      verbose: verbose, errorScore: errorScore, returnTrainScore: returnTrainScore,
                                      randomState: randomState)
        copy.distributionsOverride = paramDistributions
        return copy
    }

    public override func candidates() throws -> [Params] {
        try ParameterSampler(paramDistributions, nIter: nIter, randomState: randomState).candidates()
    }
}
