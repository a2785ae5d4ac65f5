import XCTest
@testable import Keras

/// Gradient checks, values and errors for reshape, transpose, expandDims, concatenate, take and
/// repeatVector.
final class OpsShapeTests: XCTestCase {
    typealias G = GradientCheck

    func testReshapeGradients() throws {
        let x = G.random([2, 3, 4], seed: 21)
        for target in [[6, 4], [-1], [4, -1, 2], [24, 1]] {
            try G.check([x], "reshape \(target)") { xs in try Ops.reshape(xs[0] * xs[0], target) }
        }
    }

    func testReshapeErrors() {
        let x = Tensor(shape: [2, 3])
        XCTAssertThrowsError(try Ops.reshape(x, [4, 2])) { XCTAssertTrue("\($0)".contains("[4, 2]"), "\($0)") }
        XCTAssertThrowsError(try Ops.reshape(x, [-1, -1]))
        XCTAssertThrowsError(try Ops.reshape(x, [-1, 4]))
        XCTAssertThrowsError(try Ops.reshape(x, [-2, 3]))
    }

    func testTransposeGradients() throws {
        let x = G.random([2, 3, 4], seed: 22)
        for perm in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 2, 1], [2, 0, 1]] {
            try G.check([x], "transpose \(perm)") { xs in try Ops.transpose(xs[0], perm) }
        }
        let m = G.random([3, 5], seed: 23)
        try G.check([m], "transpose default") { xs in try Ops.transpose(xs[0]) }
    }

    func testTransposeValuesAndErrors() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let t = try Ops.transpose(x)
        XCTAssertEqual(t.shape, [3, 2])
        XCTAssertEqual(t.scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertThrowsError(try Ops.transpose(x, [0, 0]))
        XCTAssertThrowsError(try Ops.transpose(x, [0, 1, 2]))
    }

    func testExpandDimsGradientsAndShapes() throws {
        let x = G.random([2, 3], seed: 24)
        for axis in [0, 1, 2, -1, -3] {
            try G.check([x], "expandDims \(axis)") { xs in try Ops.expandDims(Ops.exp(xs[0]), axis: axis) }
        }
        XCTAssertEqual(try Ops.expandDims(x, axis: -1).shape, [2, 3, 1])
        XCTAssertEqual(try Ops.expandDims(x, axis: 0).shape, [1, 2, 3])
        XCTAssertThrowsError(try Ops.expandDims(x, axis: 4))
    }

    func testConcatenateGradients() throws {
        let a = G.random([2, 3, 2], seed: 25), b = G.random([2, 1, 2], seed: 26), c = G.random([2, 2, 2], seed: 27)
        try G.check([a, b, c], "concatenate axis 1") { xs in try Ops.concatenate(xs, axis: 1) }
        let d = G.random([2, 3, 4], seed: 28)
        try G.check([a, d], "concatenate axis -1") { xs in try Ops.concatenate(xs, axis: -1) }
        let e = G.random([1, 3, 2], seed: 29)
        try G.check([a, e], "concatenate axis 0") { xs in try Ops.concatenate(xs, axis: 0) }
    }

    func testConcatenateValuesAndErrors() throws {
        let a = Tensor([[1, 2], [3, 4]]), b = Tensor([[5], [6]])
        XCTAssertEqual(try Ops.concatenate([a, b]).scalars, [1, 2, 5, 3, 4, 6])
        XCTAssertThrowsError(try Ops.concatenate([a, b], axis: 0))
        XCTAssertThrowsError(try Ops.concatenate([]))
        XCTAssertThrowsError(try Ops.concatenate([a, b], axis: 2))
    }

    func testTakeGradientsWithRepeatedIndices() throws {
        let x = G.random([4, 3], seed: 30)
        try G.check([x], "take") { xs in try Ops.take(xs[0], [3, 0, 3, 1]) }
        XCTAssertEqual(try Ops.take(Tensor([[1, 2], [3, 4]]), [1, 1, 0]).scalars, [3, 4, 3, 4, 1, 2])
        XCTAssertThrowsError(try Ops.take(x, [4])) { XCTAssertTrue("\($0)".contains("index 4")) }
        XCTAssertThrowsError(try Ops.take(x, [-1]))
    }

    func testRepeatVectorGradients() throws {
        let x = G.random([3, 4], seed: 31)
        try G.check([x], "repeatVector") { xs in try Ops.repeatVector(xs[0], 3) }
        let r = try Ops.repeatVector(Tensor([[1, 2]]), 2)
        XCTAssertEqual(r.shape, [1, 2, 2])
        XCTAssertEqual(r.scalars, [1, 2, 1, 2])
        XCTAssertThrowsError(try Ops.repeatVector(Tensor([1, 2]), 2))
        XCTAssertThrowsError(try Ops.repeatVector(x, -1))
    }
}
