import Foundation
import XCTest
@testable import Keras

/// A model with an adapted Normalization and a CategoryEncoding: Keras's files load here with
/// equal predictions, and the model saved here keeps its scaling.
final class PreprocessingModelTests: XCTestCase {
    func testKerasModelLoadsTrainsAndSavesBothWays() throws {
        let (inputs, outputs) = try SavingFixtures.expected("preprocessing_model")
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("preprocessing_model.\(ext)"))
            assertClose(try model.predict(inputs), outputs, "preprocessing_model.\(ext)")
            let norm = try XCTUnwrap(model.layers.first { $0 is Normalization })
            XCTAssertEqual(norm.weights.map(\.name), ["mean", "variance", "count"])
            try model.fit(inputs, [Tensor(shape: [5, 1], repeating: 0.5)], epochs: 2, verbose: 0)
            let trained = try model.predict(inputs)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("prep-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            assertClose(try loadModel(path).predict(inputs), trained, "saved here as .\(ext)")
        }
    }

    /// Adapting a Normalization inside a built model before fit sets the scaling the model uses
    /// and saves.
    func testAdaptInsideModelBeforeFit() throws {
        let model = try PreprocessingInteropExportTests.model()
        let data = PreprocessingInteropExportTests.features(rows: 32)
        let norm = try XCTUnwrap(model.layers.first { $0 is Normalization } as? Normalization)
        try norm.adapt(data)
        let mean = try XCTUnwrap(norm.adaptMean).numpy.scalars
        for j in 0..<3 {
            let column = (0..<32).map { data.data[$0 * 3 + j] }
            XCTAssertEqual(mean[j], column.reduce(0, +) / 32, accuracy: 1e-4)
        }
        let normalized = try norm(data)
        for j in 0..<3 {
            let column = (0..<32).map { normalized.data[$0 * 3 + j] }
            XCTAssertEqual(column.reduce(0, +) / 32, 0, accuracy: 1e-4)
            XCTAssertEqual(column.map { $0 * $0 }.reduce(0, +) / 32, 1, accuracy: 1e-3)
        }
    }
}

/// Writes a Swift-adapted and Swift-trained Normalization + CategoryEncoding model into
/// `$SWIFTKERAS_INTEROP_OUT` for Tests/interop/test_preprocessing_in_keras.py.
final class PreprocessingInteropExportTests: XCTestCase {
    static func features(rows: Int) -> Tensor {
        let t = Tensor.uninitialized([rows, 3])
        for i in 0..<rows * 3 { t.data[i] = Float((i * 37) % 11) * 0.7 + Float(i % 3) * 5 - 2 }
        return t
    }

    static func categories(rows: Int) -> Tensor {
        let t = Tensor.uninitialized([rows, 2])
        for i in 0..<rows * 2 { t.data[i] = Float((i * 7) % 4) }
        return t
    }

    static func model() throws -> Model {
        let num = Input(shape: [3], name: "num"), cat = Input(shape: [2], name: "cat")
        let h = try concatenate([Normalization(name: "norm")(num),
                                 CategoryEncoding(numTokens: 4, outputMode: "multi_hot", name: "enc")(cat)], name: "cat_all")
        let hidden = try Dense(4, activation: .relu, name: "hidden")(h)
        return try Model(inputs: [num, cat], outputs: Dense(1, name: "out")(hidden), name: "swift_preprocessing")
    }

    func testWritePreprocessingModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(3)
        let model = try Self.model()
        let x = Self.features(rows: 40), c = Self.categories(rows: 40)
        try XCTUnwrap(model.layers.first { $0 is Normalization } as? Normalization).adapt(x)
        try model.compile(optimizer: "adam", loss: "mse")
        try model.fit([x, c], [Tensor(shape: [40, 1], repeating: 0.3)], epochs: 2, verbose: 0)
        for ext in ["keras", "h5"] { try model.save("\(out)/swift_preprocessing.\(ext)") }
        let xs = try Ops.take(x, Array(0..<5)), cs = try Ops.take(c, Array(0..<5))
        let preds = try model.predict([xs, cs])
        func flat(_ t: Tensor) -> JSON {
            ["shape": .array(t.shape.map { .int($0) }), "data": .array((0..<t.count).map { .double(Double(t.data[$0])) })]
        }
        let info: JSON = ["inputs": .array([flat(xs), flat(cs)]), "outputs": flat(preds[0])]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_preprocessing.expected.json"))
    }
}
