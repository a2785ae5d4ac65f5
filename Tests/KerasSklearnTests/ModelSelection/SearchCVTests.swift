import XCTest
@testable import KerasSklearn

final class SearchCVTests: XCTestCase {
    func smallClassifier(_ extra: Params = [:]) -> KerasClassifier {
        var p: Params = ["epochs": 8, "batch_size": 16, "verbose": 0, "optimizer": "adam", "optimizer__learning_rate": 0.02]
        for (k, v) in extra { p[k] = v }
        return KerasClassifier(model: mlpBuilder, params: p)
    }

    func testSearchResultsAreIdenticalForOneAndTwoJobs() throws {
        let (x, y) = try standardizedIris()
        func run(_ jobs: Int) throws -> GridSearchCV {
            let s = GridSearchCV(smallClassifier(), ["model__hidden": [4, 8], "optimizer": ["adam", "sgd"]],
                                 nJobs: jobs, cv: 3, randomState: 7)
            try s.fit(x, y)
            return s
        }
        let a = try run(1), b = try run(2)
        let ra = try XCTUnwrap(a.cvResults), rb = try XCTUnwrap(b.cvResults)
        for s in 0..<3 { XCTAssertEqual(ra.splitTestScore(s), rb.splitTestScore(s)) }
        XCTAssertEqual(ra.meanTestScore, rb.meanTestScore)
        XCTAssertEqual(ra.rankTestScore, rb.rankTestScore)
        XCTAssertEqual(a.bestParams, b.bestParams)
        XCTAssertEqual(a.bestScore, b.bestScore)
        let wa = try XCTUnwrap((a.bestEstimator as? KerasClassifier)?.model).weights.map(\.value.scalars)
        let wb = try XCTUnwrap((b.bestEstimator as? KerasClassifier)?.model).weights.map(\.value.scalars)
        XCTAssertEqual(wa, wb)
        // Again on the helper thread the first search parked, its caches warm: the same bits.
        let b2 = try run(2)
        XCTAssertEqual(b2.cvResults?.meanTestScore, ra.meanTestScore)
        XCTAssertEqual(try XCTUnwrap((b2.bestEstimator as? KerasClassifier)?.model).weights.map(\.value.scalars), wa)
        // A different seed gives different fits.
        let c = GridSearchCV(smallClassifier(), ["model__hidden": [4, 8], "optimizer": ["adam", "sgd"]], cv: 3, randomState: 8)
        try c.fit(x, y)
        XCTAssertNotEqual(c.cvResults?.meanTestScore, ra.meanTestScore)
    }

    /// With two workers the refit may start on a worker while the other finishes the fits, for
    /// the leading candidate so far; the search keeps it only when that candidate wins, and the
    /// refitted weights are those of a one-worker search either way. Whether it started, and for
    /// which candidate, depends on how the threads ran (a worker that starts late leaves the other
    /// to run every fit, and it then finds the last candidate scored), so this checks what holds
    /// for any schedule; when the speculation starts is checked on scripted states below. Fits are
    /// scheduled longest first (3, 2, then 1 epoch): a scorer preferring more epochs makes the
    /// first-finished candidate win, one preferring fewer the last.
    func testSpeculativeRefitIsKeptOnlyForTheWinner() throws {
        let (x, y) = try standardizedIris()
        for prefersMoreEpochs in [true, false] {
            let scorer = Scorer(name: "epochs") { est, _, _ in
                let epochs = Double(try XCTUnwrap((est as? KerasClassifier)?.getParams(deep: false)["epochs"]?.intValue))
                return prefersMoreEpochs ? epochs : -epochs
            }
            func run(_ jobs: Int) throws -> GridSearchCV {
                let s = GridSearchCV(smallClassifier(), ["epochs": [1, 2, 3]], scoring: scorer, nJobs: jobs, cv: 3, randomState: 3)
                try s.fit(x, y)
                return s
            }
            let one = try run(1), two = try run(2)
            XCTAssertEqual(two.bestParams, ["epochs": prefersMoreEpochs ? 3 : 1])
            XCTAssertEqual(one.bestParams, two.bestParams)
            XCTAssertFalse(one.refitSpeculated)
            let w1 = try XCTUnwrap((one.bestEstimator as? KerasClassifier)?.model).weights.map(\.value.scalars)
            let w2 = try XCTUnwrap((two.bestEstimator as? KerasClassifier)?.model).weights.map(\.value.scalars)
            XCTAssertEqual(w1, w2, "prefersMoreEpochs=\(prefersMoreEpochs)")
            XCTAssertEqual(try XCTUnwrap((two.bestEstimator as? KerasClassifier)?.getParams(deep: false)["epochs"]), two.bestParams?["epochs"])
            try checkSchedule(one, workers: 1, speculated: false)
            try checkSchedule(two, workers: 2, speculated: two.refitSpeculated)
            // A refit speculated for a candidate that lost is listed on its worker, and the winner
            // then refits on the calling thread after the fits.
            for lost in two.schedule where lost.split == nil && lost.candidate != two.bestIndex {
                XCTAssertNotNil(lost.worker)
                XCTAssertFalse(two.refitSpeculated)
            }
        }
    }

