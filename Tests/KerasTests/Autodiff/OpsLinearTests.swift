import XCTest
@testable import Keras

/// Gradient checks for `matmul` and the fused `dense` with every elementwise activation.
final class OpsLinearTests: XCTestCase {
    typealias G = GradientCheck

    func testMatmulGradients() throws {
        let a = G.random([3, 4], seed: 41), b = G.random([4, 2], seed: 42)
        try G.check([a, b], "matmul 2-D") { xs in try Ops.matmul(xs[0], xs[1]) }
        let batched = G.random([2, 3, 4], seed: 43)
        try G.check([batched, b], "matmul batched") { xs in try Ops.matmul(xs[0], xs[1]) }
    }

    func testMatmulValuesAndErrors() throws {
        let a = Tensor([[1, 2], [3, 4]]), b = Tensor([[5, 6], [7, 8]])
        XCTAssertEqual(try Ops.matmul(a, b).scalars, [19, 22, 43, 50])
        XCTAssertThrowsError(try Ops.matmul(a, Tensor(shape: [3, 2]))) { XCTAssertTrue("\($0)".contains("[3, 2]")) }
        XCTAssertThrowsError(try Ops.matmul(Tensor([1, 2]), b))
    }

    static let activations: [ElementwiseActivation] = [
        .linear, .relu, .sigmoid, .tanh, .relu6, .exponential, .hardSigmoid, .softplus, .selu,
        .elu(alpha: 1), .elu(alpha: 0.5), .leakyReLU(negativeSlope: 0.2),
    ]

    /// Pre-activations are kept away from the kinks of relu, relu6, hard sigmoid and leaky relu.
    func testDenseGradientsForEveryActivation() throws {
        for act in Self.activations {
            let x = G.random([3, 4], in: -1...1, seed: 44)
            let kernel = G.random([4, 5], in: -1...1, seed: 45)
            let bias = G.random([5], in: -1...1, seed: 46)
            // Nudge the bias so that no pre-activation lies near a kink.
            let z = try Ops.dense(x, kernel: kernel, bias: bias)
            let kinks: [Float] = [0, 6, -3, 3]
            for j in 0..<5 {
                var shift: Float = 0
                while (0..<3).contains(where: { r in kinks.contains { abs(z.data[r * 5 + j] + shift - $0) < 0.05 } }) {
                    shift += 0.037
                }
                bias.data[j] += shift
            }
            try G.check([x, kernel, bias], "dense \(act)") { xs in
                try Ops.dense(xs[0], kernel: xs[1], bias: xs[2], activation: act)
            }
            if [.linear, .sigmoid, .tanh, .softplus, .exponential].contains(act) {
                try G.check([x, kernel], "dense \(act) without bias") { xs in
                    try Ops.dense(xs[0], kernel: xs[1], bias: nil, activation: act)
                }
            }
        }
    }

    func testDenseMatchesComposedOps() throws {
        let x = G.random([2, 3, 4], seed: 47), k = G.random([4, 2], seed: 48), b = G.random([2], seed: 49)
        let fused = try Ops.dense(x, kernel: k, bias: b, activation: .tanh)
        let composed = Ops.tanh(try Ops.matmul(x, k) + b)
        XCTAssertTrue(fused.isClose(to: composed), "\(fused) vs \(composed)")
    }

    func testDenseErrors() {
        XCTAssertThrowsError(try Ops.dense(Tensor(shape: [2, 3]), kernel: Tensor(shape: [4, 2]), bias: nil))
        XCTAssertThrowsError(try Ops.dense(Tensor(shape: [2, 4]), kernel: Tensor(shape: [4, 2]), bias: Tensor(shape: [3])))
    }
}
