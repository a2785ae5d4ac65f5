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

    /// Keras's `Rescaling([0.5, 1, 2], offset=[1, 0, -1])`: each channel of the last axis
    /// scaled and shifted by its own value (numpy broadcasting), and written back as lists.
    func testPerChannelRescaling() throws {
        let layer = try deserializeLayer(["class_name": "Rescaling",
                                          "config": ["name": "per_channel", "scale": [0.5, 1, 2], "offset": [1, 0, -1]]])
        let x = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let y = try layer.callWithMasks([x], masks: nil, training: false).outputs[0]
        XCTAssertEqual(y.scalars, [1.5, 2, 5, 3, 5, 11])
        XCTAssertEqual(layer.getConfig()["scale"], [0.5, 1.0, 2.0])
        XCTAssertEqual(layer.getConfig()["offset"], [1.0, 0.0, -1.0])
        try GradientCheck.check(layer: try Rescaling(scales: [0.5, -1, 2], offsets: [0.25]),
                                input: GradientCheck.random([4, 3], seed: 91))
        XCTAssertThrowsError(try Rescaling(scales: [1, 2]).callWithMasks([x], masks: nil, training: false)) {
            XCTAssertTrue("\($0)".contains("do not broadcast"), "\($0)")
        }
    }

    func testRescalingKeepsShape() throws {
        XCTAssertEqual(try Rescaling(2).computeOutputShape([nil, 28, 28, 1]), [nil, 28, 28, 1])
    }
}