    /// When a worker asking for work starts the refit: for the leader, once the fits not yet taken
    /// would keep the other workers busy no longer than the refit takes, not while a candidate that
    /// may still win is under way and fits are left, and always once none is left.
    func testSpeculationStartsForTheLeaderOnceTheFitsLeftAreShort() {
        // 3 candidates of 1, 2 and 3 epochs x 3 folds, taken longest first: 6 7 8 | 3 4 5 | 0 1 2.
        let costs = [1, 2, 3]
        func start(_ leader: (Double, Int)?, remaining: [Int], workers: Int = 2, scored: [Int] = [3, 3, 3],
                   sums: [Double] = [1.5, 1.8, 2.4]) -> Int? {
            SpeculativeRefit.candidateToStart(leader: leader.map { (mean: $0.0, candidate: $0.1) }, remaining: remaining[...],
                                              costs: costs, splits: 3, workers: workers, refitScale: 1.5,
                                              scored: scored, sums: sums)
        }
        XCTAssertNil(start(nil, remaining: []), "no candidate scored yet")
        // The leader (3 epochs) refits in 3 x 1.5 = 4.5 epochs' time: the 2-epoch folds are too long.
        XCTAssertNil(start((0.8, 2), remaining: [5, 0, 1, 2], scored: [0, 2, 3], sums: [0, 1.2, 2.4]))
        XCTAssertEqual(start((0.8, 2), remaining: [0, 1, 2], scored: [0, 3, 3], sums: [0, 1.8, 2.4]), 2)
        XCTAssertEqual(start((0.8, 2), remaining: [5, 0, 1, 2], workers: 3, scored: [0, 2, 3], sums: [0, 1.2, 2.4]), 2,
                       "two other workers share the fits left")
        // A leader of 1 epoch refits in 1.5 epochs' time: two 1-epoch fits are too long, one is not.
        XCTAssertNil(start((0.9, 0), remaining: [1, 2]))
        XCTAssertEqual(start((0.9, 0), remaining: [2]), 0)
        // Candidate 1 has every fold under way and beats the leader on the one scored: wait while
        // fits are left, start once none is.
        XCTAssertNil(start((0.6, 2), remaining: [0, 1, 2], scored: [0, 1, 3], sums: [0, 0.9, 1.8]))
        XCTAssertEqual(start((0.6, 2), remaining: [], scored: [0, 1, 3], sums: [0, 0.9, 1.8]), 2)
        XCTAssertEqual(start((0.6, 2), remaining: [0, 1, 2], scored: [0, 1, 3], sums: [0, 0.5, 1.8]), 2,
                       "candidate 1 scores below the leader so far")
        XCTAssertNil(start((0.8, 7), remaining: []), "a leader that is no candidate")
    }

