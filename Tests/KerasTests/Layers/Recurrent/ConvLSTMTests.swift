import Foundation
import XCTest
@testable import Keras

/// ConvLSTM1D/2D/3D against `scripts/make_conv_lstm_fixtures.py` (real Keras 3, JAX backend).
final class ConvLSTMTests: XCTestCase {
    static let cases = ["conv_lstm1d", "conv_lstm1d_state", "conv_lstm2d", "conv_lstm2d_same_strides_state",
                        "conv_lstm2d_dilation_backwards", "conv_lstm2d_channels_first", "conv_lstm2d_initial_state", "conv_lstm3d"]

    /// The fixture and its layer built from Keras's config, holding Keras's weights.
    private func fixtureLayer(_ name: String) throws -> (fixture: LayerFixture, layer: Layer) {
        let fixture = try LayerFixture(name, family: "recurrent")
        let layer = try deserializeLayer(["class_name": try XCTUnwrap(fixture.json["class_name"]), "config": fixture.config])
        _ = try layer.callMultiple(try fixture.inputs)
        try fixture.loadWeights(into: [layer])
        return (fixture, layer)
    }

    func testForwardStatesAndConfigsMatchKeras() throws {
        for name in Self.cases {
            let (fixture, layer) = try fixtureLayer(name)
            assertClose(try layer.callMultiple(try fixture.inputs), try fixture.outputs, "\(name) outputs")
            fixture.assertConfigMatches(layer)
        }
    }

    func testGradientsMatchJaxGrad() throws {
        for name in Self.cases {
            let (fixture, layer) = try fixtureLayer(name)
            guard fixture.json["gradients"] != nil else { continue }
            try fixture.assertGradientsMatch(layer)
        }
    }

    func testSwiftConstructorsMatchKerasConfigs() throws {
        let layers: [(String, ConvLSTM)] = [
            ("conv_lstm1d_state", try ConvLSTM1D(2, kernelSize: [2], strides: [2], padding: .same, returnState: true, name: "conv_lstm1d_state")),
            ("conv_lstm2d", try ConvLSTM2D(2, kernelSize: [2, 3], name: "conv_lstm2d")),
            ("conv_lstm2d_channels_first", try ConvLSTM2D(2, kernelSize: [3], padding: .same, dataFormat: .channelsFirst, activation: .relu,
                                                          recurrentActivation: .hardSigmoid, useBias: false, returnSequences: true,
                                                          name: "conv_lstm2d_channels_first")),
            ("conv_lstm3d", try ConvLSTM3D(2, kernelSize: [2], padding: .same, returnSequences: true, name: "conv_lstm3d")),
        ]
        for (name, layer) in layers {
            let fixture = try LayerFixture(name, family: "recurrent")
            _ = try layer.callMultiple(try fixture.inputs)
            try fixture.loadWeights(into: [layer])
            assertClose(try layer.callMultiple(try fixture.inputs), try fixture.outputs, "\(name) outputs")
            fixture.assertConfigMatches(layer)
        }
    }

    func testDefaultConfigsWeightPathsAndShapesMatchKeras() throws {
        let configs = try XCTUnwrap(LayerFixture("conv_lstm_configs", family: "recurrent").json["configs"]?.arrayValue)
        var options = RecurrentCellOptions()
        options.dropout = 0.25
        options.recurrentDropout = 0.5
        options.seed = 3
        let inputs: [[Int]] = [[2, 4, 6, 3], [2, 3, 5, 5, 2], [1, 3, 4, 4, 3, 2]]
        let types: [ConvLSTM.Type] = [ConvLSTM1D.self, ConvLSTM2D.self, ConvLSTM3D.self]
        for ((type, shape), entry) in zip(zip(types, inputs), configs) {
            let name = try XCTUnwrap(entry["config"]?["name"]?.stringValue)
            let layer = try type.init(4, kernelSize: [2], unitForgetBias: false, options: options, name: name)
            _ = try layer(Tensor(shape: shape, repeating: 0.5))
            XCTAssertEqual(layer.getConfig(), entry["config"], name)
            XCTAssertEqual(layer.weights.map(\.path), entry["weight_paths"]?.arrayValue?.compactMap(\.stringValue), name)
            XCTAssertEqual(layer.weights.map { $0.value.shape.map { JSON.int($0) } }.map { JSON.array($0) },
                           entry["weight_shapes"]?.arrayValue, name)
        }
        let forget = try ConvLSTM2D(2, kernelSize: [1])
        _ = try forget(Tensor(shape: [1, 2, 3, 3, 1], repeating: 1))
        XCTAssertEqual(try XCTUnwrap(forget.cell.bias).value.scalars, [0, 0, 1, 1, 0, 0, 0, 0], "unit_forget_bias")
    }

