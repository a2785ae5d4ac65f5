import XCTest
@testable import Keras

/// The batch-normalization kernels (SIMD groups of 8 channels or positions, a scalar tail,
/// Float block sums into Double, parts across cores) against the formulas evaluated in Double.
final class BatchNormalizationKernelTests: XCTestCase {
    /// Channels-last with a tail (19 = 2·8 + 3 channels) over several sum blocks; channels-first
    /// with runs of 42 = 5·8 + 2; channels-last large enough to split across cores.
    private let cases: [(shape: [Int], axis: Int)] = [([3, 50, 19], -1), ([4, 5, 7, 6], 1), ([4100, 35], -1), ([2, 3, 1], 1)]

    /// Per channel `(mean, biased variance)` of `x` in Double.
    private func reference(_ x: Tensor, axis a: Int) -> [(Double, Double)] {
        let l = Kernels.ChannelLayout(x.shape, axis: a)
        return (0..<l.channels).map { c in
            var values: [Double] = []
            for o in 0..<l.outer { for i in 0..<l.inner { values.append(Double(x.data[l.start(o, c) + i])) } }
            let m = values.reduce(0, +) / Double(values.count)
            return (m, values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count))
        }
    }

    func testMomentsMatchDoubleWithALargeMeanOrAnOutlier() throws {
        for (shape, axis) in cases {
            // Values around 1000 with spread 1: E[x²] − m² in Float would lose every digit. Then
            // an outlier as the very first value (a poor shift for one-pass sums).
            let x = GradientCheck.random(shape, in: 999.5...1000.5, seed: 7)
            let outlier = GradientCheck.random(shape, seed: 8)
            outlier.data[0] = 1e5
            let a = axis < 0 ? axis + shape.count : axis
            for t in [x, outlier] {
                // Float sums: the mean is good to a few ulps of the largest value (so are Keras's backends').
                let largest = t.scalars.map(abs).max() ?? 0
                let (_, mean, variance) = try Ops.batchNormalizationTraining(t, axis: axis)
                for (c, (m, v)) in reference(t, axis: a).enumerated() {
                    XCTAssertEqual(Double(mean.data[c]), m, accuracy: 1e-5 + 4 * Double(largest.ulp), "\(shape) mean[\(c)]")
                    XCTAssertEqual(Double(variance.data[c]), v, accuracy: 1e-5 + 1e-4 * v, "\(shape) variance[\(c)]")
                }
            }
        }
    }

    /// Output and the gradients of `Σ out · R` with respect to x, gamma and beta, against the
    /// closed form in Double: `dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))`, `dx̂ = R · gamma`.
    func testTrainingOutputAndGradientsMatchDouble() throws {
        for (shape, axis) in cases {
            let a = axis < 0 ? axis + shape.count : axis
            let c = shape[a], eps = 1e-3
            let x = GradientCheck.random(shape, seed: 11), r = GradientCheck.random(shape, seed: 12)
            let gamma = GradientCheck.random([c], in: 0.5...1.5, seed: 13), beta = GradientCheck.random([c], seed: 14)
            let tape = GradientTape()
            let (wx, wg, wb, out, loss) = try tape.record { () throws -> (Tensor, Tensor, Tensor, Tensor, Tensor) in
                let wx = tape.watch(x), wg = tape.watch(gamma), wb = tape.watch(beta)
                let out = try Ops.batchNormalizationTraining(wx, axis: axis, offset: wb, scale: wg, epsilon: Float(eps)).output
                return (wx, wg, wb, out, try Ops.sum(Ops.multiply(out, r)))
            }
            let grads = try tape.gradient(of: loss, with: [wx, wg, wb])
            let l = Kernels.ChannelLayout(shape, axis: a), n = Double(l.perChannel)
            for (ch, (m, v)) in reference(x, axis: a).enumerated() {
                let rstd = 1 / (v + eps).squareRoot(), g = Double(gamma.data[ch])
                var sumD = 0.0, sumDX = 0.0, sumR = 0.0, sumRX = 0.0
                var indices: [Int] = []
                for o in 0..<l.outer { for i in 0..<l.inner { indices.append(l.start(o, ch) + i) } }
                for i in indices {
                    let xh = (Double(x.data[i]) - m) * rstd, ri = Double(r.data[i])
                    XCTAssertEqual(Double(out.data[i]), g * xh + Double(beta.data[ch]), accuracy: 1e-4, "\(shape) out[\(i)]")
                    sumD += ri * g; sumDX += ri * g * xh; sumR += ri; sumRX += ri * xh
                }
                for i in indices {
                    let xh = (Double(x.data[i]) - m) * rstd
                    let dx = rstd * (Double(r.data[i]) * g - sumD / n - xh * sumDX / n)
                    XCTAssertEqual(Double(grads[0].data[i]), dx, accuracy: 1e-4 + 1e-4 * abs(dx), "\(shape) dx[\(i)]")
                }
                XCTAssertEqual(Double(grads[1].data[ch]), sumRX, accuracy: 1e-3 + 1e-5 * abs(sumRX), "\(shape) dgamma[\(ch)]")
                XCTAssertEqual(Double(grads[2].data[ch]), sumR, accuracy: 1e-3 + 1e-5 * abs(sumR), "\(shape) dbeta[\(ch)]")
            }
        }
    }

    /// Inference with given statistics under a tape: `dx = a · g` and the gradients of the
    /// given mean and variance, by finite differences, channels-first with a SIMD run and a tail.
    func testInferenceGradientsByFiniteDifferences() throws {
        let x = GradientCheck.random([2, 3, 11], seed: 21), mean = GradientCheck.random([3], seed: 22)
        let variance = GradientCheck.random([3], in: 0.5...2, seed: 23), gamma = GradientCheck.random([3], seed: 24)
        try GradientCheck.check([x, mean, variance, gamma], step: 1e-3, "batchNormalization with given statistics") {
            try Ops.batchNormalization($0[0], mean: $0[1], variance: $0[2], axis: 1, scale: $0[3])
        }
        try GradientCheck.check([GradientCheck.random([70, 9], seed: 25)], step: 5e-3, "batchNormalizationTraining, 70×9") {
            try Ops.batchNormalizationTraining($0[0], axis: -1, epsilon: 0.1).output
        }
    }
}
