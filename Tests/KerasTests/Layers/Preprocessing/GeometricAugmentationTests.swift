import Foundation
import XCTest
@testable import Keras

/// RandomShear, RandomGaussianBlur, RandomErasing, MixUp, CutMix and Pipeline in the library:
/// their arguments, invariants and draws (bindings/python/tests/test_geometric_augmentations.py
/// checks them against real Keras).
final class GeometricAugmentationTests: XCTestCase {
    private func images(_ n: Int, _ h: Int, _ w: Int, _ c: Int, seed: UInt64 = 1) -> Tensor {
        let rng = RandomGenerator(seed: seed)
        let t = Tensor.uninitialized([n, h, w, c])
        for i in 0..<t.count { t.data[i] = rng.uniform(0, 255) }
        return t
    }

    func testBadArgumentsNameLayerAndArgument() {
        func refused(_ make: @autoclosure () throws -> Layer, _ words: String...) {
            XCTAssertThrowsError(try make()) { e in
                XCTAssertTrue(words.allSatisfy { "\(e)".contains($0) }, "\(e)")
            }
        }
        refused(try RandomShear(xFactor: 1.5), "RandomShear", "x_factor")
        refused(try RandomShear(yFactor: [-0.1, 0.2]), "RandomShear", "y_factor")
        refused(try RandomShear(fillMode: "mirror"), "fill_mode")
        refused(try RandomGaussianBlur(kernelSize: 4), "RandomGaussianBlur", "kernel_size")
        refused(try RandomGaussianBlur(sigma: 2.0), "RandomGaussianBlur", "sigma")
        refused(try RandomGaussianBlur(valueRange: [1]), "value_range")
        refused(try RandomErasing(scale: [1.2, 1.5]), "RandomErasing", "scale")
        refused(try RandomErasing(fillValue: [1, 2]), "RandomErasing", "fill_value")
        refused(try MixUp(alpha: 0), "MixUp", "alpha")
        refused(try CutMix(factor: 2.0), "CutMix", "factor")
        XCTAssertThrowsError(try PipelineLayer.fromConfig(LayerConfig(className: "Pipeline", json: ["name": "p"]))) { e in
            XCTAssertTrue("\(e)".contains("layers"), "\(e)")
        }
    }

    func testInferenceIsIdentityAndSeedsRepeat() throws {
        let x = images(4, 6, 7, 3)
        let make: [() throws -> Layer] = [
            { try RandomShear(xFactor: 0.3, yFactor: 0.3, seed: 1) }, { try RandomGaussianBlur(seed: 2) },
            { try RandomErasing(seed: 3) }, { try MixUp(seed: 4) }, { try CutMix(seed: 5) },
        ]
        for m in make {
            let layer = try m()
            XCTAssertEqual(try layer(x, training: false).scalars, x.scalars, layer.className)
            var outs: [[Float]] = []
            for _ in 0..<2 { outs.append(try m()(x, training: true).scalars) }
            XCTAssertEqual(outs[0], outs[1], "\(layer.className): the same seed gives the same draws")
        }
    }

    func testShearKeepsAConstantImageAndMovesOthers() throws {
        let flat = Tensor(shape: [5, 6, 5, 2], repeating: 3)
        let shear = try RandomShear(xFactor: 0.5, yFactor: 0.5, seed: 1)
        XCTAssertTrue(try shear(flat, training: true).scalars.allSatisfy { abs($0 - 3) < 1e-4 })
        let x = images(5, 6, 5, 2)
        XCTAssertNotEqual(try shear(x, training: true).scalars, x.scalars)
        // Row 0 is fixed by a pure x shear about the top-left corner.
        let xOnly = try RandomShear(xFactor: [0.4, 0.4], seed: 2)(x, training: true)
        for b in 0..<5 { for i in 0..<5 { for k in 0..<2 {
            XCTAssertEqual(xOnly.value(at: [b, 0, i, k]) ?? .nan, x.value(at: [b, 0, i, k]) ?? 0, accuracy: 1e-3)
        } } }
    }

