import XCTest
@testable import Keras

/// ``Ops/convBatchNormMaxPool(_:kernel:bias:strides:padding:dilation:activation:scale:offset:epsilon:poolSize:poolStrides:poolPadding:)``
/// (a first convolution, BatchNormalization in training and a max pooling as one op) against
/// the three separate ops, and Sequential and functional models running it against the same
/// layers unfused.
final class PooledConvBatchNormTests: XCTestCase {
    struct Case {
        var x: [Int]
        var kernel: [Int]
        var activation = ElementwiseActivation.relu
        var bias = true, scale = true, offset = true
        var pool: [Int]
    }

    private let cases: [Case] = [
        Case(x: [3, 9, 8, 1], kernel: [3, 3, 1, 32], pool: [2, 2]),                 // a row no window covers
        Case(x: [2, 10, 10, 1], kernel: [3, 3, 1, 12], pool: [2, 2]),               // windows cover the output
        Case(x: [2, 12, 3], kernel: [3, 3, 5], activation: .linear, bias: false, scale: false, offset: false, pool: [3]),
        Case(x: [2, 9, 9, 2], kernel: [2, 2, 2, 9], bias: true, scale: true, offset: false, pool: [2, 2]),
        Case(x: [600, 6, 6, 1], kernel: [3, 3, 1, 16], pool: [2, 2]),               // split across cores
    ]

    private struct Result { var out, mean, variance: Tensor; var grads: [Tensor] }

    private func run(_ c: Case, _ x: Tensor, _ params: [Tensor?], r: Tensor?, fused: Bool) throws -> Result {
        let tape = GradientTape(), rank = c.x.count - 2
        let ones = [Int](repeating: 1, count: rank)
        let (watched, result, loss) = try tape.record { () throws -> ([Tensor], Result, Tensor?) in
            let w = params.map { $0.map { tape.watch($0) } }
            let (k, b, scale, offset) = (try XCTUnwrap(w[0]), w[1], w[2], w[3])
            let out, mean, variance: Tensor
            if fused {
                (out, mean, variance) = try XCTUnwrap(Ops.convBatchNormMaxPool(
                    x, kernel: k, bias: b, strides: ones, padding: .valid, dilation: ones, activation: c.activation,
                    scale: scale, offset: offset, epsilon: 1e-3, poolSize: c.pool, poolStrides: c.pool, poolPadding: .valid),
                    "the fused op declined")
            } else {
                let z = try Ops.conv(x, kernel: k, bias: b, strides: ones, padding: .valid, dilation: ones, activation: c.activation)
                let n = try Ops.batchNormalizationTraining(z, axis: -1, offset: offset, scale: scale, epsilon: 1e-3)
                (mean, variance) = (n.mean, n.variance)
                out = try Ops.maxPool(n.output, poolSize: c.pool, strides: c.pool, padding: .valid)
            }
            return (w.compactMap { $0 }, Result(out: out, mean: mean, variance: variance, grads: []),
                    try r.map { try Ops.sum(Ops.multiply(out, $0)) })
        }
        guard let loss else { return result }
        var withGrads = result
        withGrads.grads = try tape.gradient(of: loss, with: watched)
        return withGrads
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, exact: Bool, _ what: String) {
        XCTAssertEqual(a.shape, b.shape, what)
        for i in 0..<min(a.count, b.count) {
            if exact {
                XCTAssertEqual(a.data[i], b.data[i], what + "[\(i)]")
            } else {
                XCTAssertEqual(a.data[i], b.data[i], accuracy: 2e-5 + 2e-5 * abs(b.data[i]), what + "[\(i)]")
            }
        }
    }

