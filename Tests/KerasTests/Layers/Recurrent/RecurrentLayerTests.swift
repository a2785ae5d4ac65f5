import Foundation
import XCTest
@testable import Keras

/// SimpleRNN, LSTM and GRU against `scripts/make_recurrent_fixtures.py` (real Keras 3).
final class RecurrentLayerTests: XCTestCase {
    func testSimpleRNNMatchesKeras() throws {
        try assertRecurrentMatches("simple_rnn", SimpleRNN(3, name: "simple_rnn"))
        try assertRecurrentMatches("simple_rnn_seq_relu", SimpleRNN(3, activation: .relu, returnSequences: true, name: "simple_rnn_seq_relu"))
        try assertRecurrentMatches("simple_rnn_masked", SimpleRNN(3, returnSequences: true, returnState: true, name: "simple_rnn_masked"))
    }

    func testLSTMMatchesKeras() throws {
        try assertRecurrentMatches("lstm", LSTM(3, name: "lstm"))
        try assertRecurrentMatches("lstm_seq_state", LSTM(3, returnSequences: true, returnState: true, name: "lstm_seq_state"))
        try assertRecurrentMatches("lstm_backwards", LSTM(3, returnState: true, goBackwards: true, name: "lstm_backwards"))
        try assertRecurrentMatches("lstm_masked", LSTM(3, returnSequences: true, returnState: true, name: "lstm_masked"))
        try assertRecurrentMatches("lstm_no_bias", LSTM(3, activation: .relu, recurrentActivation: .hardSigmoid, useBias: false,
                                               name: "lstm_no_bias"))
    }

    func testGRUMatchesKeras() throws {
        try assertRecurrentMatches("gru", GRU(3, returnSequences: true, returnState: true, name: "gru"))
        try assertRecurrentMatches("gru_reset_before", GRU(3, resetAfter: false, returnSequences: true, name: "gru_reset_before"))
        try assertRecurrentMatches("gru_masked_backwards", GRU(3, returnSequences: true, goBackwards: true, name: "gru_masked_backwards"))
    }

    func testDefaultConfigsAndWeightsMatchKeras() throws {
        let x = Tensor(shape: [2, 3, 4], repeating: 0.5)
        for (fixture, layer) in [("simplernn", try SimpleRNN(5, name: "simple_rnn") as RNN),
                                 ("lstm", try LSTM(5, name: "lstm")), ("gru", try GRU(5, name: "gru"))] {
            _ = try layer(x)
            XCTAssertEqual(layer.getConfig(), try LayerFixture("\(fixture)_default_config", family: "recurrent").config, fixture)
            XCTAssertEqual(layer.weights.map(\.path), ["kernel", "recurrent_kernel", "bias"].map { "\(layer.name)/\(layer.cell.name)/\($0)" })
        }
        let lstm = try LSTM(2)
        _ = try lstm(x)
        XCTAssertEqual(try XCTUnwrap(lstm.builtInCell?.bias).value.scalars, [0, 0, 1, 1, 0, 0, 0, 0], "unit_forget_bias")
        let gru = try GRU(2)
        _ = try gru(x)
        XCTAssertEqual(try XCTUnwrap(gru.builtInCell?.bias).value.shape, [2, 6])
        // The orthogonal recurrent kernel: Uᵀ·U = I on its (units, 3·units) rows.
        let u = try XCTUnwrap(gru.builtInCell?.recurrentKernel).value
        let gram = try Ops.matmul(u, Ops.transpose(u))
        XCTAssertTrue(gram.isClose(to: Tensor([[1, 0], [0, 1]]), atol: 1e-5, rtol: 0), "\(gram)")
    }

    func testGradientsMatchFiniteDifferences() throws {
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 7)
        let mask = Tensor([[1, 1, 0, 1], [0, 1, 1, 0]])
        let layers: [RNN] = [
            try SimpleRNN(3, returnSequences: true), try LSTM(3, returnState: true),
            try LSTM(2, returnSequences: true, returnState: true, goBackwards: true),
            try GRU(3, returnSequences: true, returnState: true), try GRU(2, resetAfter: false, returnSequences: true, returnState: true),
            try GRU(2, resetAfter: false, returnSequences: true, goBackwards: true),
        ]
        for layer in layers {
            for m in [nil, mask] {
                _ = try layer.callMultiple([x], masks: [m])
                try GradientCheck.check([x], variables: layer.weights, "\(layer.name) mask \(m != nil)") { xs in
                    try Ops.concatenate(layer.callMultiple([xs[0]], masks: [m]).outputs.map { try Ops.reshape($0, [2, -1]) }, axis: 1)
                }
            }
        }
    }

    func testBadInputNamesLayerAndArgument() throws {
        XCTAssertThrowsError(try LSTM(0)) { XCTAssertTrue("\($0)".contains("units: 0"), "\($0)") }
        XCTAssertThrowsError(try GRU(2, activation: .softmax)) { XCTAssertTrue("\($0)".contains("activation"), "\($0)") }
        XCTAssertThrowsError(try LSTM(2, name: "l")(Tensor(shape: [2, 3]))) {
            XCTAssertTrue("\($0)".contains("'l'") && "\($0)".contains("rank 3"), "\($0)")
        }
        XCTAssertThrowsError(try Sequential([InputLayer(shape: [4]), GRU(2)]))
    }
}

extension XCTestCase {
    /// Builds `layer` by a first call, loads the fixture's weights and compares all its outputs
    /// with Keras's; returns the fixture, the input and the outputs.
    @discardableResult
    func assertFixtureOutputs(_ name: String, _ layer: Layer, file: StaticString = #filePath,
                              line: UInt = #line) throws -> (fixture: LayerFixture, x: Tensor, outputs: [Tensor]) {
        let fixture = try LayerFixture(name, family: "recurrent")
        let x = try XCTUnwrap(fixture.inputs.first)
        let mask = try fixture.json["mask"].map(LayerFixture.tensor)
        _ = try layer.callMultiple([x], masks: [mask])
        try fixture.loadWeights(into: [layer])
        let (outs, _) = try layer.callMultiple([x], masks: [mask])
        assertClose(outs, try fixture.outputs, "\(name) outputs", file: file, line: line)
        return (fixture, x, outs)
    }

    /// The fixture's layer rebuilt here, its outputs (all of them) and config compared with Keras's.
    func assertRecurrentMatches(_ name: String, _ layer: RNN, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try assertFixtureOutputs(name, layer, file: file, line: line).fixture
        fixture.assertConfigMatches(layer, file: file, line: line)
        let back = try deserializeLayer(["class_name": .string(layer.className), "config": layer.getConfig()])
        XCTAssertEqual(back.getConfig(), fixture.config, "\(name): config round trip", file: file, line: line)
    }
}
