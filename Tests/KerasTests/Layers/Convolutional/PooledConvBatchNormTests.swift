import XCTest
@testable import Keras

/// ``Ops/convBatchNormMaxPool(_:kernel:bias:strides:padding:dilation:activation:scale:offset:epsilon:poolSize:poolStrides:poolPadding:)``
/// (a first convolution, BatchNormalization in training and a max pooling as one op) against
/// the three separate ops, and a `Sequential` running it against the same layers in a
/// functional model, which does not.
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
            assertClose(got.out, want.out, exact: true, "case \(i) output")
            assertClose(got.mean, want.mean, exact: true, "case \(i) mean")
            assertClose(got.variance, want.variance, exact: true, "case \(i) variance")
            XCTAssertEqual(got.grads.count, want.grads.count, "case \(i)")
            for (j, (g, w)) in zip(got.grads, want.grads).enumerated() { assertClose(g, w, exact: false, "case \(i) gradient \(j)") }
        }
    }

    func testDeclinesMismatchedScale() throws {
        let x = GradientCheck.random([2, 8, 8, 1], seed: 1), k = GradientCheck.random([3, 3, 1, 4], seed: 2)
        XCTAssertNil(Ops.convBatchNormMaxPool(x, kernel: k, bias: nil, strides: [1, 1], padding: .valid, dilation: [1, 1],
                                              activation: .relu, scale: Tensor(shape: [3]), offset: nil, epsilon: 1e-3,
                                              poolSize: [2, 2], poolStrides: [2, 2], poolPadding: .valid))
    }

    /// A Sequential Conv2D → BatchNormalization → MaxPooling2D runs fused in training; trained
    /// alongside the same layers in a functional model (not fused) from the same weights, both
    /// end with the same weights (moving statistics included) and predictions.
    func testSequentialTrainsAsTheUnfusedFunctionalModel() throws {
        try assertSequentialTrainsAsFunctional(seed: 13, fusedLayers: 2) {
            try [Conv2D(8, kernelSize: [3], activation: .relu), BatchNormalization(), MaxPooling2D(poolSize: [2]), Flatten(),
                 Dense(3, activation: .softmax)]
        }
    }
}
