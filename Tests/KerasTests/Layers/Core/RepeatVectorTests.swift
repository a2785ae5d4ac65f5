import XCTest
@testable import Keras

final class RepeatVectorTests: XCTestCase {
    func testRepeatVectorMatchesKeras() throws {
        let fixture = try LayerFixture("repeat_vector")
        let layer = try RepeatVector(3, name: "repeat_vector")
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
    }

    func testRepeatVectorShape() throws {
        let model = try Sequential([Dense(32, inputDim: 32), RepeatVector(3)])
        XCTAssertEqual(model.outputShape, [nil, 3, 32])
    }

    func testRepeatVectorGradients() throws {
        try GradientCheck.check(layer: try RepeatVector(4), input: GradientCheck.random([2, 3], seed: 89))
    }

    func testRepeatVectorRejectsBadInput() {
        XCTAssertThrowsError(try RepeatVector(0)) { XCTAssertTrue("\($0)".contains("n: 0"), "\($0)") }
        XCTAssertThrowsError(try RepeatVector(2)(Tensor(shape: [2, 3, 4]))) { XCTAssertTrue("\($0)".contains("rank 2"), "\($0)") }
        XCTAssertThrowsError(try Sequential([RepeatVector(2, inputShape: [3, 4])]))
        XCTAssertThrowsError(try RepeatVector(Int.max)(Tensor(shape: [2, 3])))
    }
}
