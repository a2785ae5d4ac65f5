import Foundation
import XCTest
@testable import Keras

/// The image layers against Keras (scripts/make_preprocessing_fixtures.py): Resizing and
/// CenterCrop at inference, the augmentations in training with one-value factors (deterministic
/// in Keras too); the random draws are checked by their invariants and statistics.
final class ImagePreprocessingTests: XCTestCase {
    private func fromFixture(_ name: String) throws -> (Layer, LayerFixture) {
        let fixture = try LayerFixture("preprocessing/\(name)")
        let layer = try deserializeLayer(["class_name": fixture.json["class_name"] ?? nil, "config": fixture.config])
        return (layer, fixture)
    }

    func testResizingAndCenterCropMatchKeras() throws {
        for name in ["resizing_up", "resizing_down", "resizing_nearest", "resizing_crop", "resizing_channels_first",
                     "resizing_single", "center_crop", "center_crop_small"] {
            let (layer, fixture) = try fromFixture(name)
            let x = try XCTUnwrap(fixture.inputs.first), expected = try XCTUnwrap(fixture.outputs.first)
            for training in [false, true] {
                let out = try layer(x, training: training)
                XCTAssertEqual(out.shape, expected.shape, name)
                XCTAssertTrue(out.isClose(to: expected, atol: 1e-3, rtol: 1e-5), "\(name): \(out) vs \(expected)")
            }
            if x.rank == 4 {
                XCTAssertEqual(try layer.computeOutputShape([nil] + x.shape.dropFirst().map { Optional($0) }),
                               [nil] + expected.shape.dropFirst().map { Optional($0) }, name)
            }
            fixture.assertConfigMatches(layer)
        }
    }

    func testAugmentationsWithFixedFactorsMatchKerasInTraining() throws {
        let names = ["random_rotation_reflect", "random_rotation_wrap", "random_rotation_constant", "random_rotation_nearest",
                     "random_rotation_nearest_interp", "random_zoom", "random_zoom_same", "random_translation",
                     "random_translation_wrap", "random_contrast", "random_brightness", "random_brightness_range"]
        for name in names {
            let (layer, fixture) = try fromFixture(name)
            let x = try XCTUnwrap(fixture.inputs.first), expected = try XCTUnwrap(fixture.outputs.first)
            let out = try layer(x, training: true)
            XCTAssertEqual(out.shape, expected.shape, name)
            // Pixel values up to 255: 1e-3 relative covers float32 rounding of the sample points.
            XCTAssertTrue(out.isClose(to: expected, atol: 2e-3, rtol: 1e-4), "\(name): \(out) vs \(expected)")
            XCTAssertEqual(try layer(x, training: false).scalars, x.scalars, "\(name) passes images through at inference")
            fixture.assertConfigMatches(layer)
        }
    }

    func testConfigsEqualKeras() throws {
        let entries = try XCTUnwrap(loadFixture("layers/preprocessing/image_configs.json")["layers"]?.arrayValue)
        for entry in entries {
            let layer = try deserializeLayer(entry)
            XCTAssertEqual(layer.getConfig(), entry["config"], "\(layer.className)")
        }
        let drawn = try RandomCrop(height: 2, width: 2)
        XCTAssertNotNil(drawn.getConfig()["seed"]?.intValue, "RandomCrop writes the seed it drew, as Keras")
    }

    private func images(_ n: Int, _ h: Int, _ w: Int, _ c: Int, seed: UInt64 = 1) -> Tensor {
        let rng = RandomGenerator(seed: seed)
        let t = Tensor.uninitialized([n, h, w, c])
        for i in 0..<t.count { t.data[i] = rng.uniform(0, 255) }
        return t
    }

    /// The image `b` of a batch as a plain array.
    private func image(_ t: Tensor, _ b: Int) -> [Float] {
        let per = t.count / t.shape[0]
        return Array(t.scalars[b * per..<(b + 1) * per])
    }

    func testRandomFlipAndCropDraws() throws {
        let x = images(200, 3, 4, 2)
        let flip = try RandomFlip(seed: 7)
        let out = try flip(x, training: true)
        let both = try Tensor(shape: x.shape, scalars: (0..<200).flatMap { b -> [Float] in
            var rows: [Float] = []
            for y in (0..<3).reversed() { for xo in (0..<4).reversed() { for k in 0..<2 { rows.append(x.value(at: [b, y, xo, k]) ?? 0) } } }
            return rows
        })
        var flipped = 0
        for b in 0..<200 {
            if image(out, b) == image(both, b) { flipped += 1 } else { XCTAssertEqual(image(out, b), image(x, b)) }
        }
        XCTAssertTrue((70...130).contains(flipped), "about half flipped: \(flipped)")
        XCTAssertEqual(try flip(x, training: false).scalars, x.scalars)
        // The same seed gives the same draws.
        XCTAssertEqual(try RandomFlip(seed: 7)(x, training: true).scalars, out.scalars)

        let crop = try RandomCrop(height: 2, width: 3, seed: 3)
        var offsets = Set<[Int]>()
        for _ in 0..<30 {
            let c = try crop(x, training: true)
            XCTAssertEqual(c.shape, [200, 2, 3, 2])
            let found = (0...1).flatMap { top in (0...1).map { [top, $0] } }.first { o in
                (0..<2).allSatisfy { y in (0..<3).allSatisfy { xo in c.value(at: [5, y, xo, 1]) == x.value(at: [5, y + o[0], xo + o[1], 1]) } }
            }
            offsets.insert(try XCTUnwrap(found, "a window of the input"))
        }
        XCTAssertGreaterThan(offsets.count, 1, "windows vary")
    }

