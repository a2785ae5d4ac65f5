import XCTest
@testable import Keras

final class LambdaTests: XCTestCase {
    func testLambdaMatchesKeras() throws {
        let fixture = try LayerFixture("lambda")
        let layer = Lambda(functionName: "double_plus_one", name: "lambda") { x in x * 2 + 1 }
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
    }

    func testLambdaInfersOrTakesItsOutputShape() throws {
        let inferred = try Sequential([Lambda { x in try Ops.sum(x, axes: [-1], keepDims: true) }], name: "s")
        try inferred.build(inputShape: [nil, 5])
        XCTAssertEqual(inferred.outputShape, [nil, 1])
        let given = Lambda(outputShape: [7]) { x in x }
        XCTAssertEqual(try given.computeOutputShape([nil, 7]), [nil, 7])
        XCTAssertEqual(given.getConfig()["output_shape"], [7])
        let failing = Lambda { x in try Ops.reshape(x, [-1, 7]) }
        XCTAssertThrowsError(try failing.computeOutputShape([nil, 5])) { XCTAssertTrue("\($0)".contains("outputShape"), "\($0)") }
    }

    func testLambdaGradientsNeedNoBackwardCode() throws {
        let layer = Lambda { x in try Ops.sin(x) * Ops.exp(x) }
        try GradientCheck.check(layer: layer, input: GradientCheck.random([3, 4], seed: 92))
        let merge = Lambda(combining: { xs in try Ops.concatenate(xs, axis: -1) * 3 })
        let a = GradientCheck.random([2, 3], seed: 93), b = GradientCheck.random([2, 2], seed: 94)
        try GradientCheck.check([a, b], "lambda over two inputs") { xs in try merge(xs) }
    }

    func testLambdaErrorsNameTheLayer() {
        struct Oops: Error {}
        let layer = Lambda(functionName: "explode", name: "boom") { _ in throw Oops() }
        XCTAssertThrowsError(try layer(Tensor(shape: [1, 2]))) { error in
            XCTAssertTrue("\(error)".contains("boom") && "\(error)".contains("explode"), "\(error)")
        }
        XCTAssertThrowsError(try Lambda { x in x }.computeOutputShape([nil, -2]))
        let single = Lambda { x in x }
        XCTAssertThrowsError(try single([Tensor(shape: [1]), Tensor(shape: [1])]))
    }
}
