import XCTest
@testable import Keras

/// MultiHeadAttention against real Keras 3 (scripts/make_attention_fixtures.py): outputs and
/// scores with keys, masks and causal masking, configs, weight paths, gradients and errors.
final class MultiHeadAttentionTests: XCTestCase {
    /// Builds the fixture's layer from its config, loads its weights and runs it as Keras did.
    func run(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try LayerFixture("attention/\(name)")
        let layer = try XCTUnwrap(try deserializeLayer(["class_name": "MultiHeadAttention", "config": f.config]) as? MultiHeadAttention)
        let xs = try f.inputs
        let masks = try (f.json["masks"]?.arrayValue ?? []).map(LayerFixture.tensor)
        let call = {
            try layer.call(query: xs[0], value: xs[1], key: name == "mha_qvk_scores" ? xs[2] : nil,
                           attentionMask: name == "mha_attention_mask" || name.hasPrefix("mha_axes_2_") && xs.count > 2 ? xs[2] : nil,
                           queryMask: masks.first, valueMask: masks.count > 1 ? masks[1] : nil,
                           useCausalMask: name.contains("causal"))
        }
        _ = try call()
        try f.loadWeights(into: [layer])
        let (out, scores) = try call()
        let want = try f.outputs
        assertClose([out], [want[0]], "\(name): output", file: file, line: line)
        if want.count > 1 { assertClose([scores], [want[1]], "\(name): scores", file: file, line: line) }
        f.assertConfigMatches(layer, file: file, line: line)
        let paths = try XCTUnwrap(f.json["weight_paths"]?.arrayValue).compactMap(\.stringValue)
        XCTAssertEqual(layer.weights.map(\.path), paths, name, file: file, line: line)
    }

    func testSelfAttentionMatchesKeras() throws { try run("mha_self") }
    func testKeyValueDimOutputShapeAndScoresMatchKeras() throws { try run("mha_qvk_scores") }
    func testCausalMaskWithoutBiasMatchesKeras() throws { try run("mha_causal_nobias") }
    func testExplicitAttentionMaskMatchesKeras() throws { try run("mha_attention_mask") }
    func testInputMasksMatchKeras() throws { try run("mha_input_masks") }
    func testAttentionAxesMatchKeras() throws {
        for name in ["mha_axes_2", "mha_axes_1", "mha_axes_5d", "mha_axes_12"] { try run(name) }
        let mha = try MultiHeadAttention(numHeads: 2, keyDim: 2, attentionAxes: [1])
        let q = GradientCheck.random([2, 3, 2, 3], seed: 5), v = GradientCheck.random([2, 4, 2, 3], seed: 6)
        _ = try mha.call(query: q, value: v)
        try mha.setWeights(mha.weights.enumerated().map { GradientCheck.random($0.element.shape, in: -1...1, seed: UInt64(7 + $0.offset)) })
        try GradientCheck.check([q, v], variables: mha.trainableWeights, "mha attention_axes [1]") { xs in
            try mha.call(query: xs[0], value: xs[1]).output
        }
    }

    func testMasksWithAttentionAxesMatchKeras() throws {
        for name in ["mha_axes_2_masks", "mha_axes_2_attention_mask", "mha_axes_2_causal"] { try run(name) }
        // Gradients through the masked scores.
        let f = try LayerFixture("attention/mha_axes_2_masks")
        let xs = try f.inputs, masks = try (f.json["masks"]?.arrayValue ?? []).map(LayerFixture.tensor)
        let mha = try MultiHeadAttention(numHeads: 2, keyDim: 2, attentionAxes: [2])
        _ = try mha.call(query: xs[0], value: xs[1])
        try mha.setWeights(mha.weights.enumerated().map { GradientCheck.random($0.element.shape, in: -1...1, seed: UInt64(20 + $0.offset)) })
        try GradientCheck.check([xs[0], xs[1]], variables: mha.trainableWeights, "mha attention_axes [2] masked") { ys in
            try mha.call(query: ys[0], value: ys[1], attentionMask: xs[2], queryMask: masks[0], valueMask: masks[1]).output
        }
    }

    func testMasksFlowThroughAFunctionalModel() throws {
        let f = try LayerFixture("attention/mha_input_masks")
        let xs = try f.inputs, want = try f.outputs
        let q = Input(shape: [4, 6]), v = Input(shape: [5, 3])
        let mha = try XCTUnwrap(try deserializeLayer(["class_name": "MultiHeadAttention", "config": f.config]) as? MultiHeadAttention)
        mha.returnAttentionScores = true
        let outs = try mha.callMultiple([try Masking()(q), try Masking()(v)])
        let model = try Model(inputs: [q, v], outputs: outs)
        try f.loadWeights(into: [mha])
        let got = try model.predict(xs)
        assertClose(got, want, "functional mha_input_masks")
        // The output keeps the query's mask; the scores have none.
        let queryMask = try LayerFixture.tensor(try XCTUnwrap(f.json["masks"]?.arrayValue?.first))
        let (_, masks) = try mha.callMultiple(xs, masks: [queryMask, nil])
        XCTAssertEqual(masks?.first??.scalars, queryMask.scalars)
        XCTAssertNil(masks?[1] ?? nil)
    }

