import XCTest
@testable import Keras

/// The colour augmentation layers' math on small cases worked by hand, their shared pieces
/// (HSV conversions), arguments, configs and generators. Their outputs against real Keras are
/// checked in bindings/python/tests/test_color_augmentations.py.
final class ColorAugmentationTests: XCTestCase {
    private func image(_ values: [Float], _ shape: [Int]) throws -> Tensor { try Tensor(shape: shape, scalars: values) }

    func testHSVConversionsMatchTheirDefinitionAndRoundTrip() {
        let (h, s, v) = rgbToHSV(1, 0, 0)
        XCTAssertEqual([h, s, v], [0, 1, 1])
        let green = rgbToHSV(0, 0.5, 0), blue = rgbToHSV(0, 0, 0.25)
        XCTAssertEqual(green.0, 1.0 / 3, accuracy: 1e-7)
        XCTAssertEqual(blue.0, 2.0 / 3, accuracy: 1e-7)
        XCTAssertEqual([green.1, green.2, blue.2], [1, 0.5, 0.25])
        XCTAssertEqual(rgbToHSV(0.3, 0.3, 0.3).1, 0, "gray has no saturation")
        let rng = RandomGenerator(seed: 5)
        for _ in 0..<500 {
            let (r, g, b) = (rng.uniform(), rng.uniform(), rng.uniform())
            let hsv = rgbToHSV(r, g, b), back = hsvToRGB(hsv.0, hsv.1, hsv.2)
            XCTAssertEqual(back.0, r, accuracy: 1e-5)
            XCTAssertEqual(back.1, g, accuracy: 1e-5)
            XCTAssertEqual(back.2, b, accuracy: 1e-5)
            XCTAssertTrue((0...1).contains(hsv.0) && (0...1).contains(hsv.1))
        }
    }

    func testDeterministicTransformsOnHandWorkedImages() throws {
        // AutoContrast stretches each channel's [low, high] onto [0, 255].
        let dull = try image([60, 100, 80, 140], [1, 2, 2, 1])
        XCTAssertEqual(try AutoContrast()(dull, training: false).scalars, [0, 127.5, 63.75, 255])
        // Equalization: four equally filled bins spread evenly over [0, 255].
        let four = try image([10, 20, 30, 40], [1, 2, 2, 1])
        XCTAssertEqual(try Equalization()(four, training: true).scalars, [0, 85, 170, 255])
        XCTAssertEqual(try Equalization()(four, training: false).scalars, four.scalars, "identity at inference")
        // Posterization to 3 bits: 200 = 0b11001000 → 0b11000000.
        let posterized = try RandomPosterization(factor: [3, 3])(try image([200, 37, 255], [1, 1, 1, 3]), training: true)
        XCTAssertEqual(posterized.scalars, [192, 32, 224])
        // Solarization with threshold 0 inverts every pixel; RandomInvert (1, 1) inverts every image.
        let x = try image([0, 55, 200, 255], [2, 1, 1, 2])
        XCTAssertEqual(try Solarization()(x, training: true).scalars, [255, 200, 55, 0])
        XCTAssertEqual(try RandomInvert(factor: [1, 1])(x, training: true).scalars, [255, 200, 55, 0])
        XCTAssertEqual(try RandomInvert(factor: [1, 1])(x, training: false).scalars, x.scalars)
        // Grayscale with factor 1: Keras's weights on every channel.
        let rgb = try image([100, 50, 200], [1, 1, 1, 3])
        let gray = 100 * Float(0.2989) + 50 * Float(0.5870) + 200 * Float(0.1140)
        XCTAssertEqual(try RandomGrayscale(factor: 1)(rgb, training: true).scalars, [gray, gray, gray])
        // Degeneration by 0.5: halfway to the gray.
        let half = try RandomColorDegeneration(factor: [0.5, 0.5])(rgb, training: true).scalars
        for (o, v) in zip(half, [Float(100), 50, 200]) { XCTAssertEqual(o, (v + gray) / 2, accuracy: 1e-4) }
        // Sharpness 0.5 keeps the image (1 − 2·0.5 = 0); a constant image's interior stays.
        let flat = Tensor(shape: [1, 5, 5, 2], repeating: 13)
        let same = try RandomSharpness(factor: [0.5, 0.5])(try image((0..<50).map { Float($0) }, [1, 5, 5, 2]), training: true)
        XCTAssertEqual(same.scalars, (0..<50).map { Float($0) })
        let sharpened = try RandomSharpness(factor: [1, 1])(flat, training: true)
        XCTAssertEqual(sharpened.value(at: [0, 2, 2, 1]) ?? 0, 13, accuracy: 1e-4)
    }

    func testClaheOfAConstantImageIsConstantAndFollowsTheInputLayout() throws {
        let flat = Tensor(shape: [2, 7, 5, 3], repeating: 90)
        let out = try ContrastLimitedAdaptiveHistogramEqualization(tileGridSize: [2, 2])(flat, training: false)
        XCTAssertEqual(out.shape, flat.shape)
        XCTAssertEqual(Set(out.scalars).count, 1, "one value for one value")
        let first = try ContrastLimitedAdaptiveHistogramEqualization(tileGridSize: [2, 2], dataFormat: .channelsFirst)
        XCTAssertEqual(try first(Tensor(shape: [3, 7, 5], repeating: 90), training: true).shape, [3, 7, 5])
    }