    func testGradientsMatchFiniteDifferences() throws {
        setRandomSeed(31)
        let x1 = GradientCheck.random([2, 3, 5, 2], in: -1...1, seed: 3)
        let x2 = GradientCheck.random([1, 2, 2, 4, 3], in: -1...1, seed: 4)
        let h = GradientCheck.random([1, 2, 4, 3], in: -1...1, seed: 5), c = GradientCheck.random([1, 2, 4, 3], in: -1...1, seed: 6)
        let cases: [(ConvLSTM, [Tensor])] = [
            (try ConvLSTM1D(2, kernelSize: [2], returnSequences: true, returnState: true), [x1]),
            (try ConvLSTM1D(2, kernelSize: [3], strides: [2], padding: .same, returnState: true, goBackwards: true), [x1]),
            (try ConvLSTM2D(2, kernelSize: [2], padding: .same, dataFormat: .channelsFirst, returnSequences: true), [x2, h, c]),
        ]
        for (layer, inputs) in cases {
            _ = try layer.callMultiple(inputs)
            let batch = inputs[0].shape[0]
            try GradientCheck.check(inputs, variables: layer.weights, step: 3e-3, layer.name) { xs in
                try Ops.concatenate(layer.callMultiple(xs).map { try Ops.reshape($0, [batch, -1]) }, axis: 1)
            }
        }
    }

    /// A step masked by a `(batch, timesteps)` mask carries h and c through and outputs the
    /// carried h (scan) or the previous output (unrolled), as Keras's LSTM; zeros with
    /// `zeroOutputForMask`; gradients through the masked steps as finite differences say.
    func testMaskedStepsKeepStatesAndGradientsMatchFiniteDifferences() throws {
        setRandomSeed(37)
        let x = GradientCheck.random([2, 4, 5, 2], in: -1...1, seed: 7)
        let mask = try Tensor(shape: [2, 4], scalars: [1, 1, 0, 0, 1, 0, 1, 1])
        func step(_ t: Tensor, _ b: Int, _ s: Int) -> [Float] { Array(t.scalars[(b * 4 + s) * 10..<(b * 4 + s + 1) * 10]) }
        for (unroll, zeros) in [(false, false), (true, false), (false, true)] {
            let layer = try ConvLSTM1D(2, kernelSize: [2], padding: .same, returnSequences: true, returnState: true,
                                       unroll: unroll, zeroOutputForMask: zeros)
            let outs = try layer.callMultiple([x], masks: [mask], training: false).outputs
            let sequence = outs[0]
            XCTAssertEqual(step(sequence, 0, 3), zeros ? [Float](repeating: 0, count: 10) : step(sequence, 0, 1))
            XCTAssertEqual(step(sequence, 1, 1), zeros ? [Float](repeating: 0, count: 10) : step(sequence, 1, 0))
            XCTAssertNotEqual(step(sequence, 1, 2), step(sequence, 1, 1))
            // the last h of sample 0 is its step 1's
            XCTAssertEqual(Array(outs[1].scalars[0..<10]), step(sequence, 0, 1))
            try GradientCheck.check([x], variables: layer.weights, step: 3e-3, layer.name) { xs in
                try Ops.concatenate(layer.callMultiple(xs, masks: [mask], training: false).outputs.map { try Ops.reshape($0, [2, -1]) }, axis: 1)
            }
        }
        let masking = try ConvLSTM1D(2, kernelSize: [2])
        XCTAssertThrowsError(try masking.callMultiple([x], masks: [Tensor(shape: [2, 4, 5], repeating: 1)], training: false)) { error in
            XCTAssertTrue("\(error)".contains("(batch, timesteps)"), "\(error)")
        }
    }

