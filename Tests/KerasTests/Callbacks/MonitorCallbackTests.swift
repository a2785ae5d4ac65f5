import XCTest
@testable import Keras

final class MonitorCallbackTests: XCTestCase {
    /// Drives a callback over scripted epoch logs, as the fixture script drove Keras's.
    func drive(_ cb: Callback, _ values: [Double], key: String = "val_loss", lr: Float = 0.01)
        throws -> (stoppedAt: Int?, learningRates: [Double]) {
        let model = try Sequential([Dense(1, inputDim: 2)])
        try model.compile(optimizer: .instance(try SGD(learningRate: lr)), loss: "mse")
        cb.model = model
        try cb.onTrainBegin(logs: [:])
        var rates: [Double] = []
        var stopped: Int?
        for (e, v) in values.enumerated() {
            try cb.onEpochBegin(e, logs: [:])
            var logs: Logs = [key: v, "loss": v]
            try cb.onEpochEnd(e, updating: &logs)
            rates.append(Double(model.optimizer?.learningRate ?? .nan))
            if model.stopTraining { stopped = e; break }
        }
        try cb.onTrainEnd(logs: [:])
        return (stopped, rates)
    }

    func testEarlyStoppingStopsAndPrintsAsKeras() throws {
        let fixtures = try VocabFixtures.load("callbacks", "scripted.json")
        let makers: [String: (@escaping (String) -> Void) throws -> EarlyStopping] = [
            "es_patience4": { try EarlyStopping(monitor: "val_loss", patience: 4, verbose: 1, output: $0) },
            "es_patience0": { try EarlyStopping(patience: 0, verbose: 1, output: $0) },
            "es_min_delta": { try EarlyStopping(minDelta: 0.05, patience: 2, verbose: 1, output: $0) },
            "es_baseline": { try EarlyStopping(patience: 3, verbose: 1, baseline: 0.8, output: $0) },
            "es_start": { try EarlyStopping(patience: 1, verbose: 1, startFromEpoch: 4, output: $0) },
            "es_max": { try EarlyStopping(monitor: "val_accuracy", patience: 2, verbose: 1, mode: .max, output: $0) },
        ]
        for (label, make) in makers {
            guard let f = fixtures[label] else { XCTFail("fixture \(label) missing"); continue }
            var printed = ""
            let cb = try make { printed += $0 }
            let key = label == "es_max" ? "val_accuracy" : "val_loss"
            let (stopped, _) = try drive(cb, VocabFixtures.doubles(f["values"]), key: key)
            XCTAssertEqual(stopped, f["stopped_at"]?.intValue, label)
            XCTAssertEqual(printed, f["printed"]?.stringValue, label)
        }
    }

    func testReduceLROnPlateauReducesAndPrintsAsKeras() throws {
        let f = try XCTUnwrap(try VocabFixtures.load("callbacks", "scripted.json")["rlr"])
        var printed = ""
        let cb = try ReduceLROnPlateau(factor: 0.5, patience: 2, verbose: 1, cooldown: 1, minLR: 0.002) { printed += $0 }
        let (stopped, rates) = try drive(cb, VocabFixtures.doubles(f["values"]))
        XCTAssertNil(stopped)
        XCTAssertEqual(printed, f["printed"]?.stringValue)
        XCTAssertEqual(rates, VocabFixtures.doubles(f["learning_rates"]))
    }

    func testLearningRateSchedulerSetsRatesAndPrintsAsKeras() throws {
        let f = try XCTUnwrap(try VocabFixtures.load("callbacks", "scripted.json")["lrs"])
        var printed = ""
        let cb = LearningRateScheduler(verbose: 1, output: { printed += $0 }) { epoch, lr in epoch > 1 ? lr * 0.5 : lr }
        let (_, rates) = try drive(cb, VocabFixtures.doubles(f["values"]))
        XCTAssertEqual(printed, f["printed"]?.stringValue)
        XCTAssertEqual(rates, VocabFixtures.doubles(f["learning_rates"]))
    }

