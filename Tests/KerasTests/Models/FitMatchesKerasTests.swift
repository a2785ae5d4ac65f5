import XCTest
@testable import Keras

/// End-to-end training against real Keras: the same initial weights, data and options
/// (shuffle off) must give Keras's per-epoch history, final weights, evaluate() and predict().
/// Fixtures: scripts/make_training_fixtures.py.
final class FitMatchesKerasTests: XCTestCase {
    func run(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try loadFixture("training/\(name).json")
        let rows = f["x"]?.arrayValue ?? []
        let x = try Tensor(shape: [rows.count, 4], scalars: rows.flatMap(\.floats))
        let yRows = f["y"]?.arrayValue ?? []
        let y: Tensor
        if yRows.first?.arrayValue != nil {
            y = try Tensor(shape: [yRows.count, 3], scalars: yRows.flatMap(\.floats))
        } else {
            y = Tensor(yRows.compactMap { $0.doubleValue.map(Float.init) })
        }
        let model = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
        let initial = try (f["initial_weights"]?.arrayValue ?? []).enumerated().map { i, w -> Tensor in
            let shape = i % 2 == 0 ? [i == 0 ? 4 : 8, i == 0 ? 8 : 3] : [i == 1 ? 8 : 3]
            return try Tensor(shape: shape, scalars: w.arrayValue?.first?.arrayValue != nil ? (w.arrayValue ?? []).flatMap(\.floats) : w.floats)
        }
        try model.setWeights(initial)
        let cfg = f["optimizer_config"]
        let lr = cfg?["learning_rate"]?.doubleValue ?? 0.01
        let optimizer: Optimizer
        switch f["optimizer"]?.stringValue {
        case "SGD": optimizer = try SGD(learningRate: lr, momentum: cfg?["momentum"]?.doubleValue ?? 0)
        case "Adam": optimizer = try Adam(learningRate: lr)
        case "RMSprop": optimizer = try RMSprop(learningRate: lr)
        default: throw KerasError.invalidArgument("fixture optimizer \(String(describing: f["optimizer"]))")
        }
        try model.compile(optimizer: .instance(optimizer), loss: .name(f["loss"]?.stringValue ?? ""), metrics: ["accuracy"])
        let fit = f["fit"]
        var classWeight: [Int: Float]?
        if let cw = fit?["class_weight"]?.objectValue {
            classWeight = Dictionary(uniqueKeysWithValues: cw.map { (Int($0.0) ?? -1, Float($0.1.doubleValue ?? 1)) })
        }
        let sampleWeight = fit?["sample_weight"].map { Tensor($0.floats) }
        let history = try model.fit(x, y, batchSize: fit?["batch_size"]?.intValue, epochs: fit?["epochs"]?.intValue ?? 1,
                                    verbose: 0, validationSplit: fit?["validation_split"]?.doubleValue ?? 0,
                                    shuffle: false, classWeight: classWeight, sampleWeight: sampleWeight)
        for (key, values) in f["history"]?.objectValue ?? [] {
            let ours = try XCTUnwrap(history.history[key], "history has no '\(key)'", file: file, line: line)
            assertClose(ours.map(Float.init), values.floats, atol: 2e-5, rtol: 2e-5, "\(name) history[\(key)]", file: file, line: line)
        }
        XCTAssertEqual(Set(history.history.keys), Set((f["history"]?.objectValue ?? []).map(\.0)), file: file, line: line)
        for (i, (w, expected)) in zip(model.getWeights(), f["final_weights"]?.arrayValue ?? []).enumerated() {
            let flat = expected.arrayValue?.first?.arrayValue != nil ? (expected.arrayValue ?? []).flatMap(\.floats) : expected.floats
            assertClose(w.scalars, flat, atol: 2e-5, rtol: 2e-5, "\(name) final weight \(i)", file: file, line: line)
        }
        let evaluation = try model.evaluateDict([x], [y], verbose: 0)
        for (key, value) in evaluation {
            let expected = try XCTUnwrap(f["evaluate"]?[key]?.doubleValue, "evaluate has no '\(key)'", file: file, line: line)
            XCTAssertEqual(value, expected, accuracy: 2e-5, "\(name) evaluate \(key)", file: file, line: line)
        }
        let predicted = try model.predict(try Ops.take(x, Array(0..<5)))
        assertClose(predicted.scalars, (f["predict"]?.arrayValue ?? []).flatMap(\.floats), "\(name) predict", file: file, line: line)
    }

    func testSGDWithSparseLabelsMatchesKeras() throws { try run("sgd_sparse") }
    func testAdamWithValidationSplitMatchesKeras() throws { try run("adam_val_split") }
    func testRMSpropWithClassWeightsMatchesKeras() throws { try run("rmsprop_class_weight") }
    func testSGDMomentumWithSampleWeightsMatchesKeras() throws { try run("sgd_momentum_sample_weight") }
    func testCategoricalOneHotMatchesKeras() throws { try run("categorical_onehot") }
}
