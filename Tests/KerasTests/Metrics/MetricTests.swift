import XCTest
@testable import Keras

final class MetricTests: XCTestCase {
    func testStatefulMetricsMatchKerasOverSeveralBatches() throws {
        let cases = try (VocabFixtures.load("metrics", "stateful.json").arrayValue ?? [])
            + (VocabFixtures.load("metrics", "loss_metrics.json").arrayValue ?? [])
            + (VocabFixtures.load("metrics", "at_constraint.json").arrayValue ?? [])
            + (VocabFixtures.load("metrics", "correlation.json").arrayValue ?? [])
        XCTAssertGreaterThan(cases.count, 94)
        try runStatefulCases(cases)
    }

    /// IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU (scripts/make_keras3_vocab_fixtures.py).
    func testIoUMetricsMatchKeras() throws {
        let cases = try VocabFixtures.load("metrics", "iou.json").arrayValue ?? []
        XCTAssertEqual(cases.count, 14)
        try runStatefulCases(cases)
    }

    func runStatefulCases(_ cases: [JSON]) throws {
        for c in cases {
            let label = c["label"]?.stringValue ?? "?"
            let cls = c["class"]?.stringValue ?? ""
            let config = c["config"] ?? [:]
            let m = try Metric.from(className: cls, config: config)
            XCTAssertEqual(m.className, cls, label)
            assertConfig(m.config, config, label)
            for b in c["batches"]?.arrayValue ?? [] {
                let sw = b["sample_weight"]?.isNull == false ? Tensor(VocabFixtures.floats(b["sample_weight"])) : nil
                try m.update(try VocabFixtures.tensor(b["y_true"]), try VocabFixtures.tensor(b["y_pred"]), sampleWeight: sw)
            }
            assertClose(try m.resultValues(), VocabFixtures.floats(c["result"]), label)
            try m.reset()
            XCTAssertEqual(try m.resultValues().allSatisfy { $0 == 0 }, true, "\(label) after reset")
        }
    }

    func testCompileNamesMetricsAsKerasLogsThem() throws {
        let names = try VocabFixtures.load("metrics", "names.json").objectValue ?? []
        XCTAssertFalse(names.isEmpty)
        for (spec, keys) in names {
            let model = try Sequential([Dense(1, activation: .sigmoid, inputDim: 3)])
            try model.compile(optimizer: "sgd", loss: "binary_crossentropy", metrics: [.name(spec)])
            let h = try model.fit(Tensor(shape: [4, 3]), Tensor(shape: [4, 1]), epochs: 1, verbose: 0)
            XCTAssertEqual(h.history.keys.sorted(), keys.arrayValue?.compactMap(\.stringValue), spec)
        }
    }

    func testAccuracyResolvesFromShapesAsKerasDoes() throws {
        XCTAssertTrue(try Metric.named("accuracy", yTrueShape: [8, 1], yPredShape: [8, 1], loss: nil) is BinaryAccuracy)
        XCTAssertTrue(try Metric.named("acc", yTrueShape: [8], yPredShape: [8, 3], loss: nil) is SparseCategoricalAccuracy)
        XCTAssertTrue(try Metric.named("accuracy", yTrueShape: [8, 1], yPredShape: [8, 3], loss: nil) is SparseCategoricalAccuracy)
        XCTAssertTrue(try Metric.named("accuracy", yTrueShape: [8, 3], yPredShape: [8, 3], loss: nil) is CategoricalAccuracy)
        XCTAssertEqual(try Metric.named("acc", yTrueShape: [8, 3], yPredShape: [8, 3], loss: nil).name, "acc")
    }

    /// The epoch figures of a multi-batch fit (with a partial last batch) equal Keras's history
    /// for the same initial weights and data: metrics accumulate over the epoch.
    func testFitHistoryMatchesKerasOverWholeEpochs() throws {
        let fits = try VocabFixtures.load("metrics", "fit_history.json").arrayValue ?? []
        XCTAssertEqual(fits.count, 4)
        for f in fits {
            let label = f["label"]?.stringValue ?? "?"
            let y = try VocabFixtures.tensor(f["y"]), x = try VocabFixtures.tensor(f["x"])
            let weights = try (f["weights"]?.arrayValue ?? []).map(VocabFixtures.tensor)
            let units = weights[3].shape[0]
            let activation: ActivationFunction = label == "regression" ? .linear : (units == 1 ? .sigmoid : .softmax)
            let model = try Sequential([Dense(6, activation: .tanh, inputDim: 5), Dense(units, activation: activation)])
            try model.setWeights(weights)
            var specs: [MetricSpec] = []
            for name in f["metrics"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                switch name {
                case "f1_score": specs.append(.instance(try F1Score(average: .macro)))
                case "root_mean_squared_error": specs.append(.instance(RootMeanSquaredError()))
                case "r2_score": specs.append(.instance(try R2Score()))
                case "mean_pred": specs.append(.function("mean_pred") { _, yPred in try Ops.mean(yPred) })
                default: specs.append(.name(name))
                }
            }
            try model.compile(optimizer: .instance(try SGD(learningRate: 0.1)), loss: .name(f["loss"]?.stringValue ?? ""), metrics: specs)
            let n = x.shape[0], nVal = f["n_val"]?.intValue ?? 0
            let train = Array(0..<(n - nVal)), val = Array((n - nVal)..<n)
            let h = try model.fit(Ops.take(x, train), Ops.take(y, train), batchSize: f["batch_size"]?.intValue,
                                  epochs: f["epochs"]?.intValue ?? 1, verbose: 0,
                                  validationData: (try Ops.take(x, val), try Ops.take(y, val)), shuffle: false)
            let expected = f["history"]?.objectValue ?? []
            XCTAssertEqual(h.history.keys.sorted(), expected.map(\.0).sorted(), label)
            for (key, values) in expected {
                assertClose((h.history[key] ?? []).map { Float($0) }, VocabFixtures.floats(values), atol: 1e-5, rtol: 1e-5, "\(label) \(key)")
            }
        }
    }

