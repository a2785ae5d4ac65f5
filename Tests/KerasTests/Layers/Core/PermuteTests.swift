import XCTest
@testable import Keras

final class PermuteTests: XCTestCase {
    func testPermuteMatchesKeras() throws {
        let fixture = try LayerFixture("permute")
        let layer = try Permute([2, 1], name: "permute")
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
        let rank4 = try LayerFixture("permute_rank4")
        let p = try Permute([3, 1, 2], name: "permute_rank4")
        try rank4.assertLayerMatches(p)
        rank4.assertConfigMatches(p)
    }

    /// The example of the Keras documentation (seed 004).
    func testPermuteOutputShapeAsDocumented() throws {
        let model = try Sequential([Permute([2, 1], inputShape: [10, 64])])
        XCTAssertEqual(model.outputShape, [nil, 64, 10])
    }

    func testPermuteGradients() throws {
        try GradientCheck.check(layer: try Permute([3, 1, 2]), input: GradientCheck.random([2, 2, 3, 4], seed: 88))
    }

    func testBadPermutationsThrow() {
        for dims in [[1, 1], [0, 1], [2, 3], [], [1, 3]] {
            XCTAssertThrowsError(try Permute(dims), "\(dims)") { error in
                XCTAssertTrue("\(error)".contains("\(dims)"), "\(error)")
            }
        }
        XCTAssertThrowsError(try Permute([2, 1])(Tensor(shape: [2, 3]))) { XCTAssertTrue("\($0)".contains("rank 3"), "\($0)") }
        XCTAssertThrowsError(try Permute([2, 1]).computeOutputShape([nil, 3, 4, 5]))
    }
}
