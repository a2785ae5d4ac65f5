import XCTest
@testable import Keras

/// `dropout` and `recurrent_dropout` of the recurrent layers: Keras's inference outputs and
/// configs, the step-by-step path equal to the fused op, the masks' statistics (one per
/// sequence, per gate as Keras draws them) and gradients with a fixed mask.
final class RecurrentDropoutTests: XCTestCase {
    func testInferenceIgnoresDropoutAndConfigsMatchKeras() throws {
        var options = RecurrentCellOptions()
        options.dropout = 0.5; options.recurrentDropout = 0.25
        try assertRecurrentMatches("simple_rnn_dropout", SimpleRNN(3, options: options, returnSequences: true, name: "simple_rnn_dropout"))
        options.dropout = 0.3; options.recurrentDropout = 0.2; options.seed = 5
        try assertRecurrentMatches("lstm_dropout", LSTM(3, options: options, returnSequences: true, name: "lstm_dropout"))
        options.dropout = 0.4; options.recurrentDropout = 0.1; options.seed = 2
        try assertRecurrentMatches("gru_dropout", GRU(3, resetAfter: false, options: options, name: "gru_dropout"))
    }

    /// The step-by-step path (taken in training with recurrent dropout) computes what the fused op does.
    func testStepPathEqualsFusedOp() throws {
        let x = GradientCheck.random([3, 5, 4], in: -1.5...1.5, seed: 11)
        let mask = Tensor([[1, 1, 1, 1, 1], [1, 1, 0, 1, 0], [0, 0, 1, 1, 1]])
        let layers: [RNN] = [try SimpleRNN(3, returnSequences: true, returnState: true),
                             try LSTM(3, returnSequences: true, returnState: true, goBackwards: true),
                             try GRU(3, returnSequences: true, returnState: true),
                             try GRU(2, resetAfter: false, returnSequences: true, returnState: true, goBackwards: true)]
        for layer in layers {
            for m in [nil, mask] {
                let fused = try layer.callMultiple([x], masks: [m], training: false).outputs
                layer.builtInCell?.pinnedMasks = (nil, nil)
                let stepped = try layer.callMultiple([x], masks: [m], training: true).outputs
                layer.builtInCell?.pinnedMasks = nil
                assertClose(stepped, fused, "\(layer.name) mask \(m != nil)")
            }
        }
    }

    /// A linear SimpleRNN with an identity kernel outputs `x ⊙ mask`: the mask is the same at every step.
    func testInputDropoutOneMaskPerSequence() throws {
        var options = RecurrentCellOptions()
        options.dropout = 0.5; options.seed = 1
        let (b, t, f) = (64, 6, 4)
        let layer = try SimpleRNN(f, activation: .linear, useBias: false, options: options, returnSequences: true)
        let x = GradientCheck.random([b, t, f], in: 0.5...1.5, seed: 3)
        _ = try layer(x)
        try layer.setWeights([identity(f), Tensor(shape: [f, f])])
        XCTAssertEqual(try layer(x, training: false).scalars, x.scalars, "inference is unchanged")
        let out = try layer(x, training: true)
        var zeros = 0
        for i in 0..<b {
            for j in 0..<f {
                let ratios = (0..<t).map { s in out.data[(i * t + s) * f + j] / x.data[(i * t + s) * f + j] }
                XCTAssertTrue(ratios.allSatisfy { abs($0 - ratios[0]) < 1e-5 } && [0, 2].contains(where: { abs(ratios[0] - $0) < 1e-5 }), "\(ratios)")
                zeros += ratios[0] == 0 ? 1 : 0
            }
        }
        XCTAssertEqual(Double(zeros) / Double(b * f), 0.5, accuracy: 0.1, "fraction dropped")
    }

    /// With identity kernels and a first step of ones, `h_t = h_{t-1} ⊙ r`: 2^t or 0 from step 1 on.
    func testRecurrentDropoutOneMaskPerSequence() throws {
        var options = RecurrentCellOptions()
        options.recurrentDropout = 0.5; options.seed = 3
        let (b, t, f) = (64, 5, 4)
        let layer = try SimpleRNN(f, activation: .linear, useBias: false, options: options, returnSequences: true)
        let x = Tensor(shape: [b, t, f])
        for i in 0..<b { (x.data + i * t * f).update(repeating: 1, count: f) }
        _ = try layer(x)
        try layer.setWeights([identity(f), identity(f)])
        XCTAssertEqual(try layer(x, training: false).scalars, Array(repeating: 1, count: b * t * f), "inference is unchanged")
        let out = try layer(x, training: true)
        var kept = 0
        for i in 0..<b {
            for j in 0..<f {
                let seq = (0..<t).map { s in out.data[(i * t + s) * f + j] }
                let keep = seq[1] != 0
                kept += keep ? 1 : 0
                XCTAssertEqual(seq, (0..<t).map { s in s == 0 ? 1 : keep ? Float(1 << s) : 0 }, "unit \(j) of sequence \(i)")
            }
        }
        XCTAssertEqual(Double(kept) / Double(b * f), 0.5, accuracy: 0.1, "fraction kept")
    }