    func testCustomMetricFunctionAveragesOverTheEpoch() throws {
        let model = try Sequential([Dense(2, activation: .sigmoid, inputDim: 3)])
        try model.compile(optimizer: "sgd", loss: "mse",
                          metrics: ["accuracy", .function("mean_pred") { _, yPred in try Ops.mean(yPred, axis: -1) }])
        let x = Tensor((0..<21).map { [Float($0) * 0.1, 1, -Float($0) * 0.05] })
        let y = Tensor(shape: [21, 2], repeating: 1)
        let results = try model.evaluateDict([x], [y], batchSize: 4, verbose: 0)
        XCTAssertEqual(results.map(\.0), ["loss", "accuracy", "mean_pred"])
        let p = try model.predict(x)
        let expected = p.scalars.reduce(0, +) / Float(p.count)
        XCTAssertEqual(Float(results[2].1), expected, accuracy: 1e-6)
    }

    /// MeanAbsoluteErrorMetric's in-place update gives the figures of its function, bit for bit:
    /// several widths (one column, a vector target for it, three columns, a rank-3 prediction,
    /// a vector prediction), with negative zeros and NaN; sample weights take the function.
    func testMeanAbsoluteErrorInPlaceMatchesItsFunction() throws {
        setRandomSeed(3)
        let cases: [([Int], [Int])] = [([7, 1], [7, 1]), ([7], [7, 1]), ([5, 3], [5, 3]), ([2, 3, 4], [2, 3, 4]), ([6], [6]), ([1], [1])]
        for (ts, ps) in cases {
            let n = ps.reduce(1, *)
            var tv = (0..<n).map { Float(($0 * 37) % 11) / 3 - 1.5 }
            let pv = (0..<n).map { Float(($0 * 13) % 7) / 5 - 0.6 }
            tv[0] = -0.0
            let t = try Tensor(shape: ts, scalars: tv), p = try Tensor(shape: ps, scalars: pv)
            let inPlace = MeanAbsoluteErrorMetric(), reference = Mean()
            for _ in 0..<2 {
                try inPlace.update(t, p, sampleWeight: nil)
                reference.add(try inPlace.fn(t, p))
            }
            XCTAssertEqual(inPlace.total, reference.total, "\(ts) \(ps)")
            XCTAssertEqual(inPlace.count, reference.count, "\(ts) \(ps)")
            XCTAssertEqual(inPlace.result(), reference.result(), "\(ts) \(ps)")
        }
        let nan = MeanAbsoluteErrorMetric()
        try nan.update(Tensor(shape: [2, 1], scalars: [.nan, 1]), Tensor(shape: [2, 1], scalars: [0, 2]), sampleWeight: nil)
        XCTAssertTrue(nan.result().isNaN)
        let weighted = MeanAbsoluteErrorMetric()
        try weighted.update(Tensor(shape: [2, 1], scalars: [1, 3]), Tensor(shape: [2, 1], scalars: [0, 0]),
                           sampleWeight: Tensor(shape: [2], scalars: [1, 3]))
        XCTAssertEqual(weighted.result(), 2.5)
        XCTAssertThrowsError(try MeanAbsoluteErrorMetric().update(Tensor(shape: [1, 2], scalars: [1, 2]),
                                                                  Tensor(shape: [2, 1], scalars: [1, 2]), sampleWeight: nil))
    }

