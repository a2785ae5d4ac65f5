import XCTest
@testable import Keras

/// Gradient checks for softmax, logSoftmax and every built-in activation, and forward values of
/// the fused activations against their textbook formulas.
final class ElementwiseActivationTests: XCTestCase {
    typealias G = GradientCheck

    func testSoftmaxGradientsOnEveryAxis() throws {
        let x = G.random([2, 3, 4], seed: 61)
        for axis in [-1, 0, 1, 2, -2] {
            try G.check([x], "softmax axis \(axis)") { xs in try Ops.softmax(xs[0], axis: axis) }
        }
    }

    func testSoftmaxSumsToOneAlongItsAxis() throws {
        let x = G.random([2, 3, 4], seed: 62)
        for axis in [0, 1, 2] {
            let s = try Ops.sum(Ops.softmax(x, axis: axis), axes: [axis])
            XCTAssertTrue(s.isClose(to: Tensor(shape: s.shape, repeating: 1)), "axis \(axis): \(s)")
        }
        XCTAssertThrowsError(try Ops.softmax(x, axis: 3))
    }

    func testLogSoftmaxGradientsAndValues() throws {
        let x = G.random([3, 5], seed: 63)
        try G.check([x], "logSoftmax") { xs in try Ops.logSoftmax(xs[0]) }
        try G.check([x], "logSoftmax axis 0") { xs in try Ops.logSoftmax(xs[0], axis: 0) }
        XCTAssertTrue(try Ops.logSoftmax(x).isClose(to: Ops.log(Ops.softmax(x))))
    }

    /// Every activation Keras knows by name, through `ActivationFunction.builtins`.
    func testEveryBuiltinActivationGradient() throws {
        // "threshold" has no defaults (Keras's neither), and Keras's sparsemax jumps where its
        // support changes: Keras3ActivationTests checks both against jax.grad.
        for name in ActivationFunction.builtins.keys.sorted() where name != "threshold" && name != "sparsemax" {
            let activation = try ActivationFunction.named(name)
            let x = G.random([4, 6], in: -4...4, avoiding: [0, 3, -3, 6, 0.5, -0.5, 1, -1], margin: 0.1, seed: 64)
            try G.check([x], "activation \(name)") { xs in try activation(xs[0]) }
        }
    }

    func testOpsShortcutsGradients() throws {
        let x = G.random([3, 4], avoiding: [0], seed: 65)
        try G.check([x], "Ops.relu") { xs in Ops.relu(xs[0]) }
        try G.check([x], "Ops.sigmoid") { xs in Ops.sigmoid(xs[0]) }
        try G.check([x], "Ops.tanh") { xs in Ops.tanh(xs[0]) }
        for act in OpsLinearTests.activations {
            let y = G.random([2, 5], in: -4...4, avoiding: [0, 3, -3, 6], seed: 66)
            try G.check([y], "Ops.activation \(act)") { xs in Ops.activation(xs[0], act) }
        }
    }

    func testFusedActivationValues() throws {
        let xs: [Float] = [-2, -0.5, 0.5, 2, 7]
        func check(_ kind: ElementwiseActivation, _ f: (Double) -> Double) {
            let y = Ops.activation(Tensor(xs), kind).scalars
            for (x, v) in zip(xs, y) {
                let expected = f(Double(x))
                XCTAssertEqual(Double(v), expected, accuracy: 1e-6 * max(1, abs(expected)), "\(kind) at \(x)")
            }
        }
        check(.relu) { max($0, 0) }
        check(.sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
        check(.tanh) { Foundation.tanh($0) }
        check(.relu6) { min(max($0, 0), 6) }
        check(.exponential) { Foundation.exp($0) }
        check(.hardSigmoid) { min(max($0 / 6 + 0.5, 0), 1) }
        check(.softplus) { Foundation.log(1 + Foundation.exp($0)) }
        check(.selu) { $0 > 0 ? 1.0507009873554805 * $0 : 1.0507009873554805 * 1.6732632423543772 * (Foundation.exp($0) - 1) }
        check(.elu(alpha: 0.5)) { $0 > 0 ? $0 : 0.5 * (Foundation.exp($0) - 1) }
        check(.leakyReLU(negativeSlope: 0.3)) { $0 >= 0 ? $0 : 0.3 * $0 }
    }

    /// The fused relu's backward (vectors of eight, then a scalar tail) passes the upstream
    /// gradient exactly where the output is positive and 0 elsewhere (a NaN or -0 output too).
    func testReluBackwardPassesTheGradientWhereTheOutputIsPositive() {
        let g = RandomGenerator(seed: 21)
        for n in [0, 1, 7, 8, 9, 16, 19, 256, 261] {
            var y = (0..<n).map { _ in g.uniform(-1, 1) }
            if n > 3 { y[0] = .nan; y[1] = -0.0; y[2] = 0; y[3] = .infinity }
            let up = (0..<n).map { _ in g.uniform(-2, 2) }
            var d = [Float](repeating: .nan, count: n)
            y.withUnsafeBufferPointer { py in
                up.withUnsafeBufferPointer { pg in
                    d.withUnsafeMutableBufferPointer { pd in
                        guard let yb = py.baseAddress, let gb = pg.baseAddress, let db = pd.baseAddress else { return }
                        ElementwiseActivation.relu.backward(output: yb, upstream: gb, into: db, count: n)
                    }
                }
            }
            let expected = (0..<n).map { y[$0] > 0 ? up[$0] : 0 }
            XCTAssertEqual(d.map(\.bitPattern), expected.map(\.bitPattern), "n=\(n)")
        }
    }
}
