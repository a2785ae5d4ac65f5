import Foundation
import XCTest
@testable import Keras

/// A Swift-trained ConvLSTM model saves and loads back here (Keras-written ConvLSTM models are in
/// ``RecurrentSavingTests/kerasWritten``) and, through `ConvLSTMInteropExportTests`, in real Keras.
final class ConvLSTMSavingTests: XCTestCase {
    func testSwiftConvLSTMModelsRoundTrip() throws {
        let model = try ConvLSTMInteropExportTests.makeModel()
        let x = ConvLSTMInteropExportTests.inputs
        try model.fit(x, ConvLSTMInteropExportTests.targets, epochs: 2, verbose: 0)
        let want = try model.predict(x)
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            let back = try loadModel("\(dir)/m.\(ext)")
            assertClose([try back.predict(x)], [want], "reloaded .\(ext)")
            // As Keras 3 (3.15) loads a Sequential: from .keras its layers are built outside its
            // name scope (no name first), from a legacy .h5 inside it.
            XCTAssertEqual(back.weights.map(\.path), model.weights.map {
                ext == "keras" && $0.path.hasPrefix("\(model.name)/") ? String($0.path.dropFirst(model.name.count + 1)) : $0.path
            })
        }
        // The layer's own part of the paths (a Sequential may put its name first).
        XCTAssertEqual(model.weights.prefix(3).map { $0.path.split(separator: "/").suffix(3).joined(separator: "/") },
                       ["conv_lstm2d/conv_lstm_cell/kernel", "conv_lstm2d/conv_lstm_cell/recurrent_kernel",
                        "conv_lstm2d/conv_lstm_cell/bias"])
    }
}

/// Writes a Swift-trained ConvLSTM2D(return_sequences) → ConvLSTM2D(go_backwards) → Flatten → Dense
/// model into `$SWIFTKERAS_INTEROP_OUT`
/// for Tests/interop/test_conv_lstm_in_keras.py (run by `make test-python`).
final class ConvLSTMInteropExportTests: XCTestCase {
    static let inputs = GradientCheck.random([3, 3, 4, 4, 2], in: -1...1, seed: 41)
    static let targets = Tensor([[1], [0], [-1]])

    static func makeModel() throws -> Sequential {
        setRandomSeed(23)
        let model = try Sequential([InputLayer(shape: [3, 4, 4, 2]),
                                    ConvLSTM2D(3, kernelSize: [3], padding: .same, returnSequences: true, name: "conv_lstm2d"),
                                    ConvLSTM2D(2, kernelSize: [2], goBackwards: true, name: "conv_lstm2d_1"),
                                    Flatten(name: "flatten"), Dense(1, name: "head")], name: "swift_conv_lstm")
        try model.compile(optimizer: "adam", loss: "mean_squared_error")
        return model
    }

    func testWriteConvLSTMModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try Self.makeModel()
        try model.fit(Self.inputs, Self.targets, epochs: 3, verbose: 0)
        try model.save("\(out)/swift_conv_lstm.keras")
        try model.save("\(out)/swift_conv_lstm.h5")
        let flat = { (t: Tensor) -> JSON in ["shape": .array(t.shape.map { .int($0) }), "data": .array(t.scalars.map { .double(Double($0)) })] }
        let info: JSON = ["inputs": flat(Self.inputs), "outputs": flat(try model.predict(Self.inputs))]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_conv_lstm.expected.json"))
    }
}
