import Foundation
import XCTest
@testable import Keras

/// `RNN([cell1, cell2])` and StackedRNNCells against scripts/make_stacked_rnn_fixtures.py (real Keras 3).
final class StackedRNNCellsTests: XCTestCase {
    override func setUp() { MinimalRNNCell.register() }
    override func tearDown() { ObjectRegistry.unregister(MinimalRNNCell.registeredName, kind: .layer) }

    private func assertMatches(_ name: String, _ layer: RNN, file: StaticString = #filePath, line: UInt = #line) throws {
        let (fixture, x, outs) = try assertFixtureOutputs(name, layer, file: file, line: line)
        let comparable = { withoutCustomModules(withoutBuildConfigs($0)) }
        let want = comparable(fixture.config)
        XCTAssertEqual(comparable(layer.getConfig()), want, "\(name): config", file: file, line: line)
        let back = try deserializeLayer(["class_name": "RNN", "config": fixture.config])
        XCTAssertEqual(comparable(back.getConfig()), want, "\(name): config round trip", file: file, line: line)
        let paths = try XCTUnwrap(fixture.json["paths"]?.arrayValue).compactMap(\.stringValue)
        XCTAssertEqual(layer.weights.map(\.path), paths, "\(name): weight paths", file: file, line: line)
        XCTAssertEqual(try layer.computeOutputShapes([x.shape.map { Optional($0) }]), outs.map { $0.shape.map { Optional($0) } },
                       file: file, line: line)
    }

    func testStackedCellsMatchKeras() throws {
        try assertMatches("stacked_lstm_simple", RNN(cell: StackedRNNCells([LSTMCell(3, name: "lstm_cell"), SimpleRNNCell(2, name: "simple_rnn_cell")],
                                                                     name: "stacked_rnn_cells"), returnSequences: true, returnState: true, name: "stacked_lstm_simple"))
        let stack = try StackedRNNCells([GRUCell(3, resetAfter: false, name: "gru_cell"), LSTMCell(2, name: "lstm_cell")], name: "stack")
        try assertMatches("stacked_gru_lstm", RNN(cell: stack, returnState: true, goBackwards: true, name: "stacked_gru_lstm"))
        XCTAssertEqual(stack.stateSize, [3, 2, 2])
        XCTAssertEqual(stack.outputSize, 2)
    }

    func testStackWithCustomCellAndZeroOutputForMaskMatchesKeras() throws {
        let name = "stacked_custom_zero_output"
        let stackName = try LayerFixture(name, family: "recurrent").json["config"]?["cell"]?["config"]?["name"]
        let stack = try StackedRNNCells([MinimalRNNCell(3, name: "minimal_rnn_cell"), SimpleRNNCell(2, name: "simple_rnn_cell")],
                                        name: stackName?.stringValue)
        try assertMatches(name, RNN(cell: stack, returnSequences: true, returnState: true, goBackwards: true,
                                    zeroOutputForMask: true, name: name))
    }

    func testStatefulStackCarriesItsStates() throws {
        let x1 = GradientCheck.random([2, 4, 3], seed: 52), x2 = GradientCheck.random([2, 4, 3], seed: 53)
        let stateful = try RNN(cells: [LSTMCell(2), SimpleRNNCell(3)], returnState: true, stateful: true, name: "carry")
        let plain = try RNN(cells: [LSTMCell(2), SimpleRNNCell(3)], returnState: true)
        let first = try stateful.callMultiple([x1])
        _ = try plain.callMultiple([x1])
        try plain.setWeights(stateful.getWeights())
        assertClose(try stateful.callMultiple([x2]), try plain.callMultiple([x2] + Array(first.dropFirst())), "carried states")
        stateful.resetStates()
        assertClose(try stateful.callMultiple([x2]), try plain.callMultiple([x2]), "after reset_states")
        XCTAssertThrowsError(try stateful.callMultiple([GradientCheck.random([3, 4, 3], seed: 54)])) {
            XCTAssertTrue("\($0)".contains("carry") && "\($0)".contains("stateful"), "\($0)")
        }
    }

    func testBidirectionalOverStackedCellsMatchesKeras() throws {
        // Keras's copies keep the name the stack got in the script's session.
        let stackName = try LayerFixture("bidirectional_stacked", family: "recurrent").json["config"]?["layer"]?["config"]?["cell"]?["config"]?["name"]
        let stack = try StackedRNNCells([LSTMCell(2, name: "lstm_cell"), GRUCell(2, name: "gru_cell")], name: stackName?.stringValue)
        let layer = try Bidirectional(RNN(cell: stack, returnSequences: true, name: "rnn"), name: "bidirectional_stacked")
        let (fixture, x, _) = try assertFixtureOutputs("bidirectional_stacked", layer)
        XCTAssertEqual(withoutBuildConfigs(layer.getConfig()), withoutBuildConfigs(fixture.config))
        let paths = try XCTUnwrap(fixture.json["paths"]?.arrayValue).compactMap(\.stringValue)
        XCTAssertEqual(layer.weights.map(\.path), paths)
        try GradientCheck.check(layer: layer, input: x, step: 3e-3)
    }

