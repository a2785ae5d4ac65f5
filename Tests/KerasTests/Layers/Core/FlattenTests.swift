import XCTest
@testable import Keras

final class FlattenTests: XCTestCase {
    func testFlattenMatchesKeras() throws {
        let fixture = try LayerFixture("flatten")
        let layer = Flatten(name: "flatten")
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
        let channelsFirst = try LayerFixture("flatten_channels_first")
        let cf = Flatten(dataFormat: .channelsFirst, name: "flatten_channels_first")
        try channelsFirst.assertLayerMatches(cf)
        channelsFirst.assertConfigMatches(cf)
    }

    func testFlattenShapes() throws {
        let model = try Sequential([Flatten(inputShape: [28, 28]), Dense(10)])
        XCTAssertEqual(model.outputShape, [nil, 10])
        let layer = Flatten()
        XCTAssertEqual(try layer.computeOutputShape([nil, 3, nil]), [nil, nil])
        XCTAssertEqual(try layer.computeOutputShape([4]), [4, 1])
        XCTAssertEqual(try layer(Tensor(shape: [4])).shape, [4, 1])
        XCTAssertEqual(try layer(Tensor(shape: [0, 3, 2])).shape, [0, 6])
    }

    func testFlattenGradients() throws {
        try GradientCheck.check(layer: Flatten(), input: GradientCheck.random([2, 3, 2], seed: 85))
        try GradientCheck.check(layer: Flatten(dataFormat: .channelsFirst), input: GradientCheck.random([2, 3, 2, 2], seed: 86))
    }

    func testFlattenRejectsScalarsAndBadFormats() {
        XCTAssertThrowsError(try Flatten()(Tensor(3)))
        XCTAssertThrowsError(try Flatten().computeOutputShape([]))
        XCTAssertThrowsError(try Flatten().computeOutputShape([nil, Int.max, 3]))
        XCTAssertThrowsError(try DataFormat.named("channels_middle")) { XCTAssertTrue("\($0)".contains("channels_middle")) }
    }
}