    func testSchedulersAddLearningRateToHistory() throws {
        let model = try Sequential([Dense(1, inputDim: 2)])
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.1)), loss: "mse")
        let x = Tensor([[1, 2], [3, 4], [5, 6]]), y = Tensor([[1], [2], [3]])
        let h = try model.fit(x, y, epochs: 3, verbose: 0,
                              callbacks: [LearningRateScheduler { e, lr in e == 0 ? lr : lr / 10 }])
        assertClose((h.history["learning_rate"] ?? []).map { Float($0) }, [0.1, 0.01, 0.001], atol: 1e-6, rtol: 1e-6)
    }

    /// seeds/004: `EarlyStopping(monitor='val_loss', patience=4, verbose=1)` inside a real fit,
    /// here with restore_best_weights and a CSVLogger, against Keras's run on the same weights.
    func testEarlyStoppingInAFitMatchesKerasHistoryWeightsAndCSV() throws {
        let f = try VocabFixtures.load("callbacks", "fit_early_stopping.json")
        let x = try VocabFixtures.tensor(f["x"]), y = try VocabFixtures.tensor(f["y"])
        let model = try Sequential([Dense(3, activation: .softmax, inputDim: 4)])
        try model.setWeights(try (f["weights"]?.arrayValue ?? []).map(VocabFixtures.tensor))
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.5)), loss: "categorical_crossentropy", metrics: ["accuracy"])
        var printed = ""
        let csvPath = FileManager.default.temporaryDirectory.appendingPathComponent("es_\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csvPath) }
        let early = try EarlyStopping(monitor: "val_loss", patience: 2, verbose: 1, restoreBestWeights: true) { printed += $0 }
        let n = f["n_train"]?.intValue ?? 20
        let h = try model.fit(Ops.take(x, Array(0..<n)), Ops.take(y, Array(0..<n)), batchSize: 8, epochs: 30, verbose: 0,
                              callbacks: [early, try CSVLogger(csvPath)],
                              validationData: (try Ops.take(x, Array(n..<x.shape[0])), try Ops.take(y, Array(n..<x.shape[0]))),
                              shuffle: false)
        XCTAssertEqual(printed, f["printed"]?.stringValue)
        for (k, v) in f["history"]?.objectValue ?? [] {
            assertClose((h.history[k] ?? []).map { Float($0) }, VocabFixtures.floats(v), atol: 1e-5, rtol: 1e-5, k)
        }
        let finals = try (f["final_weights"]?.arrayValue ?? []).map(VocabFixtures.tensor)
        for (ours, theirs) in zip(model.getWeights(), finals) { assertClose(ours.scalars, theirs.scalars, "restored weights") }

        let ours = try String(contentsOfFile: csvPath, encoding: .utf8)
        let theirs = f["csv"]?.stringValue ?? ""
        let ourLines = ours.components(separatedBy: "\r\n"), kerasLines = theirs.components(separatedBy: "\n")
        XCTAssertTrue(ours.hasSuffix("\r\n"))
        XCTAssertEqual(ourLines.first, kerasLines.first)
        XCTAssertEqual(ourLines.count, kerasLines.count)
        for (a, b) in zip(ourLines.dropFirst(), kerasLines.dropFirst()) {
            let va = a.split(separator: ",").compactMap { Float($0) }, vb = b.split(separator: ",").compactMap { Float($0) }
            assertClose(va, vb, atol: 1e-5, rtol: 1e-5, "csv row \(b)")
        }
    }

    func testMonitorArgumentsAreChecked() throws {
        XCTAssertThrowsError(try EarlyStopping(patience: -1)) { e in XCTAssertTrue("\(e)".contains("patience: -1")) }
        XCTAssertThrowsError(try EarlyStopping(mode: "upward")) { e in XCTAssertTrue("\(e)".contains("upward")) }
        XCTAssertThrowsError(try EarlyStopping(startFromEpoch: -2))
        XCTAssertThrowsError(try EarlyStopping(minDelta: .nan))
        XCTAssertThrowsError(try ReduceLROnPlateau(factor: 1.0)) { e in XCTAssertTrue("\(e)".contains("factor=1.0")) }
        XCTAssertThrowsError(try ReduceLROnPlateau(patience: -3))
        XCTAssertThrowsError(try ReduceLROnPlateau(cooldown: -1))
        // auto mode cannot tell which way a custom figure should go, as in Keras
        let cb = try EarlyStopping(monitor: "val_mean_pred")
        XCTAssertThrowsError(try drive(cb, [1, 2], key: "val_mean_pred")) { e in XCTAssertTrue("\(e)".contains("mode")) }
        // a missing figure warns and never stops
        let missing = try EarlyStopping(monitor: "val_auc", mode: .max)
        var warnings: [String] = []
        missing.warn = { warnings.append($0) }
        XCTAssertNil(try drive(missing, [1, 2, 3, 4]).stoppedAt)
        XCTAssertEqual(warnings.count, 4)
        XCTAssertTrue(warnings[0].contains("val_auc"))
    }

    func testAutoModeFollowsTheMetricDirection() throws {
        let model = try Sequential([Dense(1, activation: .sigmoid, inputDim: 2)])
        try model.compile(optimizer: "sgd", loss: "binary_crossentropy", metrics: ["accuracy", "mse"])
        _ = try model.fit(Tensor([[0, 1], [1, 0]]), Tensor([[0], [1]]), epochs: 1, verbose: 0)
        for (monitor, lower) in [("val_accuracy", false), ("mse", true), ("val_loss", true)] {
            let cb = try EarlyStopping(monitor: monitor)
            cb.model = model
            XCTAssertEqual(try cb.resolveDirection(), lower, monitor)
        }
    }
}