    func testGradientsByFiniteDifferences() throws {
        let mha = try MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 2, useGate: true)
        let q = GradientCheck.random([2, 4, 5]), v = GradientCheck.random([2, 3, 4], seed: 2)
        let mask = try Tensor(shape: [2, 4, 3], scalars: (0..<24).map { $0 % 5 == 4 ? 0 : 1 })
        _ = try mha.call(query: q, value: v)
        try mha.setWeights(mha.weights.enumerated().map { GradientCheck.random($0.element.shape, in: -1...1, seed: UInt64(3 + $0.offset)) })
        try GradientCheck.check([q, v], variables: mha.trainableWeights, "mha") { xs in
            try mha.call(query: xs[0], value: xs[1], attentionMask: mask).output
        }
        let selfMHA = try MultiHeadAttention(numHeads: 2, keyDim: 2)
        try GradientCheck.check([q], variables: [], "causal scores") { xs in
            try selfMHA.call(query: xs[0], value: xs[0], useCausalMask: true).scores
        }
    }

    func testSelfAttentionProjectsOnceAsTheSeparateProjectionsDo() throws {
        // `[x, x]` joins the three projections into one product read in place by
        // Ops.dotProductAttention(packed:); a copy of x as the value takes the separate path.
        let mha = try MultiHeadAttention(numHeads: 2, keyDim: 3, valueDim: 4)
        let x = GradientCheck.random([2, 5, 6])
        let mask = try Tensor(shape: [2, 5, 5], scalars: (0..<50).map { $0 % 7 == 6 ? 0 : 1 })
        _ = try mha.call(query: x, value: x)
        try mha.setWeights(mha.weights.enumerated().map { GradientCheck.random($0.element.shape, in: -1...1, seed: UInt64(3 + $0.offset)) })
        let r1 = GradientCheck.random([2, 5, 6], seed: 20), r2 = GradientCheck.random([2, 2, 5, 5], seed: 21)
        func run(_ value: (Tensor) throws -> Tensor) throws -> [Tensor] {
            let tape = GradientTape()
            let (xw, r, loss) = try tape.record { () throws -> (Tensor, (output: Tensor, scores: Tensor), Tensor) in
                let xw = tape.watch(x)
                let r = try mha.call(query: xw, value: value(xw), attentionMask: mask)
                return (xw, r, try Ops.add(Ops.sum(Ops.multiply(r.output, r1)), Ops.sum(Ops.multiply(r.scores, r2))))
            }
            return [r.output, r.scores] + (try tape.gradient(of: loss, with: [xw])) + (try tape.gradient(of: loss, with: mha.trainableWeights))
        }
        let packed = try run { $0 }, separate = try run { Ops.affine($0, scale: 1) }
        XCTAssertEqual(packed.count, 3 + 8)
        for (i, (a, b)) in zip(packed, separate).enumerated() {
            XCTAssertEqual(a.shape, b.shape, "result \(i)")
            assertClose(a.scalars, b.scalars, atol: 1e-5, rtol: 1e-5, "result \(i)")
        }
        try GradientCheck.check([x], variables: mha.trainableWeights, "self-attention, packed projections") { xs in
            try mha.call(query: xs[0], value: xs[0], attentionMask: mask).output
        }
    }

    func testDropoutActsOnScoresInTrainingOnly() throws {
        let mha = try MultiHeadAttention(numHeads: 1, keyDim: 2, dropout: 0.5, seed: 3)
        let x = GradientCheck.random([2, 6, 4])
        let a = try mha.call(query: x, value: x).output, b = try mha.call(query: x, value: x).output
        XCTAssertEqual(a.scalars, b.scalars)
        let t = try mha.call(query: x, value: x, training: true).output
        XCTAssertFalse(t.isClose(to: a, atol: 1e-4, rtol: 0))
    }

    func testBadInputsNameTheLayerAndArgument() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let e as KerasError { return e.message } catch { return "\(error)" }
            return ""
        }
        XCTAssertTrue(message { _ = try MultiHeadAttention(numHeads: 0, keyDim: 2) }.contains("num_heads"))
        XCTAssertTrue(message { _ = try MultiHeadAttention(numHeads: 2, keyDim: -1) }.contains("key_dim"))
        XCTAssertTrue(message { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2, dropout: 2) }.contains("dropout"))
        let mha = try MultiHeadAttention(numHeads: 2, keyDim: 2, name: "att")
        var m = message { _ = try mha.callMultiple([Tensor(shape: [2, 3, 4])]) }
        XCTAssertTrue(m.contains("'att'") && m.contains("[query, value]"), m)
        m = message { _ = try mha.call(query: Tensor(shape: [2, 3, 4]), value: Tensor(shape: [2, 5, 4]), key: Tensor(shape: [2, 6, 4])) }
        XCTAssertTrue(m.contains("'att'") && m.contains("value"), m)
        let other = try MultiHeadAttention(numHeads: 2, keyDim: 2, name: "att2")
        m = message { _ = try other.call(query: Tensor(shape: [2, 3, 4]), value: Tensor(shape: [2, 5, 4]), attentionMask: Tensor(shape: [2, 4, 5])) }
        XCTAssertTrue(m.contains("'att2'") && m.contains("attention_mask"), m)
        m = message { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2, attentionAxes: [3], name: "att3").call(query: Tensor(shape: [1, 2, 3, 4]), value: Tensor(shape: [1, 2, 3, 4])) }
        XCTAssertTrue(m.contains("'att3'") && m.contains("attention_axes"), m)
        m = message { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2, attentionAxes: [2], name: "att4").call(query: Tensor(shape: [1, 2, 3, 4]), value: Tensor(shape: [1, 2, 3, 4]), useCausalMask: true) }
        // Keras's causal mask is [1, T, S] over axis 1: it does not broadcast to scores over axis 2 of another length.
        XCTAssertTrue(m.contains("'att4'") && m.contains("attention_axes") && m.contains("broadcast"), m)
        m = message { _ = try MultiHeadAttention(numHeads: 2, keyDim: 2, attentionAxes: [2], name: "att5").call(query: Tensor(shape: [1, 2, 3, 4]), value: Tensor(shape: [1, 5, 3, 4])) }
        XCTAssertTrue(m.contains("'att5'") && m.contains("attention_axes"), m)
    }
}
