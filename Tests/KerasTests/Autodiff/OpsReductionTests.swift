import XCTest
@testable import Keras

/// Gradient checks and values for `sum`, `mean`, `max`, `min` over axes.
final class OpsReductionTests: XCTestCase {
    typealias G = GradientCheck

    static let axisCases: [[Int]?] = [nil, [0], [1], [2], [-1], [0, 2], [1, 2], [0, 1, 2]]

    func checkReduction(_ name: String, distinct: Bool = false,
                        _ op: @escaping (Tensor, [Int]?, Bool) throws -> Tensor) throws {
        let x = distinct ? G.distinct([2, 3, 4], seed: 11) : G.random([2, 3, 4], seed: 11)
        for axes in Self.axisCases {
            for keep in [false, true] {
                try G.check([x], "\(name) axes \(String(describing: axes)) keepDims \(keep)") { xs in
                    try op(xs[0], axes, keep)
                }
            }
        }
    }

    func testSumGradients() throws { try checkReduction("sum") { try Ops.sum($0, axes: $1, keepDims: $2) } }
    func testMeanGradients() throws { try checkReduction("mean") { try Ops.mean($0, axes: $1, keepDims: $2) } }
    func testMaxGradients() throws { try checkReduction("max", distinct: true) { try Ops.max($0, axes: $1, keepDims: $2) } }
    func testMinGradients() throws { try checkReduction("min", distinct: true) { try Ops.min($0, axes: $1, keepDims: $2) } }

    func testReductionValuesAndShapes() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 5, 3, -4, 2, 0])
        XCTAssertEqual(try Ops.sum(x, axes: [0]).scalars, [-3, 7, 3])
        XCTAssertEqual(try Ops.sum(x, axes: [1], keepDims: true).shape, [2, 1])
        XCTAssertEqual(try XCTUnwrap(Ops.mean(x).scalar), 7.0 / 6.0, accuracy: 1e-6)
        XCTAssertEqual(try Ops.mean(x).shape, [])
        XCTAssertEqual(try Ops.max(x, axes: [1]).scalars, [5, 2])
        XCTAssertEqual(try Ops.min(x, axes: [0]).scalars, [-4, 2, 0])
        XCTAssertEqual(try Ops.max(x, axes: [-1], keepDims: true).shape, [2, 1])
    }

    func testMaxSplitsGradientBetweenTies() throws {
        let x = Tensor([2, 7, 7])
        let tape = GradientTape()
        let (w, loss) = try tape.record { () throws -> (Tensor, Tensor) in
            let w = tape.watch(x)
            return (w, try Ops.max(w))
        }
        XCTAssertEqual(try tape.gradient(of: loss, with: [w])[0].scalars, [0, 0.5, 0.5])
    }

    func testArgmaxAlongEachAxis() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 5, 3, -4, 2, 0])
        XCTAssertEqual(try Ops.argmax(x).scalars, [1, 1])
        XCTAssertEqual(try Ops.argmax(x, axis: 0).scalars, [0, 0, 0])
        XCTAssertThrowsError(try Ops.argmax(x, axis: 2))
        XCTAssertThrowsError(try Ops.argmax(Tensor(shape: [2, 0])))
    }

    func testReductionsRejectBadAxes() {
        let x = Tensor(shape: [2, 3])
        XCTAssertThrowsError(try Ops.sum(x, axes: [2])) { XCTAssertTrue("\($0)".contains("axis 2")) }
        XCTAssertThrowsError(try Ops.mean(x, axes: [-3]))
        XCTAssertThrowsError(try Ops.max(Tensor(shape: [0])))
    }
}
