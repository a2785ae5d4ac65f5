import XCTest
@testable import Keras

final class RescalingTests: XCTestCase {
    func testRescalingMatchesKeras() throws {
        let fixture = try LayerFixture("rescaling")
        let layer = Rescaling(1.0 / 255, name: "rescaling")
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
        let shifted = try LayerFixture("rescaling_offset")
        let s = Rescaling(1.0 / 127.5, offset: -1, name: "rescaling_offset")
        try shifted.assertLayerMatches(s)
        shifted.assertConfigMatches(s)
    }

    func testRescalingGradients() throws {
        try GradientCheck.check(layer: Rescaling(0.5, offset: 2), input: GradientCheck.random([3, 2], seed: 90))
    }

    func testRescalingKeepsShape() throws {
        XCTAssertEqual(try Rescaling(2).computeOutputShape([nil, 28, 28, 1]), [nil, 28, 28, 1])
    }
}
