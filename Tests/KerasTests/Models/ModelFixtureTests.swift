import XCTest
@testable import Keras

/// Whole models built here and in real Keras with the same weights give the same outputs.
final class ModelFixtureTests: XCTestCase {
    func testSequentialThroughEveryCoreLayerMatchesKeras() throws {
        let fixture = try LayerFixture("sequential")
        let model = try Sequential([
            Dense(6, activation: .tanh, name: "d1", inputShape: [4]),
            Reshape([3, 2], name: "r"),
            Permute([2, 1], name: "p"),
            Flatten(name: "f"),
            Rescaling(0.5, offset: 0.1, name: "s"),
            Dropout(0.2, name: "drop"),
            Dense(8, name: "d2"),
            Activation("relu", name: "a"),
            Dense(3, activation: .softmax, name: "d3"),
        ], name: "seq")
        try fixture.loadWeights(into: model.layers)
        let out = try model.predict(try XCTUnwrap(fixture.inputs.first))
        let expected = try XCTUnwrap(fixture.outputs.first)
        XCTAssertTrue(out.isClose(to: expected), "Swift \(out) vs Keras \(expected)")
        // Each layer entry of the Sequential config matches Keras's (Dense entries by their key fields).
        let kerasLayers = try XCTUnwrap(fixture.config["layers"]?.arrayValue)
        let swiftLayers = try XCTUnwrap(model.getConfig()["layers"]?.arrayValue)
        XCTAssertEqual(kerasLayers.count, swiftLayers.count)
        for (k, s) in zip(kerasLayers, swiftLayers) {
            XCTAssertEqual(k["class_name"], s["class_name"])
            guard let kc = k["config"], let sc = s["config"] else { continue }
            let keys = k["class_name"] == "Dense" ? ["name", "units", "activation", "use_bias"]
                : k["class_name"] == "InputLayer" ? ["batch_shape"] : (kc.objectValue ?? []).map(\.0)
            for key in keys { XCTAssertEqual(sc[key], kc[key], "\(k["class_name"] ?? nil) \(key)") }
        }
    }

    func testFunctionalModelWithTwoInputsAndTwoOutputsMatchesKeras() throws {
        let fixture = try LayerFixture("functional_two_inputs_two_outputs")
        let aIn = Input(shape: [4], name: "a_in"), bIn = Input(shape: [3], name: "b_in")
        let a = try Dense(5, activation: .relu, name: "fa")(aIn)
        let b = try Dense(5, activation: .tanh, name: "fb")(bIn)
        let joined = try Concatenate(name: "join")([a, b])
        let out1 = try Dense(2, activation: .softmax, name: "out1")(joined)
        let out2 = try Dense(1, name: "out2")(try RepeatVector(2, name: "rep")(joined))
        let model = try Model(inputs: [aIn, bIn], outputs: [out1, out2], name: "two_by_two")
        XCTAssertEqual(model.outputShapes, [[nil, 2], [nil, 2, 1]])
        try fixture.loadWeights(into: model.layers)
        let outs = try model.predictOnBatch(try fixture.inputs)
        let expected = try fixture.outputs
        XCTAssertEqual(outs.count, 2)
        for (o, e) in zip(outs, expected) { XCTAssertTrue(o.isClose(to: e), "Swift \(o) vs Keras \(e)") }
    }
}
