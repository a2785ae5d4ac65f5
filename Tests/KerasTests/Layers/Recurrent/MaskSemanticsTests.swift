import XCTest
@testable import Keras

/// What recurrent layers output on masked steps, against `scripts/make_mask_fixtures.py` (real
/// Keras 3, jax): every combination of return_sequences, go_backwards, zero_output_for_mask and
/// unroll, from non-zero initial states, for SimpleRNN, LSTM, GRU, a custom cell and a stack;
/// the built-in cells on both the fused op and the step path.
final class MaskSemanticsTests: XCTestCase {
    override func setUp() { MinimalRNNCell.register() }
    override func tearDown() { ObjectRegistry.unregister(MinimalRNNCell.registeredName, kind: .layer) }

    func testMaskedStepsMatchKerasInEveryMode() throws {
        let cases = try XCTUnwrap(loadFixture("recurrent/mask_semantics.json")["cases"]?.arrayValue)
        XCTAssertEqual(cases.count, 80)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let layer = try XCTUnwrap(try deserializeLayer(["class_name": c["class_name"] ?? .null, "config": c["config"] ?? .null]) as? RNN, name)
            let inputs = try (c["inputs"]?.arrayValue ?? []).map(fixtureTensor)
            let masks = [try fixtureTensor(c["mask"])] + [Tensor?](repeating: nil, count: inputs.count - 1)
            let want = try (c["outputs"]?.arrayValue ?? []).map(fixtureTensor)
            _ = try layer.callMultiple(inputs, masks: masks)
            try layer.setWeights(try (c["weights"]?.arrayValue ?? []).map(fixtureTensor))
            assertClose(try layer.callMultiple(inputs, masks: masks).outputs, want, "\(name)")
            if let cell = layer.builtInCell {
                // The step path (what recurrent dropout runs) from the same weights.
                cell.pinnedMasks = (nil, nil)
                defer { cell.pinnedMasks = nil }
                assertClose(try layer.callMultiple(inputs, masks: masks, training: true).outputs, want, "\(name), step path")
            }
            XCTAssertEqual(layer.getConfig()["unroll"], c["config"]?["unroll"], name)
            XCTAssertEqual(layer.getConfig()["zero_output_for_mask"], c["config"]?["zero_output_for_mask"], name)
        }
    }

    func testMaskedOutputsKeepTheirGradients() throws {
        setRandomSeed(71)
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 72)
        let mask = try Tensor(shape: [2, 4], scalars: [0, 1, 1, 0, 1, 0, 1, 1])
        for (sequences, unroll) in [(true, true), (false, true), (false, false)] {
            let layer = try LSTM(3, returnSequences: sequences, goBackwards: true, unroll: unroll, zeroOutputForMask: true)
            _ = try layer(x)
            try GradientCheck.check([x], variables: layer.weights, step: 3e-3, "LSTM sequences \(sequences) unroll \(unroll)") { xs in
                try layer.callMultiple(xs, masks: [mask]).outputs[0]
            }
        }
    }
}
