import XCTest
@testable import KerasSklearn
import KerasDatasets

/// What the Python wrappers' SciKeras cases need from the estimator: targets the caller encoded
/// (`target_encoder: "passthrough"`, with `output_columns` for several outputs), Model.fit's
/// arguments as `fit__` parameters, and integer labels beyond float32 (`label_order: "numeric"`).
final class KerasEncodedTargetsTests: XCTestCase {
    /// One input, two outputs: 3 softmax units and 1 sigmoid unit.
    func twoHeads() throws -> Model {
        let input = Input(shape: [4])
        let h = try Dense(8, activation: .relu)(input)
        return try Model(inputs: input, outputs: [try Dense(3, activation: .softmax, name: "kind")(h),
                                                  try Dense(1, activation: .sigmoid, name: "big")(h)])
    }

    /// Iris with its targets encoded by the caller: one-hot species beside "petal length above
    /// the median", side by side, and each output's part.
    func encodedIris() throws -> (Tensor, Tensor, [Tensor]) {
        let (x, y) = try standardizedIris()
        let raw = Datasets.iris()
        let side = Tensor(shape: [150, 4]), kind = Tensor(shape: [150, 3]), big = Tensor(shape: [150, 1])
        for i in 0..<150 {
            let c = Int(y.tensor!.data[i])
            side.data[4 * i + c] = 1; kind.data[3 * i + c] = 1
            let b: Float = raw.x.data[i * 4 + 2] > 4.35 ? 1 : 0
            side.data[4 * i + 3] = b; big.data[i] = b
        }
        return (x, side, [kind, big])
    }

    /// The estimator trains a two-output model on the targets as given, split by output_columns:
    /// bit for bit what Model.fit does with the outputs' targets; predict gives the raw outputs
    /// side by side.
    func testPassthroughTrainsEveryOutputAsModelFit() throws {
        let (x, side, parts) = try encodedIris()
        let a = try withRandomSeed(5) { try twoHeads() }, b = try withRandomSeed(5) { try twoHeads() }
        for m in [a, b] { try m.compile(optimizer: "adam", loss: "binary_crossentropy") }
        let clf = KerasClassifier(training: a, params: ["epochs": 3, "batch_size": 16, "verbose": 0, "shuffle": false,
                                                        "target_encoder": "passthrough", "output_columns": [3, 1]])
        try clf.fit(x, .values(side))
        let h = try b.fit([x], parts, batchSize: 16, epochs: 3, verbose: 0, shuffle: false)
        for (wa, wb) in zip(a.getWeights(), b.getWeights()) { XCTAssertEqual(wa.scalars, wb.scalars) }
        XCTAssertEqual(clf.history["loss"], h.history["loss"])
        XCTAssertEqual(clf.history["kind_loss"]?.count, 3)
        XCTAssertEqual(clf.classLabels, [])
        let raw = try XCTUnwrap(try clf.predict(x).tensor)
        XCTAssertEqual(raw.shape, [150, 4])
        let outs = try b.predict([x])
        for i in 0..<150 {
            XCTAssertEqual(Array(raw.scalars[(4 * i)..<(4 * i + 3)]), Array(outs[0].scalars[(3 * i)..<(3 * i + 3)]))
            XCTAssertEqual(raw.data[4 * i + 3], outs[1].data[i])
        }
        XCTAssertEqual(try clf.predictProba(x).scalars, raw.scalars)
        XCTAssertThrowsError(try clf.score(x, .values(side))) { XCTAssertTrue("\($0)".contains("raw outputs")) }
    }

