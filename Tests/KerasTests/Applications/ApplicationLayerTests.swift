import XCTest
@testable import Keras

/// Keras's application modules' own layers (CustomScaleLayer, LayerScale, StochasticDepth):
/// Keras's math, finite-difference gradients, configs, modules and bad input. Keras's files of
/// them load in bindings/python/tests/test_application_layers_builtin.py and
/// bindings/c/tests/test_application_layers.c.
final class ApplicationLayerTests: XCTestCase {
    typealias G = GradientCheck

    func testCustomScaleLayerAddsTheScaledBranch() throws {
        let layer = CustomScaleLayer(0.17)
        let x = G.random([2, 3], seed: 1), r = G.random([2, 3], seed: 2)
        assertClose(try layer([x, r]).scalars, zip(x.scalars, r.scalars).map { $0 + $1 * Float(0.17) })
        try G.check([x, r], "CustomScaleLayer") { try layer($0) }
        XCTAssertEqual(layer.getConfig()["scale"], .double(0.17))
        XCTAssertThrowsError(try layer([x, r, x])) { XCTAssertTrue("\($0)".contains("two inputs")) }
        XCTAssertThrowsError(try layer([x, G.random([2, 4])])) { XCTAssertTrue("\($0)".contains("broadcast")) }
    }

    func testLayerScaleScalesTheLastAxisWithItsWeight() throws {
        let layer = try LayerScale(initValues: 0.5, projectionDim: 3)
        let x = G.random([2, 2, 3], seed: 3)
        assertClose(try layer(x).scalars, x.scalars.map { $0 * 0.5 })
        XCTAssertEqual(layer.weights.map(\.name), ["variable"])
        XCTAssertEqual(layer.weights.first?.value.shape, [3])
        try layer.setWeights([G.random([3], seed: 4)])
        let gamma = try XCTUnwrap(layer.gamma)
        try G.check([x], variables: [gamma], "LayerScale") { try layer($0[0]) }
        XCTAssertEqual(layer.getConfig()["init_values"], .double(0.5))
        XCTAssertEqual(layer.getConfig()["projection_dim"], .int(3))
        XCTAssertThrowsError(try LayerScale(initValues: 0.5, projectionDim: 3)(G.random([2, 4]))) {
            XCTAssertTrue("\($0)".contains("projection_dim"))
        }
        XCTAssertThrowsError(try LayerScale(initValues: 0.5, projectionDim: 0))
    }

    func testStochasticDepthDropsWholeSamplesOnlyInTraining() throws {
        let rate = 0.25
        let layer = try StochasticDepth(dropPathRate: rate)
        let x = G.random([4000, 2, 2], seed: 5)
        XCTAssertEqual(try layer(x, training: false).scalars, x.scalars)
        setRandomSeed(7)
        let y = try layer(x, training: true)
        var kept = 0
        for i in 0..<4000 {
            let xs = (0..<4).map { x.data[i * 4 + $0] }, ys = (0..<4).map { y.data[i * 4 + $0] }
            if ys.allSatisfy({ $0 == 0 }) { continue }
            assertClose(ys, xs.map { $0 / Float(1 - rate) }, "sample \(i)")
            kept += 1
        }
        let sd = (rate * (1 - rate) / 4000).squareRoot()
        XCTAssertLessThan(abs(Double(kept) / 4000 - (1 - rate)), 4 * sd)
        setRandomSeed(7)
        XCTAssertEqual(try layer(x, training: true).scalars, y.scalars, "the seed decides the draws")
        // The gradient of one draw (the seed set before each call keeps the mask).
        let small = G.random([6, 3], seed: 6)
        try G.check([small], "StochasticDepth") { xs in
            setRandomSeed(11)
            return try layer(xs[0], training: true)
        }
        XCTAssertEqual(try StochasticDepth(dropPathRate: 1)(small, training: true).scalars, Array(repeating: 0, count: 18))
        XCTAssertThrowsError(try StochasticDepth(dropPathRate: 1.5)) { XCTAssertTrue("\($0)".contains("rate")) }
        XCTAssertEqual(layer.getConfig()["drop_path_rate"], .double(0.25))
    }

    func testTheyAreBuiltInsUnderKerasModules() throws {
        for (name, module) in [("CustomScaleLayer", "keras.src.applications.inception_resnet_v2"),
                               ("LayerScale", "keras.src.applications.convnext"),
                               ("StochasticDepth", "keras.src.applications.convnext")] {
            XCTAssertEqual(LayerDeclaration.byClassName[name]?.module, module, name)
        }
        XCTAssertEqual(LayerDeclaration.byClassName["Dense"]?.module, "keras.layers")
        let x = Input(shape: [4])
        let model = try Model(inputs: x, outputs: try LayerScale(initValues: 0.1, projectionDim: 4, name: "ls")(x))
        let entry = try XCTUnwrap(try JSONParser.parse(model.toJSON())["config"]?["layers"]?.arrayValue?.last)
        XCTAssertEqual(entry["module"], .string("keras.src.applications.convnext"))
        XCTAssertEqual(entry["registered_name"], .string("LayerScale"))
        let reloaded = try modelFromJSON(model.toJSON())
        XCTAssertTrue(reloaded.layers.last is LayerScale)
    }
}