    func testColorAndGeometricDrawsKeepTheirInvariants() throws {
        let x = images(64, 5, 5, 3)
        let brightness = try RandomBrightness(factor: .double(0.2), seed: 2)
        let b = try brightness(Tensor(shape: [64, 5, 5, 3], repeating: 100), training: true)
        var deltas: [Float] = []
        for i in 0..<64 {
            let values = Set(image(b, i))
            XCTAssertEqual(values.count, 1, "one delta per image")
            deltas.append(values.first! - 100)
        }
        XCTAssertTrue(deltas.allSatisfy { abs($0) <= 0.2 * 255 + 1e-3 } && Set(deltas).count > 30, "\(deltas)")
        let contrast = try RandomContrast(factor: .double(0.5), seed: 3)
        let mid = Ops.affine(x, scale: 0.2, offset: 100)
        let c = try contrast(mid, training: true)
        for i in 0..<64 {
            let a = image(mid, i), o = image(c, i)
            XCTAssertEqual(o.reduce(0, +) / Float(o.count), a.reduce(0, +) / Float(a.count), accuracy: 1e-3, "contrast keeps the mean")
        }
        // A constant image stays constant under any rotation, zoom or translation with reflect.
        let flat = Tensor(shape: [8, 6, 5, 2], repeating: 3)
        for layer: Layer in [try RandomRotation(factor: .double(0.5), seed: 1), try RandomZoom(heightFactor: .double(0.5), seed: 1),
                             try RandomTranslation(heightFactor: .double(0.5), widthFactor: .double(0.5), seed: 1)] {
            let out = try layer(flat, training: true)
            XCTAssertTrue(out.scalars.allSatisfy { abs($0 - 3) < 1e-4 }, "\(layer.className)")
            let moved = try layer(x, training: true)
            XCTAssertNotEqual(moved.scalars, x.scalars, "\(layer.className) moves images in training")
            XCTAssertEqual(try layer(x, training: false).scalars, x.scalars)
        }
    }

    func testBadArgumentsNameLayerAndArgument() throws {
        XCTAssertThrowsError(try Resizing(height: 0, width: 3)) { e in XCTAssertTrue("\(e)".contains("Resizing") && "\(e)".contains("height"), "\(e)") }
        XCTAssertThrowsError(try Resizing(height: 2, width: 3, interpolation: "area")) { e in XCTAssertTrue("\(e)".contains("interpolation"), "\(e)") }
        XCTAssertThrowsError(try RandomRotation(factor: .double(2))) { e in XCTAssertTrue("\(e)".contains("RandomRotation") && "\(e)".contains("factor"), "\(e)") }
        XCTAssertThrowsError(try RandomZoom(heightFactor: .double(0.1), fillMode: "mirror")) { e in XCTAssertTrue("\(e)".contains("fill_mode"), "\(e)") }
        XCTAssertThrowsError(try RandomFlip(mode: "diagonal")) { e in XCTAssertTrue("\(e)".contains("mode"), "\(e)") }
        XCTAssertThrowsError(try CenterCrop(height: 2, width: 2, name: "crop_rank")(Tensor([[1, 2]]))) { e in
            XCTAssertTrue("\(e)".contains("'crop_rank'") && "\(e)".contains("rank"), "\(e)")
        }
    }

    /// A model with resizing and augmentation layers saves and loads (.keras, .h5) with equal
    /// predictions (the augmentations pass images through at inference) and trains.
    func testImageModelSavesAndLoads() throws {
        let model = try ImageInteropExportTests.model()
        let x = images(6, 8, 8, 3)
        try model.compile(optimizer: "adam", loss: "mse")
        try model.fit(x, Tensor(shape: [6, 2], repeating: 0.1), epochs: 2, verbose: 0)
        let expected = try model.predict(x)
        for ext in ["keras", "h5"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("img-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            let loaded = try loadModel(path)
            XCTAssertEqual(loaded.layers.map(\.className), model.layers.map(\.className))
            assertClose([try loaded.predict(x)], [expected], "image model .\(ext)")
        }
    }
}

/// Writes a Swift-trained model with image preprocessing layers for
/// Tests/interop/test_preprocessing_in_keras.py.
final class ImageInteropExportTests: XCTestCase {
    static func model() throws -> Sequential {
        try Sequential([
            InputLayer(shape: [8, 8, 3]), Resizing(height: 6, width: 6, name: "resize"), RandomFlip(seed: 1, name: "flip"),
            RandomRotation(factor: .double(0.1), seed: 2, name: "rotate"), RandomZoom(heightFactor: .double(0.1), seed: 3, name: "zoom"),
            RandomContrast(factor: .double(0.2), seed: 4, name: "contrast"), CenterCrop(height: 4, width: 4, name: "crop"),
            Rescaling(1.0 / 255, name: "rescale"), Flatten(name: "flatten"), Dense(2, name: "out"),
        ], name: "swift_image")
    }

    func testWriteImageModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(4)
        let model = try Self.model()
        let x = Tensor.uninitialized([5, 8, 8, 3])
        for i in 0..<x.count { x.data[i] = Float((i * 53) % 256) }
        try model.compile(optimizer: "adam", loss: "mse")
        try model.fit(x, Tensor(shape: [5, 2], repeating: 0.2), epochs: 2, verbose: 0)
        for ext in ["keras", "h5"] { try model.save("\(out)/swift_image.\(ext)") }
        let preds = try model.predict(x)
        func flat(_ t: Tensor) -> JSON {
            ["shape": .array(t.shape.map { .int($0) }), "data": .array((0..<t.count).map { .double(Double(t.data[$0])) })]
        }
        try Data((["inputs": flat(x), "outputs": flat(preds)] as JSON).description.utf8)
            .write(to: URL(fileURLWithPath: "\(out)/swift_image.expected.json"))
    }
}
