import XCTest
@testable import Keras

/// Gradient checks (and a few forward values) for the elementwise ops of `Ops.swift`.
final class OpsTests: XCTestCase {
    typealias G = GradientCheck

    /// Shape pairs that exercise every broadcasting path: equal shapes, a scalar on either side,
    /// a trailing suffix on either side, and general broadcasting on both sides.
    static let broadcastPairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3], []), ([], [2, 3]), ([2, 3], [1]), ([4, 3], [3]), ([3], [2, 3]),
        ([2, 1, 3], [4, 1]), ([2, 1], [1, 3]), ([2, 3, 4], [3, 1]),
    ]

    func checkBinary(_ name: String, range: ClosedRange<Float> = -2...2, rangeB: ClosedRange<Float>? = nil,
                     _ op: @escaping (Tensor, Tensor) throws -> Tensor) throws {
        for (k, (sa, sb)) in Self.broadcastPairs.enumerated() {
            let a = G.random(sa, in: range, seed: UInt64(10 + k))
            let b = G.random(sb, in: rangeB ?? range, seed: UInt64(50 + k))
            try G.check([a, b], "\(name) \(sa) with \(sb)") { xs in try op(xs[0], xs[1]) }
        }
    }

    func testAddGradientsWithBroadcasting() throws { try checkBinary("add", Ops.add) }
    func testSubtractGradientsWithBroadcasting() throws { try checkBinary("subtract", Ops.subtract) }
    func testMultiplyGradientsWithBroadcasting() throws { try checkBinary("multiply", Ops.multiply) }
    func testDivideGradientsWithBroadcasting() throws {
        try checkBinary("divide", rangeB: 0.5...2, Ops.divide)
        try checkBinary("divide by negatives", rangeB: -2 ... -0.5, Ops.divide)
    }

    func testMaximumAndMinimumGradientsWithBroadcasting() throws {
        for (k, (sa, sb)) in Self.broadcastPairs.enumerated() {
            // Every a is kept away from every b, so no finite-difference step crosses a tie.
            let b = G.random(sb, seed: UInt64(50 + k))
            let a = G.random(sa, avoiding: b.scalars, margin: 0.05, seed: UInt64(10 + k))
            try G.check([a, b], "maximum \(sa) with \(sb)") { xs in try Ops.maximum(xs[0], xs[1]) }
            try G.check([a, b], "minimum \(sa) with \(sb)") { xs in try Ops.minimum(xs[0], xs[1]) }
        }
    }

    func testBroadcastForwardValues() throws {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let b = Tensor([10, 20, 30])
        XCTAssertEqual(try (a + b).scalars, [11, 22, 33, 14, 25, 36])
        let c = try Tensor(shape: [2, 1], scalars: [1, 2])
        XCTAssertEqual(try (a * c).scalars, [1, 2, 3, 8, 10, 12])
        XCTAssertEqual(try Ops.divide(a, Tensor(2)).scalars, [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(try Ops.maximum(a, Tensor(3.5)).scalars, [3.5, 3.5, 3.5, 4, 5, 6])
    }

    func testBroadcastRejectsIncompatibleShapes() {
        XCTAssertThrowsError(try Ops.add(Tensor(shape: [2, 3]), Tensor(shape: [2]))) { error in
            XCTAssertTrue("\(error)".contains("[2, 3]") && "\(error)".contains("[2]"), "\(error)")
        }
    }

    func checkUnary(_ name: String, range: ClosedRange<Float> = -2...2, kinks: [Float] = [],
                    _ op: @escaping (Tensor) throws -> Tensor) throws {
        for shape in [[5], [2, 3, 2]] {
            let x = G.random(shape, in: range, avoiding: kinks, seed: 7)
            try G.check([x], "\(name) \(shape)") { xs in try op(xs[0]) }
        }
    }

    func testElementwiseMathGradients() throws {
        try checkUnary("negative") { Ops.negative($0) }
        try checkUnary("exp") { Ops.exp($0) }
        try checkUnary("log", range: 0.3...3) { Ops.log($0) }
        try checkUnary("sqrt", range: 0.3...3) { Ops.sqrt($0) }
        try checkUnary("square") { Ops.square($0) }
        try checkUnary("abs", kinks: [0]) { Ops.abs($0) }
        try checkUnary("pow 3") { Ops.pow($0, 3) }
        try checkUnary("pow 2.5", range: 0.3...3) { Ops.pow($0, 2.5) }
        try checkUnary("pow -1", range: 0.5...3) { Ops.pow($0, -1) }
        try checkUnary("log1p", range: -0.7...3) { Ops.log1p($0) }
        try checkUnary("expm1") { Ops.expm1($0) }
        try checkUnary("sin") { Ops.sin($0) }
        try checkUnary("cos") { Ops.cos($0) }
        try checkUnary("affine") { Ops.affine($0, scale: -1.5, offset: 0.25) }
        try checkUnary("clip", kinks: [-0.5, 1]) { Ops.clip($0, -0.5, 1) }
    }

    /// sign is flat away from 0 and stopGradient blocks the tape: both have zero gradients.
    func testSignAndStopGradientHaveZeroGradients() throws {
        try checkUnary("sign", kinks: [0]) { Ops.sign($0) }
        let x = G.random([4], seed: 8)
        let tape = GradientTape()
        let (w, loss) = try tape.record { () throws -> (Tensor, Tensor) in
            let w = tape.watch(x)
            return (w, try Ops.sum(Ops.stopGradient(Ops.square(w)) + w * 3))
        }
        XCTAssertEqual(try tape.gradient(of: loss, with: [w])[0].scalars, [3, 3, 3, 3])
        XCTAssertEqual(Ops.sign(Tensor([-2, 0, 3])).scalars, [-1, 0, 1])
    }

    func testComparisonsBroadcast() throws {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(try Ops.greater(a, Tensor([2, 2, 7])).scalars, [0, 0, 0, 1, 1, 0])
        XCTAssertEqual(try Ops.equal(a, Tensor(5)).scalars, [0, 0, 0, 0, 1, 0])
        XCTAssertThrowsError(try Ops.greater(a, Tensor([1, 2])))
    }

    func testElementwiseForwardValues() throws {
        let x = Tensor([-1, 0.5, 2])
        XCTAssertTrue(Ops.abs(x).isClose(to: Tensor([1, 0.5, 2])))
        XCTAssertTrue(Ops.clip(x, 0, 1).isClose(to: Tensor([0, 0.5, 1])))
        XCTAssertTrue(Ops.log1p(Tensor([0, 1])).isClose(to: Tensor([0, Float(log(2.0))])))
        XCTAssertTrue(Ops.pow(Tensor([2, 3]), 3).isClose(to: Tensor([8, 27])))
        XCTAssertTrue(Ops.affine(x, scale: 2, offset: 1).isClose(to: Tensor([-1, 2, 5])))
    }

    func testScalarOperatorsGradients() throws {
        let x = G.random([3, 2], seed: 3)
        try G.check([x], "scalar operators") { xs in
            let y = (2 * xs[0] - 1) / 4
            return (3 - y) * 0.5 + 1
        }
    }

    func testWhereGradientsGoToTheChosenSide() throws {
        let cond = try Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 1])
        let a = G.random([2, 3], seed: 4), b = G.random([2, 3], seed: 5)
        try G.check([a, b], "where") { xs in try Ops.where(cond, xs[0], xs[1]) }
        let out = try Ops.where(cond, a, b)
        XCTAssertEqual(out.scalars[0], a.scalars[0])
        XCTAssertEqual(out.scalars[1], b.scalars[1])
    }

    func testWhereRejectsMismatchedShapes() {
        XCTAssertThrowsError(try Ops.where(Tensor(shape: [2]), Tensor(shape: [3]), Tensor(shape: [3])))
    }

    func testTiesInMaximumSendGradientToFirstArgument() throws {
        let a = Tensor([1, 2]), b = Tensor([1, 3])
        let tape = GradientTape()
        let (wa, wb, loss) = try tape.record { () throws -> (Tensor, Tensor, Tensor) in
            let wa = tape.watch(a), wb = tape.watch(b)
            return (wa, wb, try Ops.sum(Ops.maximum(wa, wb)))
        }
        let g = try tape.gradient(of: loss, with: [wa, wb])
        XCTAssertEqual(g[0].scalars, [1, 0])
        XCTAssertEqual(g[1].scalars, [0, 1])
    }
}