    /// The refit waits (while fits are left) for a candidate whose folds are all under way and
    /// that beats the leader on those scored so far; not for one with folds still queued, one
    /// scoring below the leader, one with no fold scored yet, or one whose folds are all scored.
    func testSpeculationWaitsForACandidateThatMayStillWin() {
        // 3 candidates x 3 folds; candidate 0 leads with 0.8; tasks 6...8 are candidate 2's.
        func contender(scored: [Int], sums: [Double], remaining: [Int]) -> Bool {
            SpeculativeRefit.hasContender(leader: 0, leaderMean: 0.8, remaining: remaining[...], splits: 3,
                                          scored: scored, sums: sums)
        }
        XCTAssertTrue(contender(scored: [3, 2, 0], sums: [2.4, 1.8, 0], remaining: [7, 8]))
        XCTAssertTrue(contender(scored: [3, 1, 0], sums: [2.4, 0.8, 0], remaining: [6, 7, 8]), "a tie may win")
        XCTAssertFalse(contender(scored: [3, 2, 0], sums: [2.4, 1.8, 0], remaining: [5, 7, 8]), "a fold still queued")
        XCTAssertFalse(contender(scored: [3, 2, 0], sums: [2.4, 1.4, 0], remaining: [7, 8]), "below the leader")
        XCTAssertFalse(contender(scored: [3, 0, 0], sums: [2.4, 0, 0], remaining: [7, 8]), "nothing scored")
        XCTAssertFalse(contender(scored: [3, 3, 0], sums: [2.4, 2.1, 0], remaining: [7, 8]), "all scored")
        XCTAssertFalse(contender(scored: [3, 2, 0], sums: [2.4, .nan, 0], remaining: [7, 8]), "a failed fold")
    }

    /// The schedule lists every fit once, on a worker, each worker's fits one after another, and
    /// the refit of the best candidate: on a worker when it was speculated (and kept), else on the
    /// calling thread after the fits.
    func checkSchedule(_ s: GridSearchCV, workers: Int, speculated: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let fits = s.schedule.filter { $0.split != nil }
        XCTAssertEqual(fits.map { "\($0.candidate)/\($0.split!)" }.sorted(),
                       (0..<3).flatMap { c in (0..<3).map { "\(c)/\($0)" } }.sorted(), file: file, line: line)
        // Each worker's runs one after another (a worker that started late may have run none).
        for w in 0..<workers {
            let mine = s.schedule.filter { $0.worker == w }.sorted { $0.start < $1.start }
            for (a, b) in zip(mine, mine.dropFirst()) { XCTAssertLessThanOrEqual(a.end, b.start, file: file, line: line) }
        }
        XCTAssertTrue(fits.allSatisfy { $0.worker != nil }, file: file, line: line)
        for f in s.schedule {
            XCTAssertTrue(f.worker.map { (0..<workers).contains($0) } ?? true, file: file, line: line)
            XCTAssertLessThanOrEqual(f.start, f.end, file: file, line: line)
            XCTAssertGreaterThan(f.cpu, 0, file: file, line: line)
        }
        let refits = s.schedule.filter { $0.split == nil && $0.candidate == s.bestIndex }
        let kept = try XCTUnwrap(refits.last, "no refit in the schedule", file: file, line: line)
        XCTAssertEqual(kept.worker != nil, speculated, file: file, line: line)
        XCTAssertEqual(s.refitSpeculated, speculated, file: file, line: line)
        if kept.worker == nil {
            XCTAssertGreaterThanOrEqual(kept.start, fits.map(\.end).max() ?? 0, file: file, line: line)
        }
    }

