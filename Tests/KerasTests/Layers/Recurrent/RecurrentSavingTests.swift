import Foundation
import XCTest
@testable import Keras

/// Recurrent models written by real Keras load here with Keras's predictions, and models
/// written here load back (and, through `RecurrentInteropExportTests`, in real Keras).
final class RecurrentSavingTests: XCTestCase {
    static let kerasWritten = ["recurrent_embedding_lstm", "recurrent_gru", "recurrent_rnn_lstm_cell", "conv_lstm_model", "conv_lstm1d_model"]

    func testKerasWrittenRecurrentModelsLoadHere() throws {
        for name in Self.kerasWritten {
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
            // The fixture lists the paths of the model Keras wrote, which start with its name;
            // Keras 3 (3.15) reads a Sequential's config building its layers outside its name
            // scope, so the model read back has them without it.
            let kerasPaths = try XCTUnwrap(info["weights"]?.arrayValue).compactMap(\.stringValue)
                .map { $0.hasPrefix("\(name)/") ? String($0.dropFirst(name.count + 1)) : $0 }
            XCTAssertEqual(fromJSON.weights.map(\.path), kerasPaths, name)
        }
    }

    func testSwiftRecurrentModelsRoundTrip() throws {
        let model = try RecurrentInteropExportTests.makeModel()
        let x = RecurrentInteropExportTests.inputs
        try model.fit(x, Tensor([[1], [0], [-1]]), epochs: 2, verbose: 0)
        let want = try model.predict(x)
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            assertClose([try loadModel("\(dir)/m.\(ext)").predict(x)], [want], "reloaded .\(ext)")
        }
    }
}

/// Writes a Swift-trained Embedding(mask_zero) → LSTM → GRU model into `$SWIFTKERAS_INTEROP_OUT`
/// for Tests/interop/test_recurrent_in_keras.py (run by `make test-python`).
final class RecurrentInteropExportTests: XCTestCase {
    static let inputs = Tensor([[1, 4, 9, 0, 0], [2, 2, 3, 5, 7], [8, 0, 0, 0, 0]])

    static func makeModel() throws -> Sequential {
        setRandomSeed(21)
        let model = try Sequential([InputLayer(shape: [5]), Embedding(10, 4, maskZero: true, name: "embedding"),
                                    LSTM(3, returnSequences: true, name: "lstm"), GRU(2, resetAfter: false, name: "gru"),
                                    Dense(1, name: "head")], name: "swift_recurrent")
        try model.compile(optimizer: "adam", loss: "mean_squared_error")
        return model
    }

    func testWriteRecurrentModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try Self.makeModel()
        try model.fit(Self.inputs, Tensor([[1], [0], [-1]]), epochs: 3, verbose: 0)
        for ext in ["keras", "h5", "weights.h5", "json"] {
            if ext == "weights.h5" { try model.saveWeights("\(out)/swift_recurrent.weights.h5") } else { try model.save("\(out)/swift_recurrent.\(ext)") }
        }
        try Self.writeExpected(model, [Self.inputs], to: "\(out)/swift_recurrent.expected.json")
    }

    /// A functional `LSTM(3)(x, initial_state=[h, c])` written here for Keras (its inbound_nodes
    /// put the states under `initial_state`).
    func testWriteInitialStateModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(22)
        let x = Input(shape: [5, 4], name: "x"), h = Input(shape: [3], name: "h"), c = Input(shape: [3], name: "c")
        let y = try LSTM(3, name: "lstm")([x, h, c])
        let model = try Model(inputs: [x, h, c], outputs: [try Dense(1, name: "head")(y)], name: "swift_initial_state")
        for ext in ["keras", "h5"] { try model.save("\(out)/swift_initial_state.\(ext)") }
        let inputs = [GradientCheck.random([2, 5, 4], seed: 1), GradientCheck.random([2, 3], seed: 2), GradientCheck.random([2, 3], seed: 3)]
        try Self.writeExpected(model, inputs, to: "\(out)/swift_initial_state.expected.json")
    }

    /// The inputs and the model's predictions as nested lists, for the Python side.
    static func writeExpected(_ model: Model, _ inputs: [Tensor], to path: String) throws {
        let nested = { (t: Tensor) -> JSON in
            let row = t.count / max(t.shape[0], 1)
            return .array((0..<t.shape[0]).map { r in
                let flat = (0..<row).map { JSON.double(Double(t.data[r * row + $0])) }
                guard t.rank == 3 else { return .array(flat) }
                return .array(stride(from: 0, to: row, by: t.shape[2]).map { .array(Array(flat[$0..<($0 + t.shape[2])])) })
            })
        }
        let info: JSON = ["inputs": .array(inputs.map(nested)), "outputs": .array(try model.predict(inputs).map(nested))]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: path))
    }
}
