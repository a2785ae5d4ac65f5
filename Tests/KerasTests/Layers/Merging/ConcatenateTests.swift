import XCTest
@testable import Keras

final class ConcatenateTests: XCTestCase {
    func testConcatenateMatchesKeras() throws {
        let fixture = try LayerFixture("concatenate")
        let layer = Concatenate(axis: 1, name: "concatenate")
        let xs = try fixture.inputs
        let out = try layer(xs)
        XCTAssertTrue(out.isClose(to: try XCTUnwrap(fixture.outputs.first)))
        fixture.assertConfigMatches(layer)
    }

    func testConcatenateShapesAndGradients() throws {
        let a = Input(shape: [3]), b = Input(shape: [2])
        XCTAssertEqual(try Concatenate()([a, b]).shape, [nil, 5])
        XCTAssertEqual(try Concatenate(axis: 1).computeOutputShape(shapes: [[nil, nil, 2], [nil, 3, 2]]), [nil, nil, 2])
        let x = GradientCheck.random([2, 3], seed: 95), y = GradientCheck.random([2, 4], seed: 96)
        let layer = Concatenate()
        try GradientCheck.check([x, y], "Concatenate") { xs in try layer(xs) }
    }

    func testConcatenateRejectsMismatchedInputs() {
        XCTAssertThrowsError(try Concatenate()([Input(shape: [3, 2]), Input(shape: [4, 2])])) { error in
            XCTAssertTrue("\(error)".contains("(None, 3, 2)"), "\(error)")
        }
        XCTAssertThrowsError(try Concatenate()(Tensor(shape: [2, 3]))) { XCTAssertTrue("\($0)".contains("at least 2"), "\($0)") }
        XCTAssertThrowsError(try Concatenate(axis: 3)([Tensor(shape: [2, 3]), Tensor(shape: [2, 3])]))
        XCTAssertThrowsError(try Concatenate()([Tensor(shape: [2, 3]), Tensor(shape: [3, 3])]))
    }
}