    func testCVResultsHoldScikitLearnKeysAndConsistentNumbers() throws {
        let (x, y) = try standardizedIris()
        let s = GridSearchCV(smallClassifier(), grids: [["model__hidden": [4, 8]], ["epochs": [3]]],
                             scoring: "accuracy", cv: .splitter(StratifiedKFold(nSplits: 3)), returnTrainScore: true, randomState: 0)
        var reports: [SearchProgress] = []
        s.progress = { reports.append($0) }
        try s.fit(x, y)
        let r = try XCTUnwrap(s.cvResults)
        for key in ["mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time", "std_fit_time",
                    "mean_score_time", "std_score_time", "split0_test_score", "split1_test_score", "split2_test_score",
                    "mean_train_score", "split2_train_score", "params", "param_model__hidden", "param_epochs"] {
            XCTAssertTrue(r.keys.contains(key), key)
        }
        XCTAssertEqual(r.params, [["model__hidden": 4], ["model__hidden": 8], ["epochs": 3]])
        XCTAssertEqual(r.paramColumns["epochs"], [.none, .none, 3])
        for c in 0..<3 {
            let splits = (0..<3).map { r.splitTestScore($0)[c] }
            let mean = splits.reduce(0, +) / 3
            XCTAssertEqual(r.meanTestScore[c], mean, accuracy: 1e-12)
            let std = (splits.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
            XCTAssertEqual(r.stdTestScore[c], std, accuracy: 1e-12)
            XCTAssertGreaterThan(r.meanFitTime[c], 0)
        }
        let best = try XCTUnwrap(s.bestIndex)
        XCTAssertEqual(r.rankTestScore[best], 1)
        XCTAssertEqual(s.bestScore, r.meanTestScore.max())
        XCTAssertEqual(s.bestParams, r.params[best])
        XCTAssertEqual(reports.count, 9)
        XCTAssertEqual(reports.last?.fitsDone, 9)
        XCTAssertEqual(reports.last?.totalFits, 9)
        XCTAssertEqual(reports.last?.bestScore, s.bestScore)
        XCTAssertNotNil(s.bestEstimator)
        XCTAssertEqual(try s.predict(x).count, 150)
        XCTAssertEqual(try s.score(x, y), try accuracyScore(y, s.predict(x)))
    }

    func testFailingFitsAreRecordedAsNaNAndDoNotStopTheSearch() throws {
        let (x, y) = try standardizedIris()
        // A builder that throws for one candidate, and a learning rate that makes the loss NaN.
        let builder: ModelBuilder = { p, _ in
            let h = try p.int("hidden", default: 8)
            if h == 13 { throw KerasError.invalidArgument("unlucky width") }
            return try Sequential([Dense(h, activation: .relu)])
        }
        let clf = KerasClassifier(model: builder, params: ["epochs": 5, "verbose": 0, "optimizer": "sgd"])
        let s = GridSearchCV(clf, grids: [["model__hidden": [8, 13]], ["optimizer__learning_rate": [1e30]]],
                             nJobs: 2, cv: 3, randomState: 0)
        try s.fit(x, y)
        let r = try XCTUnwrap(s.cvResults)
        XCTAssertFalse(r.meanTestScore[0].isNaN)
        XCTAssertTrue(r.meanTestScore[1].isNaN)
        XCTAssertTrue(r.meanTestScore[2].isNaN)
        XCTAssertTrue(r.splitTestScore(0)[1].isNaN)
        XCTAssertEqual(r.rankTestScore, [1, 2, 2])
        XCTAssertEqual(s.bestParams, ["model__hidden": 8])
        XCTAssertEqual(s.fitErrors.count, 6)
        XCTAssertTrue(s.fitErrors.contains { "\($0.error)".contains("unlucky width") })
        XCTAssertTrue(s.fitErrors.contains { "\($0.error)".contains("diverged") })

        let raising = GridSearchCV(clf, ["model__hidden": [8, 13]], cv: 3, errorScore: .raise)
        XCTAssertThrowsError(try raising.fit(x, y)) { XCTAssertTrue("\($0)".contains("unlucky width")) }
        let fixed = GridSearchCV(clf, ["model__hidden": [13]], refit: false, cv: 3, errorScore: .value(-1))
        XCTAssertThrowsError(try fixed.fit(x, y)) { XCTAssertTrue("\($0)".contains("all the 3 fits failed")) }
    }

    func testBadParameterKeysAreRejectedBeforeFitting() throws {
        let (x, y) = try standardizedIris()
        let s = GridSearchCV(smallClassifier(), ["epoch": [1, 2]], cv: 3)
        XCTAssertThrowsError(try s.fit(x, y)) { XCTAssertTrue("\($0)".contains("invalid parameter 'epoch'")) }
        XCTAssertThrowsError(try GridSearchCV(smallClassifier(), ["epochs": []]).fit(x, y))
        XCTAssertThrowsError(try GridSearchCV(smallClassifier(), ["epochs": [1]], nJobs: 0).fit(x, y))
        let withCallback = smallClassifier(["callbacks": [.object(History())]])
        XCTAssertThrowsError(try GridSearchCV(withCallback, ["epochs": [1, 2]], nJobs: 2, cv: 2).fit(x, y)) {
            XCTAssertTrue("\($0)".contains("CallbackFactory"))
        }
    }

    func testRandomizedSearchDrawsSeededCandidatesFromDistributions() throws {
        let dists: [String: ParamDistribution] = ["optimizer__learning_rate": .logUniform(1e-3, 1e-1),
                                                   "model__hidden": .randInt(2, 9), "optimizer": .choice(["adam", "sgd"]),
                                                   "validation_split": .uniform(0, 0.2)]
        let a = try ParameterSampler(dists, nIter: 50, randomState: 3).candidates()
        XCTAssertEqual(a, try ParameterSampler(dists, nIter: 50, randomState: 3).candidates())
        XCTAssertNotEqual(a, try ParameterSampler(dists, nIter: 50, randomState: 4).candidates())
        for p in a {
            let lr = try XCTUnwrap(p["optimizer__learning_rate"]?.doubleValue)
            XCTAssertTrue(lr >= 1e-3 && lr <= 1e-1)
            XCTAssertTrue((2..<9).contains(try XCTUnwrap(p["model__hidden"]?.intValue)))
        }
        XCTAssertEqual(Set(a.compactMap { $0["model__hidden"]?.intValue }).count, 7)
        // All lists: sampled without replacement, at most the grid's size.
        let lists = try ParameterSampler(["a": .choice([1, 2]), "b": .choice(["x", "y", "z"])], nIter: 10, randomState: 0).candidates()
        XCTAssertEqual(lists.count, 6)
        XCTAssertEqual(Set(lists.map(\.pythonDescription)).count, 6)
        XCTAssertThrowsError(try ParameterSampler(["a": .logUniform(0, 1)], nIter: 2).candidates())

        let (x, y) = try standardizedIris()
        let s = RandomizedSearchCV(smallClassifier(), ["model__hidden": .randInt(3, 9), "optimizer__learning_rate": .logUniform(0.005, 0.05)],
                                   nIter: 3, nJobs: 2, cv: 3, randomState: 1)
        try s.fit(x, y)
        XCTAssertEqual(s.cvResults?.params.count, 3)
        XCTAssertEqual(s.cvResults?.params, try ParameterSampler(s.paramDistributions, nIter: 3, randomState: 1).candidates())
    }

    func testCrossValScoreIsSeededAndStratifiesClassifiers() throws {
        let (x, y) = try standardizedIris()
        let a = try crossValScore(smallClassifier(), x, y, cv: 3, nJobs: 2, randomState: 5)
        let b = try crossValScore(smallClassifier(), x, y, cv: 3, nJobs: 1, randomState: 5)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 3)
        XCTAssertTrue(a.allSatisfy { $0 > 0.5 }, "\(a)")
        let r = try crossValidate(smallClassifier(), x, y, cv: 3, scoring: ["accuracy", "neg_log_loss", "f1_macro"],
                                  returnTrainScore: true, returnEstimator: true, randomState: 5)
        XCTAssertEqual(Set(r.scores.keys), ["test_accuracy", "test_neg_log_loss", "test_f1_macro",
                                            "train_accuracy", "train_neg_log_loss", "train_f1_macro"])
        XCTAssertEqual(r.scores["test_accuracy"], a)
        XCTAssertTrue(r.scores["test_neg_log_loss"]!.allSatisfy { $0 < 0 })
        XCTAssertEqual(r.estimators?.count, 3)
        // Unshuffled iris (sorted by class) with plain KFold puts unseen classes in each test fold.
        let kf = try crossValScore(smallClassifier(), x, y, cv: .splitter(KFold(nSplits: 3)), randomState: 5)
        XCTAssertTrue(kf.allSatisfy { $0 < 0.5 }, "\(kf)")
    }
}

