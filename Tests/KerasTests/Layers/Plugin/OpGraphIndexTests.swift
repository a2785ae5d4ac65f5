import XCTest
@testable import Keras

/// The op graph's indexing ops (slice, take, take_along_axis, tile, repeat), einsum and batched
/// matmul: values by hand (numpy's rules) and gradients by central differences.
final class OpGraphIndexTests: XCTestCase {
    private func op(_ name: String, _ attrs: [(String, JSON)], arity: Int = 1) throws -> OpGraphOp {
        try OpGraphOp(name, .object(attrs), arity: arity)
    }

    private func range(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
    }

    private func ints(_ v: [Int]) -> JSON { .array(v.map { .int($0) }) }

    private static let all = JSON.array([.null, .null, .null])

    func testSliceFollowsPythonIndexing() throws {
        let x = try range([3, 4, 2])
        // x[:, 1:3], x[..., 0], x[:, -1], x[::-1, ::2, 1], x[:, 5:9]
        let cases: [([JSON], [Int], [Float])] = [
            ([Self.all, .array([.int(1), .int(3), .null]), Self.all], [3, 2, 2],
             [2, 3, 4, 5, 10, 11, 12, 13, 18, 19, 20, 21]),
            ([Self.all, Self.all, .int(0)], [3, 4], [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]),
            ([Self.all, .int(-1), Self.all], [3, 2], [6, 7, 14, 15, 22, 23]),
            ([.array([.null, .null, .int(-1)]), .array([.null, .null, .int(2)]), .int(1)], [3, 2], [17, 21, 9, 13, 1, 5]),
            ([Self.all, .array([.int(5), .int(9), .null]), Self.all], [3, 0, 2], []),
        ]
        for (specs, shape, expected) in cases {
            let y = try op("slice", [("specs", .array(specs))]).apply([x], training: false)
            XCTAssertEqual(y.shape, shape, "\(specs)")
            XCTAssertEqual(y.scalars, expected, "\(specs)")
        }
        let g = GradientCheck.random([3, 4, 2], seed: 3)
        let f = try op("slice", [("specs", .array([Self.all, .array([.int(-3), .null, .int(2)]), .int(1)]))])
        try GradientCheck.check([g], "slice") { try f.apply($0, training: false) }
        XCTAssertThrowsError(try op("slice", [("specs", .array([.int(5), Self.all, Self.all]))]).apply([x], training: false)) {
            XCTAssertTrue("\($0)".contains("index 5 is out of bounds for axis 0 with size 3"), "\($0)")
        }
        XCTAssertThrowsError(try op("slice", [("specs", .array([.array([.null, .null, .int(0)])]))])) {
            XCTAssertTrue("\($0)".contains("step cannot be zero"), "\($0)")
        }
    }

    func testTakeAndTakeAlongAxis() throws {
        let x = try range([2, 3])
        let take = try op("take", [("axis", .int(1))], arity: 2)
        let y = try take.apply([x, Tensor(shape: [2, 2], scalars: [2, 0, -1, 1])], training: false)
        XCTAssertEqual(y.shape, [2, 2, 2])
        XCTAssertEqual(y.scalars, [2, 0, 2, 1, 5, 3, 5, 4])
        let flat = try op("take", [], arity: 2).apply([x, Tensor(shape: [2], scalars: [4, 1])], training: false)
        XCTAssertEqual(flat.scalars, [4, 1])
        let along = try op("take_along_axis", [("axis", .int(1))], arity: 2)
        let z = try along.apply([x, Tensor(shape: [1, 2], scalars: [2, 0])], training: false)
        XCTAssertEqual(z.shape, [2, 2])
        XCTAssertEqual(z.scalars, [2, 0, 5, 3])
        let w = GradientCheck.random([4, 3], seed: 5)
        let rows = try Tensor(shape: [5], scalars: [0, 3, 3, 1, -1])
        let takeRows = try op("take", [("axis", .int(0))], arity: 2)
        try GradientCheck.check([w], "take (repeated rows add up)") { try takeRows.apply([$0[0], rows], training: false) }
        let picks = try Tensor(shape: [4, 2], scalars: [0, 2, 1, 1, 2, 0, 0, 0])
        try GradientCheck.check([w], "take_along_axis") { try along.apply([$0[0], picks], training: false) }
        XCTAssertThrowsError(try take.apply([x, Tensor(shape: [1], scalars: [3])], training: false)) {
            XCTAssertTrue("\($0)".contains("index 3 is out of bounds"), "\($0)")
        }
        XCTAssertThrowsError(try take.apply([x, Tensor(shape: [1], scalars: [0.5])], training: false)) {
            XCTAssertTrue("\($0)".contains("must be integers"), "\($0)")
        }
    }