    func testEveryLossNameIsAMetric() throws {
        let names = Set(Loss.aliases.keys).union(ObjectRegistry.builtinNames(.loss))
        XCTAssertGreaterThan(names.count, 30)
        for name in names {
            let m = try Metric.named(name, yTrueShape: [2, 1], yPredShape: [2, 1], loss: nil)
            XCTAssertEqual(m.name, name)
            XCTAssertEqual(m.direction, m.className == "CosineSimilarity" ? .up : .down, name)
        }
        let m = try Metric.named("binary_crossentropy")
        XCTAssertTrue(m is LossMetric)
        try m.update(Tensor([[1], [0]]), Tensor([[0.9], [0.2]]), sampleWeight: nil)
        let expected = -(logf(0.9) + logf(0.8)) / 2
        XCTAssertEqual(try m.result(), expected, accuracy: 1e-6)
        XCTAssertEqual(m.className, "BinaryCrossentropy")
        // a metric twin keeps the loss's arguments from its Keras config
        let logits = try Metric.from(className: "BinaryCrossentropy",
                                     config: ["name": "bce_logits", "dtype": "float32", "from_logits": true, "label_smoothing": 0])
        try logits.update(Tensor([[1], [0]]), Tensor([[2], [-1]]), sampleWeight: nil)
        XCTAssertEqual(logits.name, "bce_logits")
        XCTAssertEqual(try logits.result(), (log1pf(expf(-2)) + log1pf(expf(-1))) / 2, accuracy: 1e-6)
        XCTAssertEqual(try Metric.from(className: "LogCoshError", config: [:]).className, "LogCoshError")
    }

    func testRegisteredCustomMetricIsFoundByName() throws {
        Metric.register("always_two") { MeanMetricWrapper(name: "always_two") { _, p in Tensor(shape: [p.shape[0]], repeating: 2) } }
        let m = try Metric.named("always_two")
        try m.update(Tensor([[1]]), Tensor([[0]]), sampleWeight: nil)
        XCTAssertEqual(try m.result(), 2)
    }

    /// A diverged model's NaN predictions must not trap any metric.
    func testNaNPredictionsDoNotTrap() throws {
        let yTrue = Tensor([[1, 0, 0], [0, 1, 0]]), yPred = Tensor([[.nan, 0.2, 0.1], [0.3, .nan, .infinity]])
        let metrics: [Metric] = [try AUC(), try AUC(curve: .pr, multiLabel: true), try Precision(), try Recall(topK: 1),
                                 try SensitivityAtSpecificity(specificity: 0.5), try F1Score(average: .macro), try R2Score(),
                                 CategoricalAccuracy(), TopKCategoricalAccuracy(k: 2), BinaryAccuracy(), RootMeanSquaredError()]
        for m in metrics {
            try m.update(yTrue, yPred, sampleWeight: nil)
            _ = try m.resultValues()
        }
        XCTAssertEqual(try AUC().resultValues().count, 1)
    }

    func testBadMetricArgumentsThrowNamingTheValue() {
        XCTAssertThrowsError(try Metric.named("no_such_metric")) { e in
            XCTAssertTrue("\(e)".contains("no_such_metric"))
        }
        XCTAssertThrowsError(try AUC(numThresholds: 1)) { e in XCTAssertTrue("\(e)".contains("num_thresholds")) }
        XCTAssertThrowsError(try AUC(numLabels: 3)) { e in XCTAssertTrue("\(e)".contains("num_labels")) }
        XCTAssertThrowsError(try Precision(thresholds: [1.5])) { e in XCTAssertTrue("\(e)".contains("1.5")) }
        XCTAssertThrowsError(try Recall(topK: 0))
        XCTAssertThrowsError(try F1Score(threshold: 0))
        XCTAssertThrowsError(try FBetaScore(beta: -1))
        XCTAssertThrowsError(try R2Score(numRegressors: -1))
        XCTAssertThrowsError(try F1Score().update(Tensor([1, 0]), Tensor([0.3, 0.2]), sampleWeight: nil))
        XCTAssertThrowsError(try Precision().update(Tensor([[1], [0]]), Tensor([[0.3], [0.2], [0.1]]), sampleWeight: nil))
        XCTAssertThrowsError(try Precision(classId: 5).update(Tensor([[1, 0]]), Tensor([[0.3, 0.2]]), sampleWeight: nil))
        XCTAssertThrowsError(try SparseTopKCategoricalAccuracy(k: 2).update(Tensor([[7]]), Tensor([[0.3, 0.2]]), sampleWeight: nil))
        XCTAssertThrowsError(try Metric.from(className: "AUC", config: ["curve": "XYZ"]))
        XCTAssertThrowsError(try SensitivityAtSpecificity(specificity: 1.5)) { e in XCTAssertTrue("\(e)".contains("specificity: 1.5")) }
        XCTAssertThrowsError(try PrecisionAtRecall(recall: 0.5, numThresholds: 0))
        XCTAssertThrowsError(try Metric.from(className: "RecallAtPrecision", config: [:]))
        let mse = MeanSquaredErrorMetric()
        XCTAssertThrowsError(try mse.update(Tensor([[1, 2]]), Tensor([[1, 2, 3]]), sampleWeight: nil))
    }
}
