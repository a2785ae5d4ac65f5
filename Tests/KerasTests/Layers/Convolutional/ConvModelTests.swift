import Foundation
import KerasDatasets
import XCTest
@testable import Keras

/// A CNN end to end: trains on the embedded digits, saves and loads in every format, loads the
/// files real Keras wrote, and exports files for Tests/interop/test_conv_in_keras.py.
final class ConvModelTests: XCTestCase {
    /// The digits as `(n, 8, 8, 1)` images scaled to [0, 1], and their labels.
    static func digitImages() throws -> (Tensor, Tensor) {
        let d = Datasets.digits()
        let n = d.x.shape[0]
        return (try Ops.multiply(try Ops.reshape(d.x, [n, 8, 8, 1]), Tensor(1 / 16)), d.y)
    }

    static func cnn(filters: Int = 32, name: String) throws -> Sequential {
        try Sequential([InputLayer(shape: [8, 8, 1]), Conv2D(filters, kernelSize: [3], activation: .relu, name: "conv"),
                        MaxPooling2D(poolSize: [2], name: "pool"), Flatten(name: "flatten"),
                        Dense(10, activation: .softmax, name: "out")], name: name)
    }

    func testCNNTrainsOnDigitsAndRoundTripsFiles() throws {
        setRandomSeed(3)
        let (x, y) = try Self.digitImages()
        let model = try Self.cnn(name: "digits_cnn")
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.fit(x, y, batchSize: 64, epochs: 5, verbose: 0)
        let accuracy = try model.evaluate(x, y, verbose: 0)[1]
        // Real Keras 3 (JAX) reaches 0.89-0.91 training accuracy with this setup (three runs).
        XCTAssertGreaterThan(accuracy, 0.87, "training accuracy after 5 epochs")
        let sample = try Ops.take(x, Array(0..<16))
        let want = try model.predict(sample)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            let back = try loadModel("\(dir)/m.\(ext)")
            XCTAssertTrue(try back.predict(sample).isClose(to: want, atol: 1e-6), ext)
            XCTAssertEqual(back.layers.map(\.className), ["Conv2D", "MaxPooling2D", "Flatten", "Dense"], ext)
        }
    }

    func testKerasWrittenCNNLoadsWithEqualPredictions() throws {
        let f = try loadFixture("conv/keras_cnn.json")
        let x = try fixtureTensor(f["inputs"]?.arrayValue?.first), want = try fixtureTensor(f["outputs"]?.arrayValue?.first)
        let root = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/conv")
        for ext in ["keras", "h5"] {
            let model = try loadModel(root.appendingPathComponent("keras_cnn.\(ext)").path)
            XCTAssertTrue(try model.predict(x).isClose(to: want, atol: 1e-5), ext)
        }
    }

}

/// Writes a Swift-trained CNN into `$SWIFTKERAS_INTEROP_OUT` for Tests/interop/test_conv_in_keras.py
/// (`make test-python` runs every `*InteropExportTests` class with that variable set).
final class ConvInteropExportTests: XCTestCase {
    func testWriteCNNForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(5)
        let (x, y) = try ConvModelTests.digitImages()
        let model = try ConvModelTests.cnn(filters: 4, name: "swift_cnn")
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        try model.fit(x, y, batchSize: 128, epochs: 1, verbose: 0)
        try Self.export(model, sample: try Ops.take(x, Array(0..<6)), as: "swift_cnn", into: out)
    }

    /// Models of the transposed, depthwise and separable convolutions, for the same test.
    func testWriteConvVariantsForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(6)
        let models: [(String, [Int], [Layer])] = [
            ("swift_conv_variants_2d", [6, 6, 2], [
                try SeparableConv2D(filters: 4, kernelSize: [3], padding: .same, depthMultiplier: 2, activation: .relu),
                try DepthwiseConv2D(kernelSize: [3], strides: [2], dataFormat: .channelsFirst, depthMultiplier: 2),
                try Conv2DTranspose(3, kernelSize: [3], strides: [2], padding: .same, outputPadding: [1], activation: .tanh),
            ]),
            ("swift_conv_variants_1d", [8, 3], [
                try SeparableConv1D(filters: 4, kernelSize: [3], strides: [2]), try DepthwiseConv1D(kernelSize: [2], padding: .same),
                try Conv1DTranspose(2, kernelSize: [4], strides: [3], outputPadding: [2]),
            ]),
            ("swift_conv_variants_3d", [2, 3, 2, 2], [try Conv3DTranspose(2, kernelSize: [2, 3, 2], strides: [2, 1, 2], padding: .same)]),
        ]
        for (name, shape, layers) in models {
            let model = try Sequential([InputLayer(shape: shape)] + layers + [Flatten(), Dense(2, activation: .softmax)], name: name)
            try Self.export(model, sample: GradientCheck.random([3] + shape, seed: 7), as: name, into: out)
        }
    }

    /// Writes `model` as .keras, .h5, .json + .weights.h5 and its predictions on `sample`.
    static func export(_ model: Sequential, sample: Tensor, as name: String, into out: String) throws {
        for ext in ["keras", "h5", "json"] { try model.save("\(out)/\(name).\(ext)") }
        try model.saveWeights("\(out)/\(name).weights.h5")
        let preds = try model.predict(sample)
        func flat(_ t: Tensor) -> JSON {
            ["shape": .array(t.shape.map { .int($0) }), "data": .array((0..<t.count).map { .double(Double(t.data[$0])) })]
        }
        let info: JSON = ["inputs": flat(sample), "outputs": flat(preds)]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/\(name).expected.json"))
    }
}