    func testTileRepeatAndMatmulStacks() throws {
        let x = try range([2, 2])
        let t = try op("tile", [("repeats", ints([1, 2]))]).apply([x], training: false)
        XCTAssertEqual(t.scalars, [0, 1, 0, 1, 2, 3, 2, 3])
        let t3 = try op("tile", [("repeats", ints([2, 1, 1]))]).apply([x], training: false)
        XCTAssertEqual(t3.shape, [2, 2, 2])
        XCTAssertEqual(t3.scalars, [0, 1, 2, 3, 0, 1, 2, 3])
        let r = try op("repeat", [("repeats", .int(2)), ("axis", .int(0))]).apply([x], training: false)
        XCTAssertEqual(r.scalars, [0, 1, 0, 1, 2, 3, 2, 3])
        let g = GradientCheck.random([2, 3], seed: 7)
        let tile = try op("tile", [("repeats", ints([2, 2]))])
        try GradientCheck.check([g], "tile") { try tile.apply($0, training: false) }
        let matmul = try op("matmul", [], arity: 2)
        let a = GradientCheck.random([2, 3, 4], seed: 8), b = GradientCheck.random([2, 4, 2], seed: 9)
        try GradientCheck.check([a, b], "matmul of stacks") { try matmul.apply($0, training: false) }
        let v = try matmul.apply([try range([3]), try range([3, 2])], training: false)
        XCTAssertEqual(v.scalars, [10, 13])
    }

    func testEinsumMatchesItsLoops() throws {
        let a = GradientCheck.random([2, 3, 4], seed: 11), b = GradientCheck.random([2, 4, 5], seed: 12)
        let bmm = try op("einsum", [("equation", .string("bij,bjk->bik"))], arity: 2)
        let y = try bmm.apply([a, b], training: false)
        let expected = try Ops.batchMatmul(a, b)
        XCTAssertEqual(y.shape, [2, 3, 5])
        assertClose(y.scalars, expected.scalars, "einsum bij,bjk->bik")
        try GradientCheck.check([a, b], "einsum bij,bjk->bik") { try bmm.apply($0, training: false) }
        // Outer letters, a letter summed away in one operand, and an output order to permute.
        let c = GradientCheck.random([3, 2], seed: 13), d = GradientCheck.random([2, 4], seed: 14)
        let odd = try op("einsum", [("equation", .string("ij,jk->kj"))], arity: 2)
        let z = try odd.apply([c, d], training: false)
        XCTAssertEqual(z.shape, [4, 2])
        for k in 0..<4 {
            for j in 0..<2 {
                let sum = (0..<3).reduce(Float(0)) { $0 + c.scalars[$1 * 2 + j] }
                XCTAssertEqual(z.scalars[k * 2 + j], sum * d.scalars[j * 4 + k], accuracy: 1e-5)
            }
        }
        try GradientCheck.check([c, d], "einsum ij,jk->kj") { try odd.apply($0, training: false) }
        let trace = try op("einsum", [("equation", .string("ij->j"))]).apply([c], training: false)
        XCTAssertEqual(trace.shape, [2])
        for (equation, message) in [("ii->i", "distinct letters"), ("ij,jk", "explicit"), ("ij->k", "no operand")] {
            XCTAssertThrowsError(try op("einsum", [("equation", .string(equation))])) {
                XCTAssertTrue("\($0)".contains(message), "\(equation): \($0)")
            }
        }
        XCTAssertThrowsError(try bmm.apply([a, a], training: false)) {
            XCTAssertTrue("\($0)".contains("letter 'j' has size 4 in the first operand and 3"), "\($0)")
        }
    }
}