    func testEqualsConvBatchNormalizationMaxPoolWithGradients() throws {
        for (i, c) in cases.enumerated() {
            let f = c.kernel.last ?? 0, s = UInt64(10 * i)
            let x = GradientCheck.random(c.x, seed: s + 1)
            let params: [Tensor?] = [GradientCheck.random(c.kernel, in: -0.5...0.5, seed: s + 2),
                                     c.bias ? GradientCheck.random([f], seed: s + 3) : nil,
                                     c.scale ? GradientCheck.random([f], in: -1.5...1.5, seed: s + 4) : nil,
                                     c.offset ? GradientCheck.random([f], seed: s + 5) : nil]
            let shape = try run(c, x, params, r: nil, fused: false).out.shape
            let r = GradientCheck.random(shape, seed: s + 6)
            let want = try run(c, x, params, r: r, fused: false), got = try run(c, x, params, r: r, fused: true)
            // The fused op sums the statistics as the convolution stores its rows: equal up to the order of sums.
            assertClose(got.out, want.out, exact: false, "case \(i) output")
            assertClose(got.mean, want.mean, exact: false, "case \(i) mean")
            assertClose(got.variance, want.variance, exact: false, "case \(i) variance")
            XCTAssertEqual(got.grads.count, want.grads.count, "case \(i)")
            for (j, (g, w)) in zip(got.grads, want.grads).enumerated() { assertClose(g, w, exact: false, "case \(i) gradient \(j)") }
        }
    }

    /// The moments the direct convolution sums as it stores each row equal the two-pass
    /// ``Kernels/channelMoments(_:_:mean:variance:)`` of its output: filters not a multiple of 8,
    /// a large mean (shifted sums), blocks that end inside a sample, samples split across cores.
    func testConvolutionMomentsEqualChannelMoments() throws {
        for (shape, kernel, offset) in [([3, 9, 8, 1], [3, 3, 1, 13], Float(0)), ([600, 6, 6, 2], [2, 2, 2, 16], 300)] {
            let x = GradientCheck.random(shape, seed: 7), k = GradientCheck.random(kernel, in: -0.5...0.5, seed: 8)
            let f = kernel[3], bias = Tensor(shape: [f], repeating: offset)
            let g = try Ops.windowGeometry("conv", input: shape, window: [kernel[0], kernel[1]], strides: [1, 1],
                                       dilation: [1, 1], padding: .valid)
            let y = Tensor.uninitialized(Ops.windowOutputShape(g, rank: 2, channels: f))
            let mean = Tensor(shape: [f]), variance = Tensor(shape: [f]), wantMean = Tensor(shape: [f]), wantVariance = Tensor(shape: [f])
            Kernels.directConv(x.data, k.data, bias: bias.data, g, filters: f, relu: false, into: y.data,
                               moments: (mean.data, variance.data))
            Kernels.channelMoments(y.data, Kernels.ChannelLayout(y.shape, axis: 3), mean: wantMean.data, variance: wantVariance.data)
            for c in 0..<f {
                XCTAssertEqual(mean.data[c], wantMean.data[c], accuracy: 1e-6 * max(1, abs(wantMean.data[c])), "mean \(c)")
                XCTAssertEqual(variance.data[c], wantVariance.data[c], accuracy: 1e-5 * wantVariance.data[c], "variance \(c)")
            }
        }
    }

    func testDeclinesMismatchedScale() throws {
        let x = GradientCheck.random([2, 8, 8, 1], seed: 1), k = GradientCheck.random([3, 3, 1, 4], seed: 2)
        XCTAssertNil(Ops.convBatchNormMaxPool(x, kernel: k, bias: nil, strides: [1, 1], padding: .valid, dilation: [1, 1],
                                              activation: .relu, scale: Tensor(shape: [3]), offset: nil, epsilon: 1e-3,
                                              poolSize: [2, 2], poolStrides: [2, 2], poolPadding: .valid))
    }

    /// Conv2D → BatchNormalization → MaxPooling2D runs fused in training in a Sequential and in
    /// a functional model: both train exactly alike, and as the unfused layers (moving statistics included).
    func testSequentialAndFunctionalTrainFusedAsUnfused() throws {
        try assertFusedModelsTrainAsUnfused(seed: 13, fusedLayers: 2) {
            try [Conv2D(8, kernelSize: [3], activation: .relu), BatchNormalization(), MaxPooling2D(poolSize: [2]), Flatten(),
                 Dense(3, activation: .softmax)]
        }
    }
}
