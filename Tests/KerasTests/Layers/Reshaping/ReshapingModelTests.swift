import Foundation
import XCTest
@testable import Keras

/// The reshaping family in models: files real Keras wrote load with its predictions, models
/// save and load (.keras, .h5) with equal predictions, spatial dropout trains, and global
/// average pooling honours masks as Keras does.
final class ReshapingModelTests: XCTestCase {
    static let kerasModels = ["keras_reshaping2d", "keras_reshaping1d3d", "keras_masked_avg_pooling", "keras_masked_max_pooling",
                              "keras_text_spatial_dropout"]

    func testKerasWrittenModelsLoadAndRoundTrip() throws {
        let root = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/reshaping")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reshaping-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in Self.kerasModels {
            let f = try loadFixture("reshaping/\(name).json")
            let x = try fixtureTensor(f["inputs"]?.arrayValue?.first), want = try fixtureTensor(f["outputs"]?.arrayValue?.first)
            for ext in ["keras", "h5"] {
                let model = try loadModel(root.appendingPathComponent("\(name).\(ext)").path)
                XCTAssertTrue(try model.predict(x).isClose(to: want, atol: 1e-5), "\(name).\(ext) from Keras")
                try model.save("\(dir)/\(name).\(ext)")
                let back = try loadModel("\(dir)/\(name).\(ext)")
                XCTAssertTrue(try back.predict(x).isClose(to: want, atol: 1e-5), "\(name).\(ext) written here")
                XCTAssertEqual(back.getConfig(), model.getConfig(), "\(name).\(ext) config")
            }
        }
    }

    /// A compiled model with 2D padding, convolution, cropping, both upsamplings and spatial
    /// dropout, with inputs and targets.
    static func swiftModel() throws -> (Sequential, Tensor, Tensor) {
        setRandomSeed(11)
        let model = try Sequential([
            InputLayer(shape: [6, 6, 2]), ZeroPadding2D(padding: [[1, 0], [2, 1]]), Conv2D(3, kernelSize: [3], activation: .relu),
            Cropping2D(cropping: [[1]]), UpSampling2D(size: [2], interpolation: .bilinear), UpSampling2D(size: [1, 2]),
            SpatialDropout2D(0.3, seed: 4), GlobalAveragePooling2D(), Dense(2),
        ], name: "swift_reshaping")
        try model.compile(optimizer: "adam", loss: "mse")
        return (model, GradientCheck.random([8, 6, 6, 2], seed: 31), GradientCheck.random([8, 2], seed: 32))
    }

    func testSwiftBuiltModelTrainsSavesAndLoads() throws {
        let (model, x, y) = try Self.swiftModel()
        let before = try model.evaluate(x, y, verbose: 0)[0]
        try model.fit(x, y, batchSize: 4, epochs: 15, verbose: 0)
        XCTAssertLessThan(try model.evaluate(x, y, verbose: 0)[0], before, "training lowers the loss through the family's gradients")
        let want = try model.predict(x)
        for ext in ["keras", "h5"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("swift-reshaping-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            let back = try loadModel(path)
            XCTAssertTrue(try back.predict(x).isClose(to: want, atol: 1e-6), ext)
            XCTAssertEqual(back.layers.map(\.className), model.layers.map(\.className), ext)
        }
    }

    func testSpatialDropoutDropsWholeChannelsInTraining() throws {
        let x = Tensor(shape: [40, 3, 4, 10], repeating: 2)
        let layer = try SpatialDropout2D(0.4, seed: 3)
        XCTAssertEqual(try layer(x, training: false), x, "identity at inference")
        let y = try layer(x, training: true)
        var kept = 0
        for b in 0..<40 {
            for c in 0..<10 {
                let values = Set((0..<12).map { y.scalars[(b * 12 + $0) * 10 + c] })
                XCTAssertEqual(values.count, 1, "sample \(b) channel \(c) shares one mask value")
                if let v = values.first, v != 0 { kept += 1; XCTAssertEqual(v, 2 / 0.6, accuracy: 1e-5) }
            }
        }
        XCTAssertEqual(Double(kept) / 400, 0.6, accuracy: 0.08)
        XCTAssertEqual(try SpatialDropout2D(0.4, seed: 3)(x, training: true), y, "a seed reproduces the masks")
        let first = try SpatialDropout1D(0.5, seed: 2)(Tensor(shape: [6, 5, 4], repeating: 1), training: true)
        for b in 0..<6 { for c in 0..<4 { XCTAssertEqual(Set((0..<5).map { first.scalars[(b * 5 + $0) * 4 + c] }).count, 1) } }
        let cf = try SpatialDropout3D(0.5, dataFormat: .channelsFirst, seed: 2)(Tensor(shape: [4, 3, 2, 2, 2], repeating: 1), training: true)
        for bc in 0..<12 { XCTAssertEqual(Set(cf.scalars[(bc * 8)..<(bc * 8 + 8)]).count, 1, "channels_first block \(bc)") }
        let input = GradientCheck.random([2, 3, 2, 4], seed: 5)
        try GradientCheck.check([input], "SpatialDropout2D with a fixed mask") { xs in
            try SpatialDropout2D(0.5, seed: 9)(Ops.square(xs[0]), training: true)
        }
    }

    func testGlobalAveragePooling1DAveragesUnmaskedStepsLikeKeras() throws {
        for name in ["global_avg1d_masked", "global_avg1d_masked_cf_keepdims"] {
            let f = try LayerFixture(name, family: "reshaping")
            let layer = try deserializeLayer(["class_name": f.json["class_name"] ?? .null, "config": f.config])
            let x = try XCTUnwrap(f.inputs.first), mask = try fixtureTensor(f.json["mask"])
            let (outs, masks) = try layer.callMultiple([x], masks: [mask])
            XCTAssertTrue(outs[0].isClose(to: try XCTUnwrap(f.outputs.first), atol: 1e-5), "\(name): \(outs[0])")
            XCTAssertNil(masks?.first ?? nil, "\(name): the pooled output has no mask")
            try GradientCheck.check([x], name) { xs in try layer.callMultiple([xs[0]], masks: [mask]).outputs[0] }
        }
        let unmasked = try GlobalAveragePooling1D()(Tensor(shape: [1, 2, 1], scalars: [1, 3]))
        XCTAssertEqual(unmasked.scalars, [2], "without a mask: the plain mean")
    }
}

/// Writes a Swift-trained model of the family into `$SWIFTKERAS_INTEROP_OUT` for
/// Tests/interop/test_reshaping_in_keras.py (`make test-python` runs every `*InteropExportTests` class).
final class ReshapingInteropExportTests: XCTestCase {
    func testWriteReshapingModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let (model, x, y) = try ReshapingModelTests.swiftModel()
        try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0)
        for ext in ["keras", "h5"] { try model.save("\(out)/swift_reshaping.\(ext)") }
        func flat(_ t: Tensor) -> JSON { ["shape": .array(t.shape.map { .int($0) }), "data": .array(t.scalars.map { .double(Double($0)) })] }
        let info: JSON = ["inputs": flat(x), "outputs": flat(try model.predict(x))]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_reshaping.expected.json"))
    }
}