    /// Keras draws one input mask shared by the gates, or, with recurrent dropout, one per gate of each.
    func testMasksPerGateAsKeras() throws {
        var options = RecurrentCellOptions()
        options.dropout = 0.5
        let shared = try LSTM(3, options: options)
        _ = try shared(Tensor(shape: [2, 3, 4]))
        let one = try XCTUnwrap(shared.builtInCell).stepMasks(batch: 2, features: 4, training: true)
        XCTAssertEqual(one.inputs?.count, 4)
        XCTAssertTrue(one.inputs.map { m in m.allSatisfy { $0.scalars == m[0].scalars } } ?? false, "one input mask for all gates")
        XCTAssertNil(one.recurrent)
        XCTAssertNil(shared.builtInCell?.stepMasks(batch: 2, features: 4, training: false).inputs, "no masks at inference")
        options.recurrentDropout = 0.5
        let gru = try GRU(3, options: options)
        _ = try gru(Tensor(shape: [2, 3, 4]))
        let perGate = try XCTUnwrap(gru.builtInCell).stepMasks(batch: 40, features: 4, training: true)
        let inputs = try XCTUnwrap(perGate.inputs), recurrent = try XCTUnwrap(perGate.recurrent)
        XCTAssertEqual(inputs.map(\.shape), Array(repeating: [40, 4], count: 3))
        XCTAssertEqual(recurrent.map(\.shape), Array(repeating: [40, 3], count: 3))
        XCTAssertNotEqual(recurrent[0].scalars, recurrent[1].scalars, "a mask per gate")
        XCTAssertTrue((inputs + recurrent).allSatisfy { $0.scalars.allSatisfy { $0 == 0 || $0 == 2 } })
        // Seeded layers draw the same masks; training differs from inference.
        options.seed = 7
        let a = try LSTM(3, options: options), b = try LSTM(3, options: options)
        let x = GradientCheck.random([4, 5, 4], seed: 2)
        _ = try a(x); _ = try b(x)
        try b.setWeights(a.getWeights())
        XCTAssertEqual(try a(x, training: true).scalars, try b(x, training: true).scalars)
        XCTAssertNotEqual(try a(x, training: true).scalars, try a(x, training: false).scalars)
    }

    /// Gradients through the step path with fixed masks (and a sequence mask) equal finite differences.
    func testGradientsWithFixedMasks() throws {
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 5)
        let seqMask = Tensor([[1, 1, 0, 1], [0, 1, 1, 1]])
        let layers: [RNN] = [try SimpleRNN(3, returnSequences: true), try LSTM(3, returnSequences: true, returnState: true),
                             try GRU(3, returnState: true), try GRU(2, resetAfter: false, returnSequences: true, goBackwards: true)]
        for layer in layers {
            _ = try layer.callMultiple([x])
            let g = try XCTUnwrap(layer.builtInCell).kind.gates
            let drop = { (shape: [Int], seed: UInt64) in
                (0..<g).map { k in
                    let m = GradientCheck.random(shape, in: 0...1, seed: seed + UInt64(k))
                    for i in 0..<m.count { m.data[i] = m.data[i] < 0.5 ? 0 : 2 }
                    return m
                }
            }
            layer.builtInCell?.pinnedMasks = (drop([2, 3], 20), drop([2, layer.units], 40))
            for m in [nil, seqMask] {
                // Masks of 2 double the pre-activations, so the curvature is large: a step of 1e-2
                // left a truncation error above tolerance for some initial weights (the tape agreed
                // with steps of 3e-3 and 1e-3), hence the smaller step.
                try GradientCheck.check([x], variables: layer.weights, step: 3e-3, "\(layer.name) mask \(m != nil)") { xs in
                    try Ops.concatenate(layer.callMultiple([xs[0]], masks: [m], training: true).outputs.map { try Ops.reshape($0, [2, -1]) }, axis: 1)
                }
            }
        }
    }

    private func identity(_ n: Int) -> Tensor {
        let t = Tensor(shape: [n, n])
        for i in 0..<n { t.data[i * n + i] = 1 }
        return t
    }
}