final class SchedulingTests: XCTestCase {
    func testLongestFitsAreScheduledFirstAndEveryTaskRunsOnce() {
        let base = KerasClassifier(model: mlpBuilder, params: ["epochs": 3])
        let costs = candidateCosts([["model__hidden": 2], ["epochs": 10], ["epochs": 1]], base: base)
        XCTAssertEqual(costs, [3, 10, 1])
        let order = longestFirst(costs, splits: 2)
        XCTAssertEqual(order, [2, 3, 0, 1, 4, 5])
        let results = runTasks(6, workers: 2, order: order, { $0 * $0 })
        XCTAssertEqual(results.compactMap { $0 }, [0, 1, 4, 9, 16, 25])
    }

    /// The idle hook is asked before each task with the tasks not yet taken (and once each
    /// worker finds none left), so a search can start its refit while fits remain; extra work it
    /// hands out runs once, and every task still runs once.
    func testIdleHookSeesTheTasksLeftAndItsWorkRunsBeforeTheLastTasks() {
        let lock = SearchLock()
        var seen: [Int] = [], handedOutWith: Int?, extraRuns = 0
        let results = runTasks(8, workers: 2, { $0 + 1 }, onIdle: { _, remaining, others in
            seen.append(remaining.count)
            XCTAssertEqual(others.count, 2)
            guard handedOutWith == nil, remaining.count <= 3 else { return nil }
            handedOutWith = remaining.count
            return .extra { lock.withLock { extraRuns += 1 } }
        })
        XCTAssertEqual(results.compactMap { $0 }, Array(1...8))
        XCTAssertEqual(handedOutWith, 3, "the extra work went out with 3 tasks left, not at the end")
        XCTAssertEqual(extraRuns, 1)
        XCTAssertEqual(seen.filter { $0 == 0 }.count, 2, "each worker asks once more when none is left")
        XCTAssertEqual(Array(seen.prefix(1)), [8])
        // With one worker the hook is never asked.
        var asked = false
        _ = runTasks(3, workers: 1, { $0 }, onIdle: { _, _, _ in asked = true; return nil })
        XCTAssertFalse(asked)
    }

