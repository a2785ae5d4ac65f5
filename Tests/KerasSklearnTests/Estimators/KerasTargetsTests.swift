import XCTest
@testable import KerasSklearn
import KerasDatasets

final class KerasTargetsTests: XCTestCase {
    let fast: Params = ["epochs": 30, "batch_size": 16, "verbose": 0, "optimizer": "adam", "optimizer__learning_rate": 0.03, "random_state": 0]

    func testBinaryTargetGetsOneSigmoidUnitAndTwoProbabilityColumns() throws {
        let (x, y) = try standardizedIris()
        let binary = Target.values(Tensor(y.tensor!.scalars.map { $0 == 0 ? 3 : 7 }))
        let clf = KerasClassifier(model: mlpBuilder, params: fast)
        try clf.fit(x, binary)
        XCTAssertEqual(clf.metadata?.targetType, .binary)
        XCTAssertEqual(clf.model?.outputShape?.last ?? nil, 1)
        XCTAssertEqual(clf.classLabels, ["3", "7"])
        let p = try clf.predictProba(x)
        XCTAssertEqual(p.shape, [150, 2])
        for i in 0..<150 { XCTAssertEqual(p.data[2 * i] + p.data[2 * i + 1], 1, accuracy: 1e-6) }
        XCTAssertEqual(Set(try clf.predict(x).labelKeys), ["3", "7"])
        XCTAssertGreaterThan(try clf.score(x, binary), 0.95)
        XCTAssertGreaterThan(try Scorer.named("roc_auc")(clf, x, binary), 0.95)
    }

    func testOneHotAndMultiLabelTargets() throws {
        let (x, _) = try standardizedIris()
        let oneHot = Datasets.iris().yOneHot
        let clf = KerasClassifier(model: mlpBuilder, params: fast)
        try clf.fit(x, .values(oneHot))
        XCTAssertEqual(clf.metadata?.targetType, .multiclassOnehot)
        XCTAssertEqual(clf.lossName, "categorical_crossentropy")
        let pred = try XCTUnwrap(try clf.predict(x).tensor)
        XCTAssertEqual(pred.shape, [150, 3])
        XCTAssertTrue((0..<150).allSatisfy { i in (0..<3).map { pred.data[i * 3 + $0] }.reduce(0, +) == 1 })
        XCTAssertGreaterThan(try clf.score(x, .values(oneHot)), 0.85)

        // Two labels per sample: "is setosa" and "petal length above the median".
        let raw = Datasets.iris()
        let labels = Tensor(shape: [150, 2])
        for i in 0..<150 { labels.data[2 * i] = raw.y.data[i] == 0 ? 1 : 0; labels.data[2 * i + 1] = raw.x.data[i * 4 + 2] > 4.35 ? 1 : 0 }
        let ml = KerasClassifier(model: mlpBuilder, params: fast)
        try ml.fit(x, .values(labels))
        XCTAssertEqual(ml.metadata?.targetType, .multilabelIndicator)
        XCTAssertEqual(ml.metadata?.outputActivation.name, "sigmoid")
        XCTAssertEqual(try ml.predictProba(x).shape, [150, 2])
        XCTAssertGreaterThan(try ml.score(x, .values(labels)), 0.85)
    }

    func testRegressorFitsOneAndSeveralOutputs() throws {
        let (x, _) = try standardizedIris()
        let n = 150
        let y2 = Tensor(shape: [n, 2])
        for i in 0..<n {
            y2.data[2 * i] = 2 * x.data[i * 4] - x.data[i * 4 + 1]
            y2.data[2 * i + 1] = 0.5 * x.data[i * 4 + 2] + 1
        }
        let reg = KerasRegressor(model: mlpBuilder, params: ["epochs": 60, "batch_size": 16, "verbose": 0, "optimizer": "adam",
                                                             "optimizer__learning_rate": 0.02, "random_state": 1])
        try reg.fit(x, .values(y2))
        XCTAssertEqual(reg.metadata?.nOutputs, 2)
        XCTAssertEqual(try reg.predict(x).tensor?.shape, [n, 2])
        let r2 = try reg.score(x, .values(y2))
        XCTAssertGreaterThan(r2, 0.9)
        XCTAssertEqual(r2, try r2Score(.values(y2), reg.predict(x)), accuracy: 1e-12)
        let y1 = Tensor((0..<n).map { y2.data[2 * $0] })
        try reg.fit(x, .values(y1))
        XCTAssertEqual(try reg.predict(x).tensor?.shape, [n])
        XCTAssertGreaterThan(try reg.score(x, .values(y1)), 0.9)
        XCTAssertThrowsError(try Scorer.named("neg_log_loss")(reg, x, .values(y1)))
    }