    func testRandomLayersDrawAsKerasAndPassImagesAtInference() throws {
        let rng = RandomGenerator(seed: 2)
        let x = Tensor.uninitialized([4, 3, 3, 3])
        for i in 0..<x.count { x.data[i] = rng.uniform(0, 255) }
        // (layer, draws per call in training, draws at inference): Keras draws before it looks at
        // `training` in some layers.
        let cases: [(ImageLayer, Int, Int)] = [
            (try Solarization(thresholdFactor: 0.5, seed: 1), 2, 0), (try RandomInvert(seed: 1), 2, 0),
            (try RandomGrayscale(seed: 1), 1, 1), (try RandomPosterization(factor: 4, seed: 1), 1, 1),
            (try RandomPosterization(factor: [4, 4], seed: 1), 0, 0), (try RandomColorDegeneration(factor: 0.5, seed: 1), 1, 1),
            (try RandomHue(factor: 0.5, seed: 1), 2, 2), (try RandomSaturation(factor: 0.5, seed: 1), 1, 1),
            (try RandomSharpness(factor: 0.5, seed: 1), 1, 1),
            (try RandomColorJitter(brightnessFactor: 0.1, contrastFactor: 0.1, saturationFactor: 0.1, hueFactor: 0.1, seed: 1), 5, 0),
        ]
        for (layer, training, inference) in cases {
            let generator = try XCTUnwrap(layer.seedGenerator, layer.className)
            XCTAssertEqual(try layer(x, training: false).scalars, x.scalars, layer.className)
            XCTAssertEqual(generator.counter, UInt32(inference), "\(layer.className) at inference")
            _ = try layer(x, training: true)
            XCTAssertEqual(generator.counter, UInt32(inference + training), "\(layer.className) in training")
        }
        let jitter = try RandomColorJitter(brightnessFactor: 0.1, hueFactor: 0.2, seed: 3)
        XCTAssertEqual(jitter.sublayers.map(\.className), ["RandomBrightness", "RandomHue"])
        XCTAssertEqual(jitter.allSeedGenerators.count, 3, "its own generator, then its sublayers'")
        XCTAssertNil(try AutoContrast().seedGenerator)
    }

    func testArgumentsConfigsAndErrors() throws {
        let layers: [Layer] = [
            try AutoContrast(valueRange: [1, 0]), try Equalization(bins: 32), try Solarization(additionFactor: [0.1, 0.3]),
            try RandomInvert(valueRange: [-1, 1]), try RandomGrayscale(factor: 0.2), try RandomPosterization(factor: 5),
            try RandomColorDegeneration(factor: 0.4), try RandomHue(factor: [0.1, 0.3]), try RandomSaturation(factor: 0.5),
            try RandomSharpness(factor: 0.5), try ContrastLimitedAdaptiveHistogramEqualization(clipLimit: 2, tileGridSize: [4, 2]),
            try RandomColorJitter(brightnessFactor: 0.2, saturationFactor: [0.1, 0.4]),
        ]
        for layer in layers {
            let config = layer.getConfig()
            let again = try deserializeLayer(["class_name": .string(layer.className), "config": config])
            XCTAssertEqual(again.getConfig(), config, layer.className)
        }
        XCTAssertEqual(try AutoContrast(valueRange: [1, 0]).valueRange, [0, 1], "sorted, as Keras")
        XCTAssertEqual(try RandomInvert(valueRange: [1, 0]).valueRange, [1, 0], "kept as given, as Keras")
        XCTAssertEqual(try RandomPosterization(factor: 5).getConfig()["factor"], [1, 5])
        func refused(_ make: () throws -> Layer, _ words: String...) {
            XCTAssertThrowsError(try make()) { e in XCTAssertTrue(words.allSatisfy { "\(e)".contains($0) }, "\(e)") }
        }
        refused({ try AutoContrast(valueRange: [0]) }, "AutoContrast", "value_range")
        refused({ try Solarization(thresholdFactor: [-0.5, 0.5]) }, "Solarization", "threshold_factor")
        refused({ try RandomGrayscale(factor: 2) }, "RandomGrayscale", "factor")
        refused({ try RandomPosterization(factor: 9) }, "RandomPosterization", "factor")
        refused({ try RandomHue(factor: -0.2) }, "RandomHue", "factor")
        refused({ try Equalization(bins: 0) }, "Equalization", "bins")
        refused({ try ContrastLimitedAdaptiveHistogramEqualization(tileGridSize: [0, 2]) }, "tile_grid_size")
        refused({ try RandomColorJitter(hueFactor: 3) }, "RandomHue", "factor")
        XCTAssertThrowsError(try RandomSaturation(factor: 0.5, name: "sat")(Tensor(shape: [1, 2, 2, 2], repeating: 1), training: true)) { e in
            XCTAssertTrue("\(e)".contains("'sat'") && "\(e)".contains("3 channels"), "\(e)")
        }
        XCTAssertThrowsError(try AutoContrast(name: "ac")(Tensor(shape: [2, 2], repeating: 1))) { e in
            XCTAssertTrue("\(e)".contains("'ac'") && "\(e)".contains("rank"), "\(e)")
        }
        XCTAssertThrowsError(try RandomColorDegeneration(factor: 0.5).computeOutputShape([nil, 4, 4, 1])) { e in
            XCTAssertTrue("\(e)".contains("3 channels"), "\(e)")
        }
    }
}