    /// A worker may take another of the tasks left than the next in order; every task still runs
    /// once, its result stored by index.
    func testIdleHookMayPickAnotherTaskLeft() {
        let lock = SearchLock()
        var taken: [Int] = [], seen: [[Int]] = []
        let results = runTasks(8, workers: 2, { i in lock.withLock { taken.append(i) }; return i * 3 }, onIdle: { _, remaining, _ in
            seen.append(Array(remaining))
            return .take(remaining.count - 1)
        })
        XCTAssertEqual(results.compactMap { $0 }, (0..<8).map { $0 * 3 })
        XCTAssertEqual(taken.sorted(), Array(0..<8))
        // The first asker took task 7; the task it displaced (0) is still left, last.
        XCTAssertEqual(Array(seen.prefix(2)), [Array(0..<8), [1, 2, 3, 4, 5, 6, 0]])
    }

    /// A worker told to leave takes no more tasks while another is running one; the last one
    /// running never leaves, so every task runs once even when every ask says leave.
    func testLeavingWorkersNeverStrandTasks() {
        let lock = SearchLock()
        var taken: [Int] = []
        let results = runTasks(8, workers: 2, { i in lock.withLock { taken.append(i) }; return i + 1 },
                               onIdle: { _, _, _ in .leave })
        XCTAssertEqual(results.compactMap { $0 }, Array(1...8))
        XCTAssertEqual(taken.sorted(), Array(0..<8))
    }