    /// One LSTM cell in a stack runs step by step and gives the fused LSTM's numbers.
    func testStackOfOneBuiltInCellEqualsTheFusedLayer() throws {
        let x = GradientCheck.random([2, 5, 4], seed: 43)
        let fused = try LSTM(3, returnSequences: true, returnState: true)
        let stacked = try RNN(cells: [LSTMCell(3)], returnSequences: true, returnState: true)
        _ = try fused.callMultiple([x])
        _ = try stacked.callMultiple([x])
        try stacked.setWeights(fused.getWeights())
        assertClose(try stacked.callMultiple([x]), try fused.callMultiple([x]), "stack of one LSTMCell")
    }

    func testStackedGradientsMatchFiniteDifferences() throws {
        setRandomSeed(44)
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 45)
        let layer = try RNN(cells: [GRUCell(3), LSTMCell(2), MinimalRNNCell(2)], returnSequences: true)
        try GradientCheck.check(layer: layer, input: x, step: 3e-3)
        let h = [GradientCheck.random([2, 3], in: -1...1, seed: 46)] + (0..<3).map { GradientCheck.random([2, 2], in: -1...1, seed: 47 + UInt64($0)) }
        try GradientCheck.check([x] + h, variables: layer.weights, step: 3e-3, "initial_state") { xs in try layer.callMultiple(xs)[0] }
    }

    func testKerasWrittenStackedAndCustomCellModelsLoadHere() throws {
        try RecurrentSaving.assertKerasWrittenModelsLoad(["recurrent_stacked", "recurrent_custom_cell"])
    }

    func testSwiftStackedModelsRoundTrip() throws {
        let model = try StackedInteropExportTests.makeModel()
        let x = GradientCheck.random([3, 5, 4], seed: 49)
        try model.fit(x, Tensor([[1], [0], [-1]]), epochs: 2, verbose: 0)
        try RecurrentSaving.assertRoundTrips(model, x)
    }

    func testStackErrorsNameTheLayerAndArgument() throws {
        XCTAssertThrowsError(try RNN(cells: [])) { XCTAssertTrue("\($0)".contains("StackedRNNCells(cells"), "\($0)") }
        let stack = try StackedRNNCells([LSTMCell(3), GRUCell(2)], name: "stack")
        XCTAssertThrowsError(try stack.call(Tensor(shape: [2, 4]), states: [Tensor(shape: [2, 3])], training: false)) {
            XCTAssertTrue("\($0)".contains("stack") && "\($0)".contains("states"), "\($0)")
        }
        XCTAssertThrowsError(try deserializeLayer(["class_name": "StackedRNNCells", "config": ["cells": [["class_name": "Dense", "config": ["units": 2]]]]])) {
            XCTAssertTrue("\($0)".contains("'cells'") && "\($0)".contains("Dense"), "\($0)")
        }
        let layer = try RNN(cells: [LSTMCell(3), GRUCell(2)], name: "rnn_stack")
        XCTAssertThrowsError(try layer.callMultiple([Tensor(shape: [2, 5, 4])] + [3, 3, 3].map { Tensor(shape: [2, $0]) })) {
            XCTAssertTrue("\($0)".contains("rnn_stack") && "\($0)".contains("initial_state"), "\($0)")
        }
    }
}

/// Writes a Swift-trained model with stacked cells into `$SWIFTKERAS_INTEROP_OUT` for
/// Tests/interop/test_recurrent_in_keras.py (run by `make test-python`).
final class StackedInteropExportTests: XCTestCase {
    static func makeModel() throws -> Sequential {
        setRandomSeed(48)
        let model = try Sequential([InputLayer(shape: [5, 4]), RNN(cells: [LSTMCell(3), GRUCell(2, resetAfter: false)], returnSequences: true, name: "rnn"),
                                    RNN(cells: [GRUCell(2), SimpleRNNCell(2)], name: "rnn_1"), Dense(1, name: "head")], name: "swift_stacked")
        try model.compile(optimizer: "adam", loss: "mean_squared_error")
        return model
    }

    func testWriteStackedModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try Self.makeModel()
        let x = GradientCheck.random([3, 5, 4], seed: 49)
        try model.fit(x, Tensor([[1], [0], [-1]]), epochs: 2, verbose: 0)
        for ext in ["keras", "h5"] { try model.save("\(out)/swift_stacked.\(ext)") }
        try RecurrentInteropExportTests.writeExpected(model, [x], to: "\(out)/swift_stacked.expected.json")
    }
}
