import XCTest
@testable import Keras

/// Files written by real Keras 3 (and Keras 2 style files) load here and predict what Keras
/// predicted, to 1e-5.
final class KerasFixtureTests: XCTestCase {
    let custom: [String: KerasObject] = ["Scale": .layer(Scale.fromConfig)]

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (inputs, outputs) = try SavingFixtures.expected(name)
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("\(name).\(ext)"), customObjects: custom)
            assertClose(try model.predict(inputs), outputs, "\(name).\(ext)", file: file, line: line)
            XCTAssertNotNil(model.optimizer, "\(name).\(ext) comes back compiled", file: file, line: line)
        }
        let json = try String(contentsOfFile: try SavingFixtures.path("\(name).json"), encoding: .utf8)
        let fromJSON = try modelFromJSON(json, customObjects: custom)
        try fromJSON.loadWeights(try SavingFixtures.path("\(name).weights.h5"))
        assertClose(try fromJSON.predict(inputs), outputs, "\(name).json + .weights.h5", file: file, line: line)
    }

    func testDenseSequentialFromKeras() throws { try check("dense_sequential") }
    func testFunctionalWithSharedLayerAndTwoHeadsFromKeras() throws { try check("functional_two_heads") }
    func testCoreAndActivationLayersFromKeras() throws { try check("core_layers") }
    func testConcatenateFunctionalFromKeras() throws { try check("concat_functional") }
    func testCustomLayerFromKerasThroughScope() throws { try check("custom_layer") }

    func testToJSONMatchesKerasExactly() throws {
        for name in ["dense_sequential", "functional_two_heads", "core_layers", "concat_functional"] {
            let json = try String(contentsOfFile: try SavingFixtures.path("\(name).json"), encoding: .utf8)
            let model = try modelFromJSON(json)
            // model_from_json does not compile (as in Keras); compile_from_config does.
            try model.compileFromConfig(try XCTUnwrap(JSONParser.parse(json)["compile_config"]))
            XCTAssertEqual(model.toJSON(), json, name)
        }
    }

    func testOptimizerStateIsRestoredFromKerasFile() throws {
        let model = try loadModel(try SavingFixtures.path("dense_sequential.keras"))
        let opt = try XCTUnwrap(model.optimizer as? Adam)
        XCTAssertEqual(opt.iterations, 8)
        let h5 = try loadModel(try SavingFixtures.path("dense_sequential.h5"))
        XCTAssertEqual(h5.optimizer?.iterations, 8)
        let kernel = try XCTUnwrap(model.layers.first?.weights.first)
        let m = try XCTUnwrap(opt.slot("momentum", of: kernel))
        XCTAssertTrue(m.scalars.contains { $0 != 0 }, "momentum was restored")
        XCTAssertTrue(try XCTUnwrap(opt.slot("velocity", of: kernel)).scalars.contains { $0 != 0 }, "velocity was restored")
    }

    func testKeras2JSONAndChunkedH5Load() throws {
        let (inputs, outputs) = try SavingFixtures.expected("keras2_sequential")
        let model = try loadModel(try SavingFixtures.path("keras2_sequential.h5"))
        assertClose(try model.predict(inputs), outputs, "keras2 .h5")
        XCTAssertTrue(model.optimizer is SGD)
        let json = try String(contentsOfFile: try SavingFixtures.path("keras2_sequential.json"), encoding: .utf8)
        let fromJSON = try modelFromJSON(json)
        XCTAssertEqual(fromJSON.layers.map(\.name), ["dense_1", "dense_2"])
        try fromJSON.loadWeights(try SavingFixtures.path("keras2_sequential.h5"))
        assertClose(try fromJSON.predict(inputs), outputs, "keras2 JSON + weights")
    }
}