    /// The workers beside the calling thread are parked helpers, woken for the next tasks: a
    /// second run with as many workers starts no thread.
    func testParkedHelpersRunTheNextTasks() {
        _ = runTasks(6, workers: 3) { $0 }
        let started = SearchHelpers.shared.threadsStarted
        let again = runTasks(6, workers: 3) { $0 * 2 }
        XCTAssertEqual(again, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(SearchHelpers.shared.threadsStarted, started)
    }

    /// Tasks that run tasks of their own on helpers (a search inside a cross-validation, both
    /// with several workers) take other helpers or start new ones: every result comes back.
    func testNestedTasksOnHelpersAllComeBack() {
        let outer = runTasks(4, workers: 2) { i in runTasks(3, workers: 2) { j in 10 * i + j }.map { $0 ?? -1 } }
        XCTAssertEqual(outer.map { $0 ?? [] }, (0..<4).map { i in (0..<3).map { 10 * i + $0 } })
    }

    /// Equal-cost candidates take turns by split, so that each has a fit measured early.
    func testLongestFirstTakesEqualCandidatesInTurnsBySplit() {
        XCTAssertEqual(longestFirst([1, 2, 2, 1], splits: 2), [2, 4, 3, 5, 0, 6, 1, 7])
    }

    /// The tail's plan: the asking worker starts the longest task of the share that ends both
    /// workers earliest; with exact times, re-planning at each ask reaches the best split of all
    /// (found by trying every one) and never ends later than taking the tasks in order.
    func testTailPlanSharesTheLastTasksSoBothWorkersEndTogether() {
        // The other worker runs a refit for 4.4 more: this one takes the three fits, longest first.
        XCTAssertEqual(TailPlan.pick([1.3, 1.7, 2.4], otherBusy: 4.4), .start(2))
        // 3 + 1 here, 2 + 1 + 1 there: both end at 4.
        XCTAssertEqual(TailPlan.pick([3, 1, 1, 1], otherBusy: 2), .start(0))
        XCTAssertEqual(TailPlan.pick([1, 1, 3], otherBusy: 0), .start(2))
        XCTAssertEqual(TailPlan.pick([1], otherBusy: 10), .start(0), "at equal paces the asking worker takes a task")
        XCTAssertNil(TailPlan.pick([], otherBusy: 1))
        XCTAssertNil(TailPlan.pick(Array(repeating: 1, count: TailPlan.maxItems + 1), otherBusy: 0))
        var state: UInt64 = 7
        func draw(_ n: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % n
        }
        for _ in 0..<500 {
            let items = (0..<(1 + Int(draw(8)))).map { _ in 1 + Double(draw(400)) / 100 }
            let other = Double(draw(600)) / 100
            func simulate(planned: Bool) -> Double {
                var left = items, free = [0.0, other]
                while !left.isEmpty {
                    let w = free[0] <= free[1] ? 0 : 1
                    var i = 0
                    if planned, case .start(let picked)? = TailPlan.pick(left, otherBusy: free[1 - w] - free[w]) { i = picked }
                    free[w] += left.remove(at: i)
                }
                return free.max() ?? 0
            }
            let total = items.reduce(0, +)
            let best = (0..<(1 << items.count)).map { mask in
                let mine = items.indices.filter { mask & (1 << $0) != 0 }.reduce(0.0) { $0 + items[$1] }
                return Swift.max(mine, other + total - mine)
            }.min() ?? 0
            let planned = simulate(planned: true)
            XCTAssertEqual(planned, best, accuracy: 1e-9, "\(items), other busy \(other)")
            XCTAssertLessThanOrEqual(planned, simulate(planned: false) + 1e-9)
        }
        // Workers of different paces (a task of expected time t takes t times the pace): the
        // plan splits by each one's own time, reaching the best split of all (with no margin for
        // leaving), and ends no later than the order or than a plan that takes both paces to be
        // 1. A worker may leave the tasks to a faster one that is busy now (it then takes no more).
        // 4 tasks of 1, the asking worker twice as slow: it takes one, the other three (both end at 3).
        XCTAssertEqual(TailPlan.pick([1, 1, 1, 1], otherBusy: 0, mine: 2, other: 1), .start(0))
        // One task of 4: 4 here, or 0.5 + 4 x 0.5 = 2.5 on the faster worker busy for 0.5 more.
        XCTAssertEqual(TailPlan.pick([4], otherBusy: 0.5, mine: 1, other: 0.5), .leave)
        // 3.8 there against 4 here: sooner, but not by the margin that leaving needs.
        XCTAssertEqual(TailPlan.pick([4], otherBusy: 1.8, mine: 1, other: 0.5), .start(0))
        XCTAssertEqual(TailPlan.pick([4], otherBusy: 1.8, mine: 1, other: 0.5, leaveMargin: 0), .leave)
        for _ in 0..<500 {
            let items = (0..<(1 + Int(draw(8)))).map { _ in 1 + Double(draw(400)) / 100 }
            let other = Double(draw(600)) / 100
            let pace = [0.5 + Double(draw(100)) / 100, 0.5 + Double(draw(100)) / 100]
            func simulate(_ plan: (_ asking: Int) -> (Double, Double)?) -> Double {
                var left = items, free = [0.0, other], gone = [false, false]
                while !left.isEmpty {
                    let w = gone[0] ? 1 : gone[1] ? 0 : free[0] <= free[1] ? 0 : 1
                    let step = plan(w).flatMap {
                        TailPlan.pick(left, otherBusy: free[1 - w] - free[w], mine: $0.0, other: $0.1, leaveMargin: 0)
                    }
                    if step == .leave, !gone[1 - w] {
                        gone[w] = true
                        continue
                    }
                    var i = 0
                    if case .start(let picked)? = step { i = picked }
                    free[w] += left.remove(at: i) * pace[w]
                }
                return free.max() ?? 0
            }
            let total = items.reduce(0, +)
            let best = (0..<(1 << items.count)).map { mask in
                let mine = items.indices.filter { mask & (1 << $0) != 0 }.reduce(0.0) { $0 + items[$1] }
                return Swift.max(mine * pace[0], other + (total - mine) * pace[1])
            }.min() ?? 0
            let planned = simulate { (pace[$0], pace[1 - $0]) }
            XCTAssertEqual(planned, best, accuracy: 1e-9, "\(items), other busy \(other), paces \(pace)")
            XCTAssertLessThanOrEqual(planned, simulate { _ in nil } + 1e-9)
            XCTAssertLessThanOrEqual(planned, simulate { _ in (1, 1) } + 1e-9)
        }
    }
}

final class NestedSearchTests: XCTestCase {
    func testASearchIsAnEstimatorForNestedCrossValidation() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 6, "batch_size": 16, "verbose": 0, "optimizer": "adam",
                                                              "optimizer__learning_rate": 0.03])
        let inner = GridSearchCV(clf, ["model__hidden": [3, 6]], cv: 2, randomState: 0)
        XCTAssertEqual(inner.getParams()["estimator__epochs"], 6)
        try inner.setParams(["estimator__epochs": 5, "n_jobs": 1, "scoring": "accuracy"])
        XCTAssertEqual(clf.getParams()["epochs"], 5)
        XCTAssertThrowsError(try inner.setParams(["cv_folds": 3])) { XCTAssertTrue("\($0)".contains("invalid parameter 'cv_folds'")) }
        let copy = try XCTUnwrap(try inner.clone() as? GridSearchCV)
        XCTAssertNil(copy.cvResults)
        XCTAssertFalse(copy.estimator === clf)
        let a = try crossValScore(inner, x, y, cv: 3, nJobs: 2, randomState: 1)
        let b = try crossValScore(inner, x, y, cv: 3, nJobs: 1, randomState: 1)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.allSatisfy { $0 > 0.5 }, "\(a)")
        let randomized = RandomizedSearchCV(clf, ["model__hidden": .randInt(2, 5)], nIter: 2, cv: 2, randomState: 0)
        let rcopy = try XCTUnwrap(try randomized.clone() as? RandomizedSearchCV)
        XCTAssertEqual(try rcopy.candidates(), try randomized.candidates())
    }
}

