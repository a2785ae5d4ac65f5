import Foundation
import XCTest
@testable import Keras

/// `initial_state` and `stateful` against `scripts/make_recurrent_fixtures.py state` (real Keras 3).
final class RecurrentStateTests: XCTestCase {
    private func assertInitialStateMatches(_ name: String, _ layer: RNN, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try LayerFixture(name, family: "recurrent")
        let inputs = try fixture.inputs
        let mask = try fixture.json["mask"].map(LayerFixture.tensor)
        let masks = [mask] + Array(repeating: nil, count: inputs.count - 1)
        _ = try layer.callMultiple(inputs, masks: masks)
        try fixture.loadWeights(into: [layer])
        assertClose(try layer.callMultiple(inputs, masks: masks).outputs, try fixture.outputs, "\(name) outputs", file: file, line: line)
        // The step path from the same initial states.
        layer.builtInCell?.pinnedMasks = (nil, nil)
        defer { layer.builtInCell?.pinnedMasks = nil }
        assertClose(try layer.callMultiple(inputs, masks: masks, training: true).outputs, try fixture.outputs,
                    "\(name) step path", file: file, line: line)
        fixture.assertConfigMatches(layer, file: file, line: line)
    }

    func testInitialStateMatchesKeras() throws {
        try assertInitialStateMatches("lstm_initial_state", LSTM(3, returnSequences: true, returnState: true, name: "lstm_initial_state"))
        try assertInitialStateMatches("gru_initial_state", GRU(3, returnState: true, goBackwards: true, name: "gru_initial_state"))
        try assertInitialStateMatches("simple_rnn_initial_state", SimpleRNN(3, returnSequences: true, name: "simple_rnn_initial_state"))
    }

    func testInitialStateGradientsMatchFiniteDifferences() throws {
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 9)
        let mask = Tensor([[0, 1, 0, 1], [1, 1, 1, 0]])
        let layers: [RNN] = [try SimpleRNN(3, returnSequences: true), try LSTM(2, returnSequences: true, returnState: true),
                             try GRU(3, returnState: true, goBackwards: true), try GRU(2, resetAfter: false, returnSequences: true)]
        for layer in layers {
            let states = (0..<layer.cell.stateCount).map { GradientCheck.random([2, layer.units], in: -1...1, seed: 30 + UInt64($0)) }
            _ = try layer.callMultiple([x] + states)
            for (m, stepped) in [(nil, false), (mask, false), (mask, true)] {
                layer.builtInCell?.pinnedMasks = stepped ? (nil, nil) : nil
                try GradientCheck.check([x] + states, variables: layer.weights, "\(layer.name) mask \(m != nil) steps \(stepped)") { xs in
                    let masks = [m] + Array(repeating: nil, count: states.count)
                    return try Ops.concatenate(layer.callMultiple(xs, masks: masks, training: true).outputs.map { try Ops.reshape($0, [2, -1]) }, axis: 1)
                }
            }
        }
    }

    func testStatefulCarriesStateAndResetsAsKeras() throws {
        let fixture = try LayerFixture("lstm_stateful", family: "recurrent")
        let inputs = try fixture.inputs, want = try fixture.outputs
        let layer = try LSTM(3, returnSequences: true, stateful: true, name: "lstm_stateful")
        _ = try layer(inputs[0])
        try fixture.loadWeights(into: [layer])
        layer.resetStates()
        assertClose([try layer(inputs[0]), try layer(inputs[1])], Array(want[0..<2]), "two batches in a row")
        layer.resetStates()
        assertClose([try layer(inputs[1])], [want[2]], "after reset_states")
        fixture.assertConfigMatches(layer)
        XCTAssertEqual(layer.weights.count, 3, "the states are not weights")
        XCTAssertThrowsError(try layer(Tensor(shape: [2, 5, 4]))) {
            XCTAssertTrue("\($0)".contains("'lstm_stateful'") && "\($0)".contains("batch size 3") && "\($0)".contains("got 2"), "\($0)")
        }
        let back = try deserializeLayer(["class_name": "LSTM", "config": layer.getConfig()])
        XCTAssertEqual((back as? RNN)?.stateful, true)
    }

    func testBadInitialStates() throws {
        let layer = try LSTM(3, name: "l")
        let x = Tensor(shape: [2, 4, 5])
        XCTAssertThrowsError(try layer.callMultiple([x, Tensor(shape: [2, 3])])) {
            XCTAssertTrue("\($0)".contains("'l'") && "\($0)".contains("initial_state"), "\($0)")
        }
        XCTAssertThrowsError(try layer.callMultiple([x, Tensor(shape: [2, 3]), Tensor(shape: [3, 3])])) {
            XCTAssertTrue("\($0)".contains("'l'") && "\($0)".contains("[2, 3]"), "\($0)")
        }
        XCTAssertThrowsError(try layer.callMultiple([Input(shape: [4, 5]), Input(shape: [4]), Input(shape: [3])])) {
            XCTAssertTrue("\($0)".contains("'l'") && "\($0)".contains("initial_state"), "\($0)")
        }
    }

    /// `LSTM(3)(x, initial_state=[h, c])` in a functional model: Keras's files load here with its
    /// predictions, and the config written here has Keras's inbound_nodes layout.
    func testFunctionalInitialStateLoadsAndSavesAsKeras() throws {
        let name = "recurrent_initial_state"
        let (inputs, outputs) = try SavingFixtures.expected(name)
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("\(name).\(ext)"))
            assertClose(try model.predict(inputs), outputs, "\(name).\(ext)")
        }
        let kerasJSON = try JSONParser.parse(try String(contentsOfFile: try SavingFixtures.path("\(name).json"), encoding: .utf8))
        let model = try modelFromJSON(kerasJSON.description)
        let lstm = { (j: JSON) in j["config"]?["layers"]?.arrayValue?.first { $0["class_name"]?.stringValue == "LSTM" } }
        let mine = try JSONParser.parse(model.toJSON())
        XCTAssertEqual(lstm(mine)?["inbound_nodes"], lstm(kerasJSON)?["inbound_nodes"])
        XCTAssertEqual(lstm(mine)?["build_config"], lstm(kerasJSON)?["build_config"])
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keras = try loadModel(try SavingFixtures.path("\(name).keras"))
        try keras.save("\(dir)/m.keras")
        assertClose(try loadModel("\(dir)/m.keras").predict(inputs), outputs, "saved here, loaded back")
    }
}
