import XCTest
@testable import Keras

final class ReshapeTests: XCTestCase {
    func testReshapeMatchesKeras() throws {
        let fixture = try LayerFixture("reshape")
        let layer = try Reshape([2, -1], name: "reshape")
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
        let known = try LayerFixture("reshape_known")
        let k = try Reshape([4, 3], name: "reshape_known")
        try known.assertLayerMatches(k)
        known.assertConfigMatches(k)
    }

    func testReshapeShapes() throws {
        let model = try Sequential([Reshape([3, 4], inputShape: [12]), Reshape([-1, 2])])
        XCTAssertEqual(model.outputShape, [nil, 6, 2])
        XCTAssertEqual(try Reshape([-1, 2]).computeOutputShape([nil, nil, 4]), [nil, nil, 2])
        XCTAssertEqual(try Reshape([2, 3]).computeOutputShape([5, 6]), [5, 2, 3])
    }

    func testReshapeGradients() throws {
        try GradientCheck.check(layer: try Reshape([3, -1]), input: GradientCheck.random([2, 6], seed: 87))
    }

    func testReshapeToAnImpossibleShapeThrows() throws {
        XCTAssertThrowsError(try Reshape([5])(Tensor(shape: [2, 6]))) { error in
            XCTAssertTrue("\(error)".contains("(6,)") && "\(error)".contains("(5,)"), "\(error)")
        }
        XCTAssertThrowsError(try Reshape([4, -1])(Tensor(shape: [2, 6])))
        XCTAssertThrowsError(try Sequential([Reshape([7], inputShape: [3, 2])])) { error in
            XCTAssertTrue("\(error)".contains("target_shape"), "\(error)")
        }
        XCTAssertThrowsError(try Reshape([-1, -1])) { XCTAssertTrue("\($0)".contains("[-1, -1]"), "\($0)") }
        XCTAssertThrowsError(try Reshape([0, 3]))
        XCTAssertThrowsError(try Reshape([3])(Tensor(2)))
        XCTAssertThrowsError(try Reshape([Int.max, 4])(Tensor(shape: [1, 4]))) { XCTAssertTrue("\($0)".contains("Reshape"), "\($0)") }
    }
}