final class VerboseSearchTests: XCTestCase {
    func testVerboseSearchRunsAndReportsEveryFit() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 2, "verbose": 0])
        let s = GridSearchCV(clf, ["model__hidden": [2, 3]], nJobs: 2, cv: 2, verbose: 2, randomState: 0)
        var seen: [Int] = []
        s.progress = { seen.append($0.fitsDone) }
        try s.fit(x, y)
        XCTAssertEqual(seen, [1, 2, 3, 4])
        XCTAssertEqual(s.nSplits, 2)
        XCTAssertNotNil(s.refitTime)
    }
}

final class CustomObjectsInSearchTests: XCTestCase {
    func testWorkersSeeTheCallersCustomObjectScope() throws {
        let (x, y) = try standardizedIris()
        let swishish = ActivationFunction.custom("sklearn_test_swish") { t in try t * Ops.sigmoid(t) }
        let template = try Sequential([Dense(5, activation: swishish, inputShape: [4]), Dense(3, activation: .softmax)])
        let clf = KerasClassifier(model: template, params: ["epochs": 2, "verbose": 0])
        XCTAssertTrue(clf.modelConfig?.contains("sklearn_test_swish") ?? false)
        let search = GridSearchCV(clf, ["batch_size": [16, 32]], nJobs: 2, cv: 2, randomState: 0)
        XCTAssertThrowsError(try search.fit(x, y))  // the name is unknown outside the scope
        try CustomObjectScope(["sklearn_test_swish": .activation(swishish)]) { try search.fit(x, y) }
        XCTAssertTrue(search.cvResults?.meanTestScore.allSatisfy { !$0.isNaN } ?? false)
    }
}
