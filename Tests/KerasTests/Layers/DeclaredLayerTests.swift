import XCTest
@testable import Keras

/// A built-in layer that exists only in this test target, added the way every library layer is:
/// its class, its declaration and its record line, and nothing else anywhere.
final class TestOnlyAffine: Layer, @unchecked Sendable {
    let factor: Float
    let shift: Float

    init(factor: Float, shift: Float = 0, name: String? = nil) {
        self.factor = factor
        self.shift = shift
        super.init(name: name)
    }

    override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { inputs * factor + shift }
}

extension TestOnlyAffine: DeclaredLayer {
    static let declaration = LayerDeclaration(TestOnlyAffine.self, arguments: [
        .required("factor", \.factor),
        .optional("shift", \.shift, default: 0),
    ]) { c in TestOnlyAffine(factor: try c.float("factor"), shift: try c.float("shift"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(TestOnlyAffine.self, $0) }

final class DeclaredLayerTests: XCTestCase {
    func testATestTargetLayerIsInTheCatalogue() throws {
        let entry = try XCTUnwrap(Catalogue.json["layers"]?["TestOnlyAffine"])
        XCTAssertEqual(entry.description, #"{"module": "keras.layers", "args": [{"name": "factor", "required": true}, {"name": "shift", "default": 0.0}]}"#)
        XCTAssertTrue(ObjectRegistry.layerClassNames.contains("TestOnlyAffine"))
        // Every built-in layer of the library is found through its record too.
        for name in ["Dense", "InputLayer", "Dropout", "Concatenate", "PReLU", "Lambda"] {
            XCTAssertNotNil(Catalogue.json["layers"]?[name], name)
        }
    }

    func testATestTargetLayerLoadsFromJSON() throws {
        let text = """
        {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "trainable": true, "dtype": null, "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 2], "dtype": "float32", "name": "in"}, "registered_name": null},
          {"module": "keras.layers", "class_name": "TestOnlyAffine", "config": {"name": "a", "trainable": true, "factor": 3.0}, "registered_name": null}
        ]}, "registered_name": null}
        """
        let model = try modelFromJSON(text)
        let layer = try XCTUnwrap(model.layers.last as? TestOnlyAffine)
        XCTAssertEqual(layer.shift, 0, "the declared default")
        XCTAssertEqual(try model.predict(Tensor([[1, -2]])).scalars, [3, -6])
        XCTAssertThrowsError(try modelFromJSON(text.replacingOccurrences(of: "3.0", with: "\"x\""))) { error in
            XCTAssertTrue("\(error)".contains("TestOnlyAffine config: 'factor' must be a number"), "\(error)")
        }
    }

    func testATestTargetLayerRoundTripsThroughKerasFiles() throws {
        let dir = try SavingFixtures.makeTempDir()
        let model = try Sequential([Dense(2, inputDim: 2), TestOnlyAffine(factor: 2, shift: 0.5, name: "affine")])
        try model.save("\(dir)/affine.keras")
        let loaded = try loadModel("\(dir)/affine.keras")
        let layer = try XCTUnwrap(loaded.layers.last as? TestOnlyAffine)
        XCTAssertEqual([layer.factor, layer.shift], [2, 0.5])
        XCTAssertEqual(loaded.toJSON(), model.toJSON())
        XCTAssertTrue(model.toJSON().contains(#""module": "keras.layers", "class_name": "TestOnlyAffine", "config": {"name": "affine", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "factor": 2.0, "shift": 0.5}, "registered_name": null, "build_config": {"input_shape": [null, 2]}"#), model.toJSON())
        let x = Tensor([[1, 2], [3, -4]])
        XCTAssertEqual(try loaded.predict(x).scalars, try model.predict(x).scalars)
    }

    func testBuiltAtInitLayersHaveNoBuildConfig() throws {
        let model = try Sequential([Dense(2, inputDim: 2), Dropout(0.5), ReLU()])
        _ = try model.predict(Tensor([[1, 2]]))
        let entries = try XCTUnwrap(JSONParser.parse(model.toJSON())["config"]?["layers"]?.arrayValue)
        XCTAssertEqual(entries.map { $0["build_config"] != nil }, [false, true, false, false], "InputLayer, Dense, Dropout, ReLU")
    }
}
