import XCTest
@testable import Keras

/// RandAugment, AugMix and SpectralNormalization in the library: their refusals, invariants and
/// generator counters (bindings/python/tests/test_rand_augment_aug_mix.py and
/// test_spectral_normalization.py check them against real Keras).
final class MixedAugmentationTests: XCTestCase {
    private func images(_ n: Int, _ h: Int, _ w: Int, seed: UInt64 = 1) -> Tensor {
        let rng = RandomGenerator(seed: seed)
        let t = Tensor.uninitialized([n, h, w, 3])
        for i in 0..<t.count { t.data[i] = rng.uniform(0, 255) }
        return t
    }

    func testBadArgumentsNameLayerAndArgument() {
        func refused(_ make: @autoclosure () throws -> Layer, _ words: String...) {
            XCTAssertThrowsError(try make()) { e in XCTAssertTrue(words.allSatisfy { "\(e)".contains($0) }, "\(e)") }
        }
        refused(try RandAugment(factor: 1.5), "RandAugment", "factor")
        refused(try RandAugment(numOps: -1), "RandAugment", "num_ops")
        refused(try RandAugment(valueRange: [1]), "value_range")
        refused(try RandAugment(interpolation: "cubic"), "interpolation")
        refused(try AugMix(factor: [2.0, 3.0]), "AugMix", "factor")
        refused(try AugMix(numChains: 0), "AugMix", "num_chains")
        refused(try AugMix(alpha: 0), "AugMix", "alpha")
        refused(try SpectralNormalization(Dense(2), powerIterations: 0), "power_iterations")
        XCTAssertThrowsError(try SpectralNormalization(Flatten())(images(1, 2, 2), training: false)) { e in
            XCTAssertTrue("\(e)".contains("kernel"), "\(e)")
        }
    }

    func testCountersMoveByKerasDrawsAndInferencePassesThrough() throws {
        let x = images(3, 6, 7)
        let rand = try RandAugment(seed: 1)   // 1 + shear 3 + translation 2 + rotation 1 + 4 colour + posterization 1 + solarization 2
        _ = try rand(x, training: true)
        XCTAssertEqual(rand.seedGenerator?.counter, 14)
        XCTAssertEqual(try rand(x, training: false).scalars, x.scalars)
        XCTAssertEqual(rand.seedGenerator?.counter, 14)
        XCTAssertEqual(rand.allSeedGenerators.count, 10)
        XCTAssertTrue(rand.allSeedGenerators.dropFirst().allSatisfy { $0.generator.counter == 0 })
        let mix = try AugMix(chainDepth: 0, allOps: false, seed: 2)
        let out = try mix(x, training: true)
        XCTAssertEqual(mix.seedGenerator?.counter, 2)
        XCTAssertEqual(mix.allSeedGenerators.count, 6)
        for i in 0..<x.count { XCTAssertEqual(out.data[i], x.data[i], accuracy: 1e-3) }
    }

    func testOutputsStayInTheValueRange() throws {
        let x = images(4, 6, 6)
        for layer in [try RandAugment(numOps: 4, factor: 0.9, seed: 3) as Layer, try AugMix(factor: 0.9, seed: 4)] {
            for _ in 0..<3 {
                let out = try layer(x, training: true)
                XCTAssertEqual(out.shape, x.shape)
                XCTAssertTrue(out.scalars.allSatisfy { $0 >= -1e-3 && $0 <= 255.001 }, layer.className)
            }
        }
    }

    func testSpectralNormalizationScalesTheKernelToUnitNorm() throws {
        let dense = Dense(3)
        let sn = try SpectralNormalization(dense, powerIterations: 30)
        let x = images(2, 1, 4).viewing([2, 12])
        _ = try sn(x, training: false)
        XCTAssertEqual(sn.weights.map(\.name), ["kernel", "vector_u", "bias"], "the kernel once, first")
        XCTAssertTrue(dense.kernel === sn.kernel)
        _ = try sn(x, training: true)   // an eager training call assigns the normalized kernel
        guard let k = sn.kernel?.numpy, let u = sn.vectorU?.numpy else { return XCTFail("not built") }
        // With u converged, ‖K uᵀ‖ is the largest singular value of the normalized kernel: 1.
        var norm: Float = 0
        for r in 0..<12 {
            var s: Float = 0
            for c in 0..<3 { s += k.data[r * 3 + c] * u.data[c] }
            norm += s * s
        }
        XCTAssertEqual(norm.squareRoot(), 1, accuracy: 1e-3)
    }
}
