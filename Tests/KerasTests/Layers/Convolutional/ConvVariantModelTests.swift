import Foundation
import XCTest
@testable import Keras

/// Models with transposed, depthwise and separable convolutions: the files real Keras wrote
/// (scripts/make_conv_variant_fixtures.py) load with Keras's predictions, save here as .keras
/// and .h5 and load back with equal predictions, and train.
final class ConvVariantModelTests: XCTestCase {
    static let models = [
        ("keras_conv_variants_2d", ["SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose", "GlobalAveragePooling2D", "Dense"]),
        ("keras_conv_variants_1d", ["SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose", "Flatten", "Dense"]),
        ("keras_conv_variants_3d", ["Conv3DTranspose", "GlobalMaxPooling3D", "Dense"]),
    ]

    func testKerasWrittenModelsLoadAndRoundTrip() throws {
        let root = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/conv")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convvar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, classes) in Self.models {
            let f = try loadFixture("conv/\(name).json")
            let x = try fixtureTensor(f["inputs"]?.arrayValue?.first), want = try fixtureTensor(f["outputs"]?.arrayValue?.first)
            for ext in ["keras", "h5"] {
                let model = try loadModel(root.appendingPathComponent("\(name).\(ext)").path)
                XCTAssertEqual(model.layers.map(\.className), classes, "\(name).\(ext)")
                XCTAssertTrue(try model.predict(x).isClose(to: want, atol: 1e-5), "\(name).\(ext): Keras's predictions")
                for out in ["keras", "h5"] {
                    try model.save("\(dir)/m.\(out)")
                    let back = try loadModel("\(dir)/m.\(out)")
                    XCTAssertTrue(try back.predict(x).isClose(to: want, atol: 1e-5), "\(name).\(ext) saved as .\(out)")
                    XCTAssertEqual(back.layers.map(\.className), classes, "\(name).\(ext) saved as .\(out)")
                }
            }
        }
    }

    func testModelWithEveryVariantTrains() throws {
        setRandomSeed(11)
        let model = try Sequential([
            InputLayer(shape: [6, 6, 2]),
            SeparableConv2D(filters: 4, kernelSize: [3], padding: .same, activation: .relu),
            DepthwiseConv2D(kernelSize: [3], depthMultiplier: 2),
            Conv2DTranspose(3, kernelSize: [3], strides: [2], padding: .same, outputPadding: [1], activation: .relu),
            Flatten(), Dense(1),
        ])
        try model.compile(optimizer: "adam", loss: "mse")
        let x = GradientCheck.random([16, 6, 6, 2], in: 0...1, seed: 3)
        let y = try Ops.reshape(try Ops.mean(x, axes: [1, 2, 3]), [16, 1])
        let before = try model.evaluate(x, y, verbose: 0)[0]
        try model.fit(x, y, batchSize: 8, epochs: 20, verbose: 0)
        let after = try model.evaluate(x, y, verbose: 0)[0]
        XCTAssertLessThan(after, before * 0.5, "loss \(before) → \(after)")
    }
}
