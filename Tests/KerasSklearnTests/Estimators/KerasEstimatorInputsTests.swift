import XCTest
@testable import KerasSklearn
import KerasDatasets

/// `fit(inputs:...)`, `predict(inputs:)` and `withPredictCall(_:_:)`: several inputs, Keras fit's
/// validation data and class weights, a prediction's own options, and the restore of an
/// estimator fitted on targets given encoded.
final class KerasEstimatorInputsTests: XCTestCase {
    let fast: Params = ["epochs": 3, "batch_size": 16, "verbose": 0, "optimizer": "adam", "random_state": 0, "shuffle": false]

    /// x's columns 0-1 and 2-3 as two inputs.
    func halves(_ x: Tensor) -> [Tensor] {
        let n = x.shape[0]
        let a = Tensor(shape: [n, 2]), b = Tensor(shape: [n, 2])
        for i in 0..<n {
            for j in 0..<2 { a.data[i * 2 + j] = x.data[i * 4 + j]; b.data[i * 2 + j] = x.data[i * 4 + 2 + j] }
        }
        return [a, b]
    }

    let oneInput: ModelBuilder = { _, _ in try Sequential([InputLayer(shape: [4]), Dense(3, activation: .softmax)]) }
    let twoInputs: ModelBuilder = { _, _ in
        let a = Input(shape: [2]), b = Input(shape: [2])
        return try Model(inputs: [a, b], outputs: [try Dense(3, activation: .softmax)(try Concatenate()([a, b]))])
    }

    /// A Dense layer on two concatenated inputs is that layer on their columns: with the same
    /// seed (the same initial kernel) the two fits and their predictions agree.
    func testTwoInputsTrainAsOneInputOfTheirColumns() throws {
        let (x, y) = try standardizedIris()
        let one = KerasClassifier(model: oneInput, params: fast), two = KerasClassifier(model: twoInputs, params: fast)
        try one.fit(x, y)
        try two.fit(inputs: halves(x), y)
        let p1 = try one.predictProba(x).scalars, p2 = try two.predictProba(inputs: halves(x)).scalars
        XCTAssertEqual(p1.count, 450)
        for (a, b) in zip(p1, p2) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(try two.predict(inputs: halves(x)), try one.predict(x))
        XCTAssertEqual(try two.score(inputs: halves(x), y), try one.score(x, y), accuracy: 1e-12)
        XCTAssertEqual(two.sampleShape, [2])
        XCTAssertThrowsError(try two.predict(inputs: [halves(x)[0]])) { error in
            XCTAssertTrue("\(error)".contains("input"), "\(error)")
        }
    }

    /// Keras's class_weight is the sample weights of each sample's class: the same fit.
    func testClassWeightIsPerClassSampleWeight() throws {
        let (x, y) = try standardizedIris()
        let weights: [Int: Float] = [0: 0.5, 1: 2, 2: 1]
        let byClass = KerasClassifier(model: oneInput, params: fast)
        try byClass.fit(inputs: [x], y, extras: .init(classWeight: weights))
        let bySample = KerasClassifier(model: oneInput, params: fast)
        try bySample.fit(x, y, sampleWeight: Tensor(y.tensor!.scalars.map { weights[Int($0)] ?? 0 }))
        for (a, b) in zip(try byClass.predictProba(x).scalars, try bySample.predictProba(x).scalars) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        let both = KerasClassifier(model: oneInput, params: fast.merging(["class_weight": "balanced"]) { $1 })
        XCTAssertThrowsError(try both.fit(inputs: [x], y, extras: .init(classWeight: weights))) { error in
            XCTAssertTrue("\(error)".contains("class_weight is given both"), "\(error)")
        }
    }

    /// validation_data as the model takes it: val_ figures each epoch, computed on those rows
    /// (the loss of the whole set when they are the whole set).
    func testValidationDataAndAPredictionsOwnOptions() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: oneInput, params: fast)
        let codes = y.tensor!
        try clf.fit(inputs: [x], y, extras: .init(validation: ([x], [codes], nil)))
        XCTAssertEqual(clf.history["val_loss"]?.count, 3)
        XCTAssertEqual(clf.history["loss"]?.count, 3)

        final class Batches: Callback, @unchecked Sendable {
            var count = 0
            override func onPredictBatchEnd(_ batch: Int, logs: Logs) throws { count += 1 }
        }
        let batches = Batches()
        let plain = try clf.predictProba(x).scalars
        let sevens = try clf.withPredictCall(.init(batchSize: 7, callbacks: [batches])) { try clf.predictProba(x).scalars }
        XCTAssertEqual(batches.count, 22)
        for (a, b) in zip(plain, sevens) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertNil(clf.predictCall)
        XCTAssertThrowsError(try clf.withPredictCall(.init(verbose: 5)) { try clf.predict(x) }) { error in
            XCTAssertTrue("\(error)".contains("verbose (of this call)"), "\(error)")
        }
    }

    /// An estimator fitted on targets given encoded is restored as one: raw outputs, identity
    /// encoding, no classes.
    func testPassthroughEstimatorRestores() throws {
        let (x, y) = try standardizedIris()
        let onehot = Tensor(shape: [150, 3])
        for (i, c) in y.tensor!.scalars.enumerated() { onehot.data[i * 3 + Int(c)] = 1 }
        var params = fast
        params["target_encoder"] = "passthrough"
        params["loss"] = "categorical_crossentropy"
        let fitted = KerasClassifier(model: oneInput, params: params)
        try fitted.fit(x, .values(onehot))
        let state = try XCTUnwrap(fitted.fittedState)
        XCTAssertEqual(state.encoding, .identity)
        XCTAssertNil(state.classes)
        let model = try XCTUnwrap(fitted.model)
        let restored = KerasClassifier(training: model, params: params)
        try restored.restore(model: model, state)
        XCTAssertEqual(try restored.predict(x), try fitted.predict(x))
        XCTAssertEqual(try restored.predict(x).tensor?.shape, [150, 3])
        let stock = KerasClassifier(training: model, params: fast)
        XCTAssertThrowsError(try stock.restore(model: model, state))
    }
}
