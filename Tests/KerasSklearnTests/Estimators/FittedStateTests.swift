import XCTest
@testable import KerasSklearn
import KerasDatasets

/// `fittedState` and `restore(model:_:)`: an estimator rebuilt around a trained model from the
/// state another estimator's fit left predicts and trains on as that one.
final class FittedStateTests: XCTestCase {
    let fast: Params = ["epochs": 3, "batch_size": 16, "verbose": 0, "optimizer": "adam", "optimizer__learning_rate": 0.03, "random_state": 0]

    func testRestoredClassifierPredictsAndTrainsOnAsTheFittedOne() throws {
        let (x, y) = try standardizedIris()
        let names = Target.labels(y.tensor!.scalars.map { ["b", "a", "c"][Int($0)] })
        let fitted = KerasClassifier(model: mlpBuilder, params: fast)
        try fitted.fit(x, names)
        let state = try XCTUnwrap(fitted.fittedState)
        XCTAssertEqual(state.classes, .labels(["a", "b", "c"]))
        XCTAssertEqual(state.encoding, .ordinal)
        XCTAssertEqual(state.sampleShape, [4])
        let model = try XCTUnwrap(fitted.model)
        let restored = KerasClassifier(training: model, params: fast)
        try restored.restore(model: model, state)
        XCTAssertEqual(try restored.predict(x), try fitted.predict(x))
        XCTAssertEqual(try restored.predictProba(x).scalars, try fitted.predictProba(x).scalars)
        XCTAssertEqual(try restored.score(x, names), try fitted.score(x, names))
        XCTAssertEqual(restored.history, fitted.history)
        XCTAssertEqual(restored.classLabels, ["a", "b", "c"])

        // Training goes on from the history: epoch 4 of the model, history_ of 4 epochs.
        final class Epochs: Callback, @unchecked Sendable {
            var seen: [Int] = []
            override func onEpochEnd(_ epoch: Int, logs: Logs) throws { seen.append(epoch) }
        }
        let epochs = Epochs()
        try restored.partialFit(x, names, callbacks: [epochs])
        XCTAssertEqual(epochs.seen, [3])
        XCTAssertEqual(restored.history["loss"]?.count, 4)
        XCTAssertTrue(restored.model === model)
    }

    func testRestoredRegressorKeepsTheTargetsRank() throws {
        let (x, _) = try standardizedIris()
        let y = Tensor(shape: [150, 1])
        for i in 0..<150 { y.data[i] = x.data[i * 4] - 0.5 * x.data[i * 4 + 1] }
        let fitted = KerasRegressor(model: mlpBuilder, params: fast)
        try fitted.fit(x, .values(y))
        let state = try XCTUnwrap(fitted.fittedState)
        XCTAssertEqual(state.targetRank, 2)
        let model = try XCTUnwrap(fitted.model)
        let restored = KerasRegressor(training: model)
        try restored.restore(model: model, state)
        XCTAssertEqual(try restored.predict(x).tensor?.shape, [150, 1])
        XCTAssertEqual(try restored.predict(x), try fitted.predict(x))
    }

    /// A state that does not hold together is refused, naming the field, and changes nothing.
    func testInconsistentStatesAreNamed() throws {
        let (x, y) = try standardizedIris()
        let fitted = KerasClassifier(model: mlpBuilder, params: fast)
        try fitted.fit(x, y)
        let state = try XCTUnwrap(fitted.fittedState)
        let model = try XCTUnwrap(fitted.model)
        func refused(_ change: (inout FittedState) -> Void, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            var bad = state
            change(&bad)
            let e = KerasClassifier(training: model, params: fast)
            XCTAssertThrowsError(try e.restore(model: model, bad), file: file, line: line) {
                XCTAssertTrue("\($0)".contains(message), "\($0)", file: file, line: line)
            }
            XCTAssertNil(e.fittedState, file: file, line: line)
            XCTAssertEqual(e.classLabels, nil, file: file, line: line)
        }
        refused({ $0.classes = .ints([2, 0, 1]) }, "classes_ must be sorted and distinct")
        refused({ $0.classes = nil }, "classes_ must list the classes")
        refused({ $0.encoding = .onehot }, "target_encoding 'onehot' does not fit a 'multiclass' target")
        refused({ $0.sampleShape = [5] }, "n_features_in_ is 4 but sample_shape starts with 5")
        refused({ $0.targetRank = 3 }, "y_ndim_ must be 1 (one output) or 2")
        refused({ $0.history["accuracy"] = [1] }, "history_ lists must have the 3 epochs")
        refused({ $0.history["val_loss"] = [1, 2, 3, 4] }, "validation lists at most that many")
        // A huge class count from the caller is refused without listing its classes.
        refused({
            $0.metadata = ModelMetadata(nFeaturesIn: 4, nClasses: Int(Int32.max), classes: ["0"], nOutputs: Int(Int32.max), nOutputsExpected: 3,
                                        targetType: .multilabelIndicator, outputActivation: .sigmoid, defaultLoss: "binary_crossentropy")
            $0.classes = nil
            $0.encoding = .identity
            $0.targetRank = 2
        }, "classes_ are its column indices")
        XCTAssertThrowsError(try KerasRegressor(training: model).restore(model: model, state)) {
            XCTAssertTrue("\($0)".contains("target_encoding is 'ordinal', but a KerasRegressor takes its target as given"), "\($0)")
        }
    }

    /// predict__batch_size and predict__verbose reach the predictions; bad values are named.
    func testPredictParameters() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: fast)
        try clf.fit(x, y)
        let reference = try clf.predictProba(x).scalars
        for batch in [-1, 7] {
            try clf.setParams(["predict__batch_size": .int(batch)])
            XCTAssertEqual(try clf.predictOptions(rows: 150).batchSize, batch == -1 ? 150 : batch)
            let p = try clf.predictProba(x).scalars
            for (a, b) in zip(p, reference) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        }
        try clf.setParams(["predict__batch_size": 0])
        XCTAssertThrowsError(try clf.predict(x)) { XCTAssertTrue("\($0)".contains("'predict__batch_size' must be a positive integer, -1 (all rows) or None"), "\($0)") }
        try clf.setParams(["predict__batch_size": .none, "predict__verbose": 2])
        XCTAssertEqual(try clf.predictOptions(rows: 150).verbose, 2)
        try clf.setParams(["predict__verbose": 3])
        XCTAssertThrowsError(try clf.predict(x)) { XCTAssertTrue("\($0)".contains("'predict__verbose' must be 0, 1 or 2"), "\($0)") }
    }
}