    /// A builder's model without a compiled loss needs the loss parameter; bad output_columns,
    /// a second output without them, class_weight and partialFit's classes are refused by name.
    func testPassthroughRefusesWhatItCannotDo() throws {
        let (x, side, _) = try encodedIris()
        let base: Params = ["epochs": 1, "verbose": 0, "target_encoder": "passthrough"]
        let cases: [(Params, String)] = [
            ([:], "No valid loss function found"),
            (["loss": "binary_crossentropy"], "the model has 2 outputs; give output_columns"),
            (["loss": "binary_crossentropy", "output_columns": [2, 1]], "summing to y's 4 columns"),
            (["loss": "binary_crossentropy", "output_columns": [4, 0]], "'output_columns' must be a list of positive integers"),
            (["loss": "binary_crossentropy", "output_columns": [3, 1], "class_weight": "balanced"], "class_weight needs the estimator's own target encoding"),
            (["loss": "binary_crossentropy", "target_encoder": "mine"], "'target_encoder' must be 'passthrough'"),
        ]
        for (extra, message) in cases {
            let clf = KerasClassifier(model: { _, _ in try self.twoHeads() }, params: base.merging(extra) { $1 })
            XCTAssertThrowsError(try clf.fit(x, .values(side))) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        let clf = KerasClassifier(model: { _, _ in try self.twoHeads() }, params: base.merging(["loss": "binary_crossentropy", "output_columns": [3, 1]]) { $1 })
        XCTAssertThrowsError(try clf.partialFit(x, .values(side), classes: .ints([0, 1]))) {
            XCTAssertTrue("\($0)".contains("classes need the estimator's own target encoding"), "\($0)")
        }
        // One output: y as given, any shape the loss takes; a regressor's predictions stay 2-D.
        let reg = KerasRegressor(model: { _, _ in try Sequential([Dense(1)]) },
                                 params: ["epochs": 2, "verbose": 0, "loss": "mse", "target_encoder": "passthrough"])
        let target = Tensor(shape: [150, 1])
        for i in 0..<150 { target.data[i] = x.data[4 * i] * 0.5 }
        try reg.fit(x, .values(target))
        XCTAssertEqual(try reg.predict(x).tensor?.shape, [150, 1])
        XCTAssertTrue(reg.fittedAsEncoded)
    }

    /// fit__initial_epoch numbers a fit's epochs from it (and partialFit's, when given);
    /// fit__validation_freq, fit__steps_per_epoch and validation_batch_size reach Model.fit;
    /// bad values are refused by name.
    func testFitArgumentsReachModelFit() throws {
        let (x, y) = try standardizedIris()
        final class Epochs: Callback, @unchecked Sendable {
            var seen: [Int] = [], steps = 0
            override func onEpochEnd(_ epoch: Int, logs: Logs) throws { seen.append(epoch) }
            override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { steps += 1 }
        }
        let epochs = Epochs()
        let clf = KerasClassifier(model: mlpBuilder, params: [
            "epochs": 4, "batch_size": 16, "verbose": 0, "validation_split": 0.2, "validation_batch_size": 8,
            "fit__initial_epoch": 3, "fit__validation_freq": 2, "fit__steps_per_epoch": 2])
        try clf.fit(x, y, callbacks: [epochs])
        XCTAssertEqual(epochs.seen, [3, 4, 5, 6])
        XCTAssertEqual(epochs.steps, 8)
        XCTAssertEqual(clf.history["loss"]?.count, 4)
        XCTAssertEqual(clf.history["val_loss"]?.count, 2, "validated after epochs 3 and 5 (counted from 0)")
        try clf.setParams(["fit__initial_epoch": 7])
        try clf.partialFit(x, y, callbacks: [epochs])
        XCTAssertEqual(epochs.seen.last, 7)
        XCTAssertEqual(clf.history["loss"]?.count, 5)
        for (key, value) in [("fit__initial_epoch", -1), ("fit__initial_epoch", Int.max), ("fit__steps_per_epoch", 0), ("fit__validation_freq", 0),
                             ("validation_batch_size", 0), ("fit__validation_batch_size", -2)] {
            var params: Params = ["verbose": 0]
            params[key] = .int(value)
            let bad = KerasClassifier(model: mlpBuilder, params: params)
            XCTAssertThrowsError(try bad.fit(x, y)) { XCTAssertTrue("\($0)".contains("parameter '\(key)'"), "\($0)") }
        }
        XCTAssertThrowsError(try clf.setParams(["fit__shuffle": true])) { XCTAssertTrue("\($0)".contains("invalid parameter 'fit__shuffle'")) }
    }

    /// label_order "numeric": labels that are the text of integers float32 cannot hold sort by
    /// value and come back exactly; lexicographic order otherwise; text that is not a number is
    /// refused.
    func testNumericLabelOrderKeepsLargeIntegers() throws {
        let (x, y) = try standardizedIris()
        let ids = ["16777217", "9", "16777216"]
        let labels = Target.labels(y.tensor!.scalars.map { ids[Int($0)] })
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 20, "verbose": 0, "optimizer": "adam",
                                                              "optimizer__learning_rate": 0.03, "label_order": "numeric"])
        try clf.fit(x, labels)
        XCTAssertEqual(clf.classLabels, ["9", "16777216", "16777217"])
        XCTAssertTrue(Set(try XCTUnwrap(try clf.predict(x).strings)).isSubset(of: ids))
        XCTAssertGreaterThan(try clf.score(x, labels), 0.8)
        let lexicographic = KerasClassifier(model: mlpBuilder, params: ["epochs": 1, "verbose": 0])
        try lexicographic.fit(x, labels)
        XCTAssertEqual(lexicographic.classLabels, ["16777216", "16777217", "9"])
        XCTAssertEqual(try numericallySorted(["-2", "10", "2.5", "-0.5", "9007199254740993", "9007199254740992"]),
                       ["-2", "-0.5", "2.5", "10", "9007199254740992", "9007199254740993"])
        let bad = KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "label_order": "numeric"])
        XCTAssertThrowsError(try bad.fit(x, .labels(y.tensor!.scalars.map { ["a", "b", "c"][Int($0)] }))) {
            XCTAssertTrue("\($0)".contains("label_order 'numeric' needs labels that are numbers, got"), "\($0)")
        }
        XCTAssertThrowsError(try KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "label_order": "size"]).fit(x, labels)) {
            XCTAssertTrue("\($0)".contains("parameter 'label_order'"), "\($0)")
        }
    }
}
