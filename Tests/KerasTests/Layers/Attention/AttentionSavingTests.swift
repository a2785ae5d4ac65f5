import Foundation
import XCTest
@testable import Keras

/// The self-attention model (Input → MultiHeadAttention(x, x) → GlobalAveragePooling1D → Dense):
/// Keras's files load here with Keras's predictions and weight paths; ours train and round trip.
final class AttentionSavingTests: XCTestCase {
    func testKerasWrittenSelfAttentionModelLoadsHere() throws {
        let name = "attention_self_mha"
        let (inputs, outputs) = try SavingFixtures.expected(name)
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("\(name).\(ext)"))
            assertClose([try model.predict(inputs[0])], outputs, "\(name).\(ext)")
        }
        let json = try String(contentsOfFile: try SavingFixtures.path("\(name).json"), encoding: .utf8)
        let fromJSON = try modelFromJSON(json)
        try fromJSON.loadWeights(try SavingFixtures.path("\(name).weights.h5"))
        assertClose([try fromJSON.predict(inputs[0])], outputs, "\(name).json + .weights.h5")
        let info = try JSONParser.parse(try String(contentsOfFile: try SavingFixtures.path("\(name).expected.json"), encoding: .utf8))
        XCTAssertEqual(fromJSON.weights.map(\.path), try XCTUnwrap(info["weights"]?.arrayValue).compactMap(\.stringValue))
        // Our config of the same model is Keras's, node arguments included.
        let ours = try JSONParser.parse(fromJSON.toJSON())["config"]?["layers"]?.arrayValue
        let theirs = try JSONParser.parse(json)["config"]?["layers"]?.arrayValue
        XCTAssertEqual(ours?[1], theirs?[1])
    }

    /// MultiHeadAttention(attention_axes=(2,)) on [B, 3, 4, 6]: Keras's file predicts as Keras;
    /// trained here, it round trips (.keras, .h5) with its axes in the config.
    func testKerasAttentionAxesModelLoadsTrainsAndSaves() throws {
        let name = "attention_mha_axes"
        let (inputs, outputs) = try SavingFixtures.expected(name)
        let model = try loadModel(try SavingFixtures.path("\(name).keras"))
        assertClose([try model.predict(inputs[0])], outputs, "\(name).keras")
        let mha = try XCTUnwrap(model.layers.first { $0 is MultiHeadAttention }?.getConfig())
        XCTAssertEqual(mha["attention_axes"], [2])
        try model.fit(inputs[0], Tensor(shape: [3, 1], repeating: 0.5), epochs: 2, verbose: 0)
        let want = try model.predict(inputs[0])
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            assertClose([try loadModel("\(dir)/m.\(ext)").predict(inputs[0])], [want], "reloaded .\(ext)")
        }
    }

    func testSwiftSelfAttentionModelTrainsAndRoundTrips() throws {
        let model = try AttentionInteropExportTests.makeModel()
        let (x, y) = AttentionInteropExportTests.data
        let history = try model.fit(x, y, batchSize: 4, epochs: 20, verbose: 0)
        let losses = try XCTUnwrap(history.history["loss"])
        XCTAssertLessThan(try XCTUnwrap(losses.last), try XCTUnwrap(losses.first) * 0.7, "\(losses)")
        let want = try model.predict(x)
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            assertClose([try loadModel("\(dir)/m.\(ext)").predict(x)], [want], "reloaded .\(ext)")
        }
    }
}

/// Writes a Swift-trained self-attention model into `$SWIFTKERAS_INTEROP_OUT` for
/// Tests/interop/test_attention_in_keras.py (run by `make test-python`).
final class AttentionInteropExportTests: XCTestCase {
    static var data: (Tensor, Tensor) {
        let x = GradientCheck.random([12, 5, 6], in: -1...1, seed: 31)
        // A target the model can learn: the mean of the first feature over the sequence.
        let y = (0..<12).map { i in (0..<5).reduce(Float(0)) { $0 + x.scalars[(i * 5 + $1) * 6] } / 5 }
        return (x, (try? Tensor(shape: [12, 1], scalars: y)) ?? Tensor(shape: [12, 1]))
    }

    static func makeModel() throws -> Model {
        setRandomSeed(17)
        let x = Input(shape: [5, 6], name: "tokens")
        let h = try MultiHeadAttention(numHeads: 2, keyDim: 4, name: "mha")([x, x])
        let y = try Dense(1, name: "head")(try GlobalAveragePooling1D(name: "pool")(h))
        let model = try Model(inputs: x, outputs: y, name: "swift_attention")
        try model.compile(optimizer: "adam", loss: "mean_squared_error")
        return model
    }

    func testWriteAttentionModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try Self.makeModel()
        let (x, y) = Self.data
        try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0)
        try model.save("\(out)/swift_attention.keras")
        try model.save("\(out)/swift_attention.h5")
        try model.saveWeights("\(out)/swift_attention.weights.h5")
        try Data(model.toJSON().utf8).write(to: URL(fileURLWithPath: "\(out)/swift_attention.json"))
        let preds = try model.predict(x)
        let info: JSON = ["inputs": ["shape": .array(x.shape.map(JSON.int)), "data": .array(x.scalars.map { .double(Double($0)) })],
                          "outputs": .array(preds.scalars.map { .double(Double($0)) })]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_attention.expected.json"))
    }
}
