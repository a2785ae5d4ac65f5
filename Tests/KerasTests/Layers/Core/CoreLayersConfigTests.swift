import XCTest
@testable import Keras

/// Core layers rebuilt from the configs real Keras wrote give the same config back and the same
/// outputs; malformed configs throw errors naming the key.
final class CoreLayersConfigTests: XCTestCase {
    static let fixtures = [
        "activation_relu", "activation_softmax", "dropout_inference", "dropout_noise_shape", "flatten",
        "flatten_channels_first", "reshape", "reshape_known", "permute", "permute_rank4", "repeat_vector",
        "rescaling", "rescaling_offset", "activity_regularization", "lambda", "concatenate",
    ]

    override func setUp() {
        Lambda.register("double_plus_one") { x in x * 2 + 1 }
    }

    func testKerasConfigsRoundTrip() throws {
        for name in Self.fixtures {
            let fixture = try LayerFixture(name)
            let className = try XCTUnwrap(fixture.json["class_name"]?.stringValue)
            let layer = try deserializeLayer(["class_name": .string(className), "config": fixture.config])
            XCTAssertEqual(layer.className, className)
            fixture.assertConfigMatches(layer)
            let xs = try fixture.inputs
            let out = try xs.count == 1 ? layer(xs[0]) : layer(xs)
            XCTAssertTrue(out.isClose(to: try XCTUnwrap(fixture.outputs.first)), "\(name): \(out)")
        }
    }

    func testKerasSequentialConfigLoadsAndPredictsLikeKeras() throws {
        let fixture = try LayerFixture("sequential")
        let model = try modelFromConfig(["class_name": "Sequential", "config": fixture.config])
        XCTAssertEqual(model.layers.map(\.className),
                       ["Dense", "Reshape", "Permute", "Flatten", "Rescaling", "Dropout", "Dense", "Activation", "Dense"])
        try fixture.loadWeights(into: model.layers)
        let out = try model.predict(try XCTUnwrap(fixture.inputs.first))
        XCTAssertTrue(out.isClose(to: try XCTUnwrap(fixture.outputs.first)), "\(out)")
    }

    func testSwiftModelWithEveryCoreLayerSurvivesToJSONAndKerasFile() throws {
        let model = try Sequential([
            Dense(6, activation: .tanh, inputShape: [4]), Reshape([3, 2]), Permute([2, 1]), Flatten(),
            Rescaling(0.5, offset: 0.1), Dropout(0.2, seed: 4), RepeatVector(2), Flatten(), Activation("relu"),
            ActivityRegularization(l2: 0.01), Lambda(functionName: "double_plus_one") { x in x * 2 + 1 }, Dense(3),
        ])
        let x = GradientCheck.random([5, 4], seed: 12)
        let expected = try model.predict(x)
        let copy = try modelFromJSON(model.toJSON())
        XCTAssertEqual(copy.layers.map(\.className), model.layers.map(\.className))
        XCTAssertEqual(copy.toJSON(), model.toJSON())
        for (a, b) in zip(copy.layers, model.layers) { try a.setWeights(b.getWeights()) }
        XCTAssertTrue(try copy.predict(x).isClose(to: expected))

        let path = NSTemporaryDirectory() + "core_layers_\(ProcessInfo.processInfo.processIdentifier).keras"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path)
        let loaded = try loadModel(path)
        XCTAssertTrue(try loaded.predict(x).isClose(to: expected))
    }

    func testMalformedConfigsThrowNamingTheKey() {
        func load(_ className: String, _ config: JSON) throws -> Layer {
            try deserializeLayer(["class_name": .string(className), "config": config])
        }
        XCTAssertThrowsError(try load("Dropout", ["rate": "half"])) { XCTAssertTrue("\($0)".contains("rate"), "\($0)") }
        XCTAssertThrowsError(try load("Dropout", ["rate": 3]))
        XCTAssertThrowsError(try load("Reshape", ["target_shape": [2, "x"]])) { XCTAssertTrue("\($0)".contains("target_shape"), "\($0)") }
        XCTAssertThrowsError(try load("Permute", ["dims": [1, 1]]))
        XCTAssertThrowsError(try load("RepeatVector", ["n": 0]))
        XCTAssertThrowsError(try load("Flatten", ["data_format": "channels_middle"]))
        // (Keras's constructor keeps a scale it cannot use; the layer refuses it when built)
        XCTAssertThrowsError(try load("Rescaling", ["scale": [1, "x"]])(Tensor(shape: [1, 2]))) {
            XCTAssertTrue("\($0)".contains("scale"), "\($0)")
        }
        XCTAssertThrowsError(try load("Activation", ["activation": "relu7"]))
        XCTAssertThrowsError(try load("ActivityRegularization", ["l1": -1]))
        XCTAssertThrowsError(try load("Lambda", ["function": ["class_name": "__lambda__", "config": ["code": "4wEA"]]])) {
            XCTAssertTrue("\($0)".contains("Python lambda"), "\($0)")
        }
        XCTAssertThrowsError(try load("Lambda", ["function": ["module": "builtins", "class_name": "function",
                                                              "config": "never_registered", "registered_name": "function"]])) {
            XCTAssertTrue("\($0)".contains("never_registered"), "\($0)")
        }
    }
}