    func testBlurKeepsInteriorOfConstantImagesAndSumsOfBlurredOnes() throws {
        let flat = Tensor(shape: [2, 7, 7, 1], repeating: 40)
        let out = try RandomGaussianBlur(factor: [1.0, 1.0], kernelSize: 3, sigma: [0.8, 0.8], seed: 1)(flat, training: true)
        for y in 1..<6 { for x in 1..<6 { XCTAssertEqual(out.value(at: [0, y, x, 0]) ?? 0, 40, accuracy: 1e-4) } }
        XCTAssertLessThan(out.value(at: [0, 0, 0, 0]) ?? 99, 40, "zero padding darkens the corners, as Keras's SAME")
        let taps = Kernels.gaussianTaps(size: 5, sigma: 1)
        XCTAssertEqual(taps.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(taps[0], taps[4])
        XCTAssertEqual(taps[1] / taps[2], Float(exp(-0.5)), accuracy: 1e-6)
    }

    func testBetaDrawsHaveTheirMoments() {
        let rng = RandomGenerator(seed: 3)
        for (a, b) in [(0.5, 0.5), (2.0, 3.0), (1e-6, 1e-6)] {
            let draws = (0..<20000).map { _ in rng.beta(a, b) }
            XCTAssertTrue(draws.allSatisfy { $0 >= 0 && $0 <= 1 && $0.isFinite })
            let mean = draws.reduce(0, +) / Double(draws.count)
            let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
            let expectedVariance = a * b / ((a + b) * (a + b) * (a + b + 1))
            XCTAssertEqual(mean, a / (a + b), accuracy: 0.015, "Beta(\(a), \(b))")
            XCTAssertEqual(variance, expectedVariance, accuracy: 0.01, "Beta(\(a), \(b))")
        }
    }

    func testMixUpAndCutMixTakeFromAPermutedImage() throws {
        let n = 6
        let x = Tensor.uninitialized([n, 4, 5, 1])
        for b in 0..<n { for i in 0..<20 { x.data[b * 20 + i] = Float(b + 1) } }
        let mixed = try MixUp(alpha: 1, seed: 2)(x, training: true)
        for b in 0..<n {
            let values = Set(mixed.scalars[b * 20..<(b + 1) * 20])
            XCTAssertEqual(values.count, 1, "a constant image mixed with another is constant")
        }
        let cut = try CutMix(seed: 3)(x, training: true)
        for b in 0..<n {
            let values = Set(cut.scalars[b * 20..<(b + 1) * 20])
            XCTAssertTrue(values.count <= 2 && (values.count == 1 || values.contains(Float(b + 1))), "\(values)")
        }
        let single = Tensor.uninitialized([4, 5, 1])
        XCTAssertEqual(try CutMix(seed: 3)(single, training: true).scalars, single.scalars)
        XCTAssertThrowsError(try CutMix(seed: 3)(Tensor(shape: [2, 3], repeating: 0), training: true)) { e in
            XCTAssertTrue("\(e)".contains("rank"), "\(e)")
        }
    }

    func testPipelineAppliesItsLayersAndSavesThemAsKeras() throws {
        let x = images(3, 6, 6, 2)
        let pipeline = PipelineLayer([Rescaling(0.5, offset: 1), try CenterCrop(height: 4, width: 4)], name: "pipe")
        let expected = try CenterCrop(height: 4, width: 4)(try Rescaling(0.5, offset: 1)(x, training: false), training: false)
        XCTAssertEqual(try pipeline(x, training: true).scalars, expected.scalars)
        XCTAssertEqual(try pipeline.computeOutputShape([nil, 6, 6, 2]), [nil, 4, 4, 2])
        let config = pipeline.getConfig()
        XCTAssertEqual(config.objectValue?.map(\.0), ["layers", "name"])
        let back = try deserializeLayer(["class_name": "Pipeline", "config": config])
        XCTAssertEqual(try back(x, training: false).scalars, expected.scalars)
        XCTAssertEqual(back.getConfig(), config)

        let model = try Sequential([InputLayer(shape: [6, 6, 2]), PipelineLayer([Dense(3, name: "inner")], name: "pipe"), Flatten(), Dense(1)])
        XCTAssertTrue(model.weights.map(\.path).contains { $0.hasSuffix("pipe/inner/kernel") }, "\(model.weights.map(\.path))")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pipe-\(UUID().uuidString).keras").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path)
        let loaded = try loadModel(path)
        assertClose([try loaded.predict(x)], [try model.predict(x)], "pipeline model")
    }

    /// RandomPerspective's transform for given corner moves against Keras's
    /// `perspective_transform` and `compute_homography_matrix`
    /// (scripts/make_perspective_fixtures.py).
    func testPerspectiveWarpMatchesKeras() throws {
        let cases = try XCTUnwrap(loadFixture("layers/preprocessing/perspective_transform.json")["cases"]?.arrayValue)
        for c in cases {
            func points(_ key: String) throws -> [(Float, Float)] {
                try XCTUnwrap(c[key]?.arrayValue).map { p in (Float(p.arrayValue?[0].doubleValue ?? .nan), Float(p.arrayValue?[1].doubleValue ?? .nan)) }
            }
            let h = try XCTUnwrap(RandomPerspective.homography(from: try points("end"), to: try points("start")))
            let expectedH = try XCTUnwrap(c["homography"]?.arrayValue).map { $0.doubleValue ?? .nan }
            for (a, b) in zip(h, expectedH) { XCTAssertEqual(Double(a), b, accuracy: 1e-6 * Swift.max(1, abs(b))) }
            let image = try fixtureTensor(c["image"]), expected = try fixtureTensor(c["output"])
            let out = Kernels.affine(image, transforms: [h], bilinear: c["interpolation"]?.stringValue == "bilinear",
                                     fillMode: "constant", fillValue: Float(c["fill_value"]?.doubleValue ?? 0))
            XCTAssertTrue(out.isClose(to: expected, atol: 2e-3, rtol: 1e-5), "\(out) vs \(expected)")
        }
        XCTAssertNil(RandomPerspective.homography(from: Array(repeating: (0, 0), count: 4), to: Array(repeating: (0, 0), count: 4)),
                     "corners that fix no map: none (the layer leaves the image)")
        let one = try RandomPerspective(factor: [1.0, 1.0], seed: 1)(Tensor(shape: [2, 1, 1, 3], repeating: 4), training: true)
        XCTAssertEqual(one.scalars, Array(repeating: 4, count: 6), "a 1×1 image has no perspective")
        let still = try RandomPerspective(factor: [1.0, 1.0], scale: 0, seed: 1)
        let x = images(3, 5, 6, 2)
        XCTAssertTrue(try still(x, training: true).isClose(to: x, atol: 1e-3, rtol: 1e-5), "scale 0 moves no corner")
        XCTAssertThrowsError(try RandomPerspective(scale: 2)) { e in XCTAssertTrue("\(e)".contains("scale"), "\(e)") }
    }

    /// `mirror` (jax's `_mirror_index_fixer`) repeats no edge pixel: `dcb|abcd|cba`; `reflect`
    /// repeats it: `dcba|abcd|dcba`.
    func testResampleMirrorAndReflectOutsideTheImage() {
        let row = Tensor.uninitialized([1, 1, 4, 1])
        for i in 0..<4 { row.data[i] = Float(i) }
        func sampled(_ mode: String) -> [Float] {
            (0..<11).map { x in
                Kernels.resample(row, bilinear: false, fillMode: mode, fillValue: -1,
                                 at: ProjectiveMaps(maps: [0, 0, Float(x - 4), 0, 0, 0, 0, 0])).scalars[0]
            }
        }
        XCTAssertEqual(sampled("mirror"), [2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
        XCTAssertEqual(sampled("reflect"), [3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1])
        XCTAssertEqual(sampled("constant"), [-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1])
    }

    func testElasticKeepsConstantImagesAndRefusesBadArguments() throws {
        let flat = Tensor(shape: [3, 12, 10, 2], repeating: 20)
        for mode in ["reflect", "mirror", "nearest", "wrap"] {
            let out = try RandomElasticTransform(factor: [1.0, 1.0], scale: [1.0, 1.0], fillMode: mode, seed: 4)(flat, training: true)
            XCTAssertTrue(out.scalars.allSatisfy { abs($0 - 20) < 1e-3 }, mode)
        }
        let x = images(3, 12, 10, 2)
        let elastic = try RandomElasticTransform(factor: [1.0, 1.0], seed: 2)
        XCTAssertNotEqual(try elastic(x, training: true).scalars, x.scalars)
        XCTAssertEqual(try elastic(x, training: false).scalars, x.scalars)
        XCTAssertEqual(try RandomElasticTransform(factor: 0.0)(x, training: true).scalars, x.scalars)
        XCTAssertThrowsError(try RandomElasticTransform(fillMode: "edge")) { e in XCTAssertTrue("\(e)".contains("fill_mode"), "\(e)") }
        XCTAssertThrowsError(try RandomElasticTransform(scale: 1.5)) { e in XCTAssertTrue("\(e)".contains("scale"), "\(e)") }
    }
}
