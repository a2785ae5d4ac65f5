import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import Keras

/// The eight-lane sigmoid and tanh (``Kernels/sigmoidInPlace(_:count:)``,
/// ``Kernels/tanhInPlace(_:count:)``) against the formulas in Double, with their special values.
final class ActivationKernelsTests: XCTestCase {
    private func applied(_ xs: [Float], _ f: (UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        var ys = xs
        ys.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { f(p, b.count) } }
        return ys
    }

    /// A sweep over both branches of tanh (|x| = 0.625), the small values where tanh ≈ x, and
    /// saturation; a count that leaves a tail.
    private let sweep: [Float] = stride(from: Float(-30), through: 30, by: 0.0137).map { $0 }
        + [0.624_999, 0.625, -0.625, 1e-6, -1e-6, 1e-30, 5e-4, 0.3, -0.3]

    func testSigmoidWithinFourUlpOfDouble() {
        for (x, y) in zip(sweep, applied(sweep, Kernels.sigmoidInPlace)) {
            let exact = Float(1 / (1 + Foundation.exp(-Double(x))))
            XCTAssertLessThanOrEqual(abs(y - exact), 4 * Swift.max(exact.ulp, Float.leastNormalMagnitude), "sigmoid(\(x)): \(y) vs \(exact)")
        }
        let special = applied([.nan, -.infinity, .infinity, -200, 200, 0, 1, -1, 3], Kernels.sigmoidInPlace)
        XCTAssertTrue(special[0].isNaN)
        XCTAssertEqual(Array(special[1...5]), [0, 1, 0, 1, 0.5])
        XCTAssertEqual(special[6] + special[7], 1, accuracy: 1e-7)
    }

    func testTanhWithinFourUlpOfDoubleAndOdd() {
        let ys = applied(sweep, Kernels.tanhInPlace)
        for (x, y) in zip(sweep, ys) {
            let exact = Float(Foundation.tanh(Double(x)))
            XCTAssertLessThanOrEqual(abs(y - exact), 4 * Swift.max(exact.ulp, Float.leastNormalMagnitude), "tanh(\(x)): \(y) vs \(exact)")
        }
        let negated = applied(sweep.map { -$0 }, Kernels.tanhInPlace)
        XCTAssertEqual(negated, ys.map { -$0 }, "tanh is odd")
        let special = applied([.nan, -.infinity, .infinity, -50, 50, 0, -0.0], Kernels.tanhInPlace)
        XCTAssertTrue(special[0].isNaN)
        XCTAssertEqual(Array(special[1...5]), [-1, 1, -1, 1, 0])
        XCTAssertEqual(special[6].sign, .minus, "tanh(-0) = -0")
    }

    /// The fused activations use them: Dense(sigmoid) and Dense(tanh) equal the kernels.
    func testElementwiseActivationUsesThem() {
        let xs = sweep
        XCTAssertEqual(applied(xs) { ElementwiseActivation.sigmoid.apply($0, count: $1) }, applied(xs, Kernels.sigmoidInPlace))
        XCTAssertEqual(applied(xs) { ElementwiseActivation.tanh.apply($0, count: $1) }, applied(xs, Kernels.tanhInPlace))
    }
}
