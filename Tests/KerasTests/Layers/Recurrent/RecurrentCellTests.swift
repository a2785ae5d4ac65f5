import XCTest
@testable import Keras

/// SimpleRNNCell, LSTMCell, GRUCell and `RNN(cell)` against `scripts/make_recurrent_fixtures.py cells` (real Keras 3).
final class RecurrentCellTests: XCTestCase {
    private func assertMatches(_ name: String, _ layer: RNN, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try assertFixtureOutputs(name, layer, file: file, line: line).fixture
        let want = withoutBuildConfigs(fixture.config)
        XCTAssertEqual(withoutBuildConfigs(layer.getConfig()), want, "\(name): config", file: file, line: line)
        let back = try deserializeLayer(["class_name": "RNN", "config": fixture.config])
        XCTAssertEqual(withoutBuildConfigs(back.getConfig()), want, "\(name): config round trip", file: file, line: line)
        XCTAssertEqual(layer.weights.map(\.path), ["kernel", "recurrent_kernel", "bias"].map { "\(name)/\(layer.cell.name)/\($0)" })
    }

    func testRNNOverBuiltInCellsMatchesKeras() throws {
        try assertMatches("rnn_lstm_cell", RNN(cell: LSTMCell(3, name: "lstm_cell"), returnSequences: true, returnState: true, name: "rnn_lstm_cell"))
        var options = RecurrentCellOptions()
        options.dropout = 0.2; options.seed = 4
        try assertMatches("rnn_gru_cell", RNN(cell: GRUCell(3, resetAfter: false, options: options, name: "gru_cell"), goBackwards: true, name: "rnn_gru_cell"))
        try assertMatches("rnn_simple_rnn_cell", RNN(cell: SimpleRNNCell(2, activation: .relu, name: "simple_rnn_cell"), returnState: true,
                                                     name: "rnn_simple_rnn_cell"))
    }

    func testCellConfigsMatchKeras() throws {
        let configs = try XCTUnwrap(LayerFixture("cell_configs", family: "recurrent").json["configs"]?.arrayValue)
        var options = RecurrentCellOptions()
        options.recurrentDropout = 0.5
        let cells: [RecurrentCell] = [try SimpleRNNCell(2, name: "simple_rnn_cell"), try LSTMCell(3, unitForgetBias: false, name: "lstm_cell"),
                                      try GRUCell(4, options: options, name: "gru_cell")]
        XCTAssertEqual(cells.map { $0.getConfig() }, configs)
        for (cell, config) in zip(cells, configs) {
            XCTAssertEqual(try deserializeLayer(["class_name": .string(cell.className), "config": config]).getConfig(), config)
        }
        XCTAssertEqual(try LSTMCell(2).name.hasPrefix("lstm_cell"), true, "Keras's default name")
    }

    /// A cell called on its own, one step, equals the first step of the layer.
    func testCellStepEqualsFirstStepOfTheLayer() throws {
        let x = GradientCheck.random([2, 3, 4], seed: 4)
        for cell in [try LSTMCell(3) as RecurrentCell, try GRUCell(3), try GRUCell(2, resetAfter: false), try SimpleRNNCell(3)] {
            let layer = try RNN(cell: cell, returnSequences: true)
            let seq = try layer(x)
            let first = try Ops.reshape(Ops.take(Ops.transpose(x, [1, 0, 2]), [0]), [2, 4])
            let zeros = (0..<cell.stateCount).map { _ in Tensor(shape: [2, cell.units]) }
            let (out, states) = try cell.step(first, states: zeros)
            let firstOut = try Ops.reshape(Ops.take(Ops.transpose(seq, [1, 0, 2]), [0]), [2, cell.units])
            assertClose([out, states[0]], [firstOut, firstOut], "\(cell.className)")
            XCTAssertThrowsError(try cell.step(first, states: [])) { XCTAssertTrue("\($0)".contains(cell.name), "\($0)") }
        }
        XCTAssertThrowsError(try deserializeLayer(["class_name": "RNN", "config": ["cell": ["class_name": "Dense", "config": ["units": 2]]]])) {
            XCTAssertTrue("\($0)".contains("cell"), "\($0)")
        }
    }

    /// Keras's `cell(inputs, states)` on one step, eagerly and in a functional model: equal to
    /// the RNN layer over a one-step sequence from the same initial states.
    func testBuiltInCellsCallAsLayersOnOneStep() throws {
        let x = GradientCheck.random([2, 4], seed: 21)
        for cell in [try LSTMCell(3) as RecurrentCell, try GRUCell(3), try GRUCell(2, resetAfter: false), try SimpleRNNCell(3)] {
            let states = (0..<cell.stateCount).map { GradientCheck.random([2, cell.units], in: -1...1, seed: 22 + UInt64($0)) }
            let got = try cell.callMultiple([x] + states)
            XCTAssertEqual(got.map(\.shape), [[2, cell.units]] + states.map(\.shape), cell.className)
            let layer = try RNN(cell: cell, returnState: true)
            let want = try layer.callMultiple([try Ops.reshape(x, [2, 1, 4])] + states)
            assertClose(got, want, "\(cell.className) cell(x, states)")
            let inputs = [Input(shape: [4])] + states.map { _ in Input(shape: [cell.units]) }
            let model = try Model(inputs: inputs, outputs: try cell.callMultiple(inputs))
            assertClose(try model.predict([x] + states), want, "\(cell.className) functional cell(x, states)")
            XCTAssertThrowsError(try cell.callMultiple([x])) {
                XCTAssertTrue("\($0)".contains(cell.name) && "\($0)".contains("states"), "\($0)")
            }
        }
    }
}