    func testPartialFitAndWarmStartKeepTheModel() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "epochs": 2])
        try clf.partialFit(x, y)
        let first = try XCTUnwrap(clf.model)
        try clf.partialFit(x, y)
        XCTAssertTrue(clf.model === first)
        XCTAssertEqual(clf.history["loss"]?.count, 2)
        try clf.fit(x, y)
        XCTAssertFalse(clf.model === first)
        XCTAssertEqual(clf.history["loss"]?.count, 2)
        try clf.setParams(["warm_start": true])
        let second = clf.model
        try clf.fit(x, y)
        XCTAssertTrue(clf.model === second)
        XCTAssertEqual(clf.history["loss"]?.count, 4)
        XCTAssertThrowsError(try clf.partialFit(takeRows(x, [0, 1]), .labels(["a", "b"]))) { XCTAssertTrue("\($0)".contains("unseen label")) }
    }

    /// partialFit's `classes` count as seen on the first call (y lacks "c"); every call trains
    /// one epoch numbered after the last, as SciKeras's `partial_fit` (`initial_epoch`).
    func testPartialFitTakesClassesAndNumbersItsEpochs() throws {
        let (x, y) = try standardizedIris()
        let names = Target.labels(y.tensor!.scalars.map { ["a", "b", "c"][Int($0)] })
        let firstRows = (0..<150).filter { names.strings![$0] != "c" }
        final class Epochs: Callback, @unchecked Sendable {
            var seen: [Int] = []
            override func onEpochEnd(_ epoch: Int, logs: Logs) throws { seen.append(epoch) }
        }
        let epochs = Epochs()
        let clf = KerasClassifier(model: mlpBuilder, params: ["verbose": 0])
        try clf.partialFit(takeRows(x, firstRows), try names.take(firstRows), classes: .labels(["a", "b", "c"]), callbacks: [epochs])
        XCTAssertEqual(clf.classLabels, ["a", "b", "c"])
        XCTAssertEqual(clf.metadata?.targetType, .multiclass)
        try clf.partialFit(x, names, callbacks: [epochs])
        try clf.partialFit(x, names, callbacks: [epochs])
        XCTAssertEqual(epochs.seen, [0, 1, 2])
        XCTAssertEqual(clf.history["loss"]?.count, 3)
        XCTAssertThrowsError(try KerasRegressor(model: mlpBuilder, params: ["verbose": 0]).partialFit(x, y, classes: .ints([0, 1, 2]))) {
            XCTAssertTrue("\($0)".contains("classes apply to classifiers only"))
        }
    }

    func testClassWeightsAndSampleWeights() throws {
        let labels = Target.labels(["a", "a", "a", "b"])
        let clf = KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "class_weight": "balanced"])
        try clf.fit(Tensor([[0, 1], [1, 0], [1, 1], [0, 0]]), labels)
        let balanced = try XCTUnwrap(try clf.classWeights(labels))
        XCTAssertEqual(balanced[0] ?? 0, Float(4.0 / 6.0), accuracy: 1e-6)
        XCTAssertEqual(balanced[1] ?? 0, 2, accuracy: 1e-6)
        try clf.setParams(["class_weight": .dict(["b": 5])])
        XCTAssertEqual(try clf.classWeights(labels), [1: 5])
        try clf.setParams(["class_weight": .dict(["c": 5])])
        XCTAssertThrowsError(try clf.classWeights(labels)) { XCTAssertTrue("\($0)".contains("'c'")) }

        // Zero weight on every sample of class 2 leaves the model unable to predict it.
        let (x, y) = try standardizedIris()
        let w = Tensor(y.tensor!.scalars.map { $0 == 2 ? 0 : 1 })
        let weighted = KerasClassifier(model: mlpBuilder, params: fast)
        try weighted.fit(x, y, sampleWeight: w)
        let predicted = try weighted.predict(x).labelKeys
        XCTAssertLessThan(predicted.filter { $0 == "2" }.count, 10)
    }

    func testScoreIsAccuracyOfPredictNotTheKerasMetric() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 3, "verbose": 0, "metrics": ["accuracy"], "random_state": 4])
        try clf.fit(x, y)
        XCTAssertEqual(try clf.score(x, y), try accuracyScore(y, clf.predict(x)))
        XCTAssertNotNil(clf.history["accuracy"])
    }

    /// F1Score(average: nil) keeps one value per class and epoch (validation included) beside
    /// the mean in `history`, as Keras's History does (`keras_estimator_metadata` reports them).
    func testPerClassMetricKeepsClassValuesPerEpoch() throws {
        let (x, y) = try standardizedIris()
        var params = fast
        params["epochs"] = 3; params["loss"] = "categorical_crossentropy"; params["metrics"] = ["f1_score"]
        params["validation_split"] = 0.2
        let clf = KerasClassifier(model: mlpBuilder, params: params)
        try clf.fit(x, y)
        for key in ["f1_score", "val_f1_score"] {
            let perClass = try XCTUnwrap(clf.perClassHistory[key])
            XCTAssertEqual(perClass.map(\.count), [3, 3, 3])
            let means = try XCTUnwrap(clf.history[key])
            for (mean, values) in zip(means, perClass) {
                XCTAssertEqual(mean, values.reduce(0, +) / 3, accuracy: 1e-6)
            }
        }
        XCTAssertNil(clf.perClassHistory["loss"])
        try clf.partialFit(x, y)
        XCTAssertEqual(clf.perClassHistory["f1_score"]?.count, 4)
    }

    /// A single class (a binary target as scikit-learn types it): one output unit, whose
    /// prediction is always that class and whose probabilities stay one column, as SciKeras.
    func testSingleClassPredictsIt() throws {
        let (x, _) = try standardizedIris()
        let one = Target.values(Tensor([Float](repeating: 7, count: 150)))
        let clf = KerasClassifier(model: mlpBuilder, params: fast)
        try clf.fit(x, one)
        XCTAssertEqual(clf.classLabels, ["7"])
        XCTAssertEqual(try clf.predict(x).labelKeys, [String](repeating: "7", count: 150))
        XCTAssertEqual(try clf.predictProba(x).shape, [150, 1])
        XCTAssertEqual(try clf.score(x, one), 1)
    }
}