    func testStatefulCarriesStateAndResets() throws {
        setRandomSeed(32)
        let x = GradientCheck.random([2, 3, 5, 2], seed: 8), y = GradientCheck.random([2, 3, 5, 2], seed: 9)
        let layer = try ConvLSTM1D(2, kernelSize: [2], stateful: true, name: "stateful")
        let first = try layer(x)
        let carried = try XCTUnwrap(layer.states)
        let second = try layer(y)
        let plain = try ConvLSTM1D(2, kernelSize: [2])
        _ = try plain(x)
        try plain.setWeights(layer.getWeights())
        assertClose([try plain([y] + carried)], [second], "second batch starts from the carried states")
        layer.resetStates()
        assertClose([try layer(x)], [first], "reset_states")
        XCTAssertThrowsError(try layer(GradientCheck.random([3, 3, 5, 2]))) {
            XCTAssertTrue("\($0)".contains("'stateful'") && "\($0)".contains("batch size 2"), "\($0)")
        }
    }

    func testDropoutActsInTrainingOnly() throws {
        var options = RecurrentCellOptions()
        options.dropout = 0.4
        options.recurrentDropout = 0.3
        options.seed = 5
        let x = GradientCheck.random([2, 3, 5, 2], seed: 10)
        let layer = try ConvLSTM1D(2, kernelSize: [2], options: options, returnSequences: true)
        let inference = try layer(x)
        let plain = try ConvLSTM1D(2, kernelSize: [2], returnSequences: true)
        _ = try plain(x)
        try plain.setWeights(layer.getWeights())
        assertClose([inference], [try plain(x)], "no dropout in inference")
        let trained = try layer(x, training: true)
        XCTAssertEqual(trained.shape, inference.shape)
        XCTAssertTrue(trained.scalars.allSatisfy(\.isFinite))
        XCTAssertFalse(trained.isClose(to: inference, atol: 1e-4, rtol: 0), "dropout changes the training output")
    }

    private func expect(_ f: () throws -> Any, _ words: [String], line: UInt = #line) {
        XCTAssertThrowsError(try f(), line: line) { e in XCTAssertTrue(words.allSatisfy { "\(e)".contains($0) }, "\(e)", line: line) }
    }

    func testBadInputNamesLayerAndArgument() throws {
        let x = Tensor(shape: [2, 3, 4, 2], repeating: 0.1)
        expect({ try ConvLSTM1D(2, kernelSize: [5], name: "short")(x) }, ["ConvLSTM1D", "'short'", "kernel_size [5]", "4 positions"])
        expect({ try ConvLSTM2D(2, kernelSize: [2], name: "flat")(x) }, ["ConvLSTM2D", "'flat'", "rank 5"])
        expect({ try ConvLSTM1D(2, kernelSize: [2], name: "empty")(Tensor(shape: [2, 0, 4, 2])) }, ["'empty'", "time step"])
        expect({ try ConvLSTM2D(2, kernelSize: [2, 2, 2]) }, ["ConvLSTM2D", "kernel_size"])
        expect({ try ConvLSTM2D(0, kernelSize: [2]) }, ["ConvLSTM2D", "filters: 0"])
        expect({ try ConvLSTM3D(2, kernelSize: [2], strides: [2], dilationRate: [2]) }, ["ConvLSTM3D", "dilation_rate"])
        expect({ try ConvLSTM1D(2, kernelSize: [2], padding: .causal) }, ["ConvLSTM1D", "padding"])
        expect({ try Sequential([InputLayer(shape: [3, 2, 2]), ConvLSTM1D(2, kernelSize: [3], name: "seq")]) }, ["'seq'", "kernel_size [3]"])
        let layer = try ConvLSTM1D(2, kernelSize: [2], name: "states")
        expect({ try layer.callMultiple([x, Tensor(shape: [2, 3, 2]), Tensor(shape: [2, 2])]) }, ["'states'", "initial_state"])
    }
}
