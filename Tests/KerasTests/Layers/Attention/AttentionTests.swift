import XCTest
@testable import Keras

/// Attention and AdditiveAttention against real Keras 3 (scripts/make_attention_fixtures.py).
final class AttentionTests: XCTestCase {
    func run(_ name: String, className: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try LayerFixture("attention/\(name)")
        let layer = try XCTUnwrap(try deserializeLayer(["class_name": .string(className), "config": f.config]) as? BaseAttention)
        let xs = try f.inputs
        let masks = try (f.json["masks"]?.arrayValue ?? []).map(LayerFixture.tensor)
        let call = { try layer.call(xs, masks: masks.isEmpty ? nil : masks, useCausalMask: name == "attention_causal") }
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

    func testAttentionMatchesKeras() throws {
        for name in ["attention_dot", "attention_scale_scores", "attention_concat", "attention_causal", "attention_masked"] {
            try run(name, className: "Attention")
        }
    }

    func testAdditiveAttentionMatchesKeras() throws {
        try run("additive_attention", className: "AdditiveAttention")
        try run("additive_attention_noscale", className: "AdditiveAttention")
    }

    func testGradientsByFiniteDifferences() throws {
        let q = GradientCheck.random([2, 3, 4]), v = GradientCheck.random([2, 5, 4], seed: 2), k = GradientCheck.random([2, 5, 4], seed: 3)
        let vmask = try Tensor(shape: [2, 5], scalars: [1, 1, 1, 0, 0, 1, 1, 0, 1, 1])
        for layer in [try Attention(useScale: true), try Attention(useScale: true, scoreMode: "concat"), try AdditiveAttention()] {
            _ = try layer.call([q, v, k])
            try layer.setWeights(layer.weights.map { GradientCheck.random($0.shape, in: 0.5...1.5, seed: 9) })
            try GradientCheck.check([q, v, k], variables: layer.trainableWeights, layer.className) { xs in
                try layer.call(xs, masks: [nil, vmask], useCausalMask: true).output
            }
        }
    }

    func testFunctionalCallWithScoresAndCausalMaskRoundTripsThroughConfig() throws {
        let q = Input(shape: [3, 4]), v = Input(shape: [5, 4])
        let att = try Attention(name: "att")
        att.returnAttentionScores = true
        att.useCausalMask = true
        let outs = try att.callMultiple([q, v])
        XCTAssertEqual(outs.map(\.shape), [[nil, 3, 4], [nil, 3, 5]])
        let model = try Model(inputs: [q, v], outputs: outs)
        let json = model.toJSON()
        XCTAssertTrue(json.contains("\"use_causal_mask\": true"), json)
        let back = try modelFromJSON(json)
        let xs = [GradientCheck.random([2, 3, 4]), GradientCheck.random([2, 5, 4], seed: 4)]
        assertClose(try back.predict(xs), try model.predict(xs), "reloaded attention model")
    }

    func testBadInputsNameTheLayerAndArgument() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let e as KerasError { return e.message } catch { return "\(error)" }
            return ""
        }
        XCTAssertTrue(message { _ = try Attention(scoreMode: "sum") }.contains("score_mode"))
        XCTAssertTrue(message { _ = try AdditiveAttention(dropout: -1) }.contains("dropout"))
        let att = try Attention(name: "att")
        var m = message { _ = try att(Tensor(shape: [2, 3, 4])) }
        XCTAssertTrue(m.contains("'att'") && m.contains("[query, value]"), m)
        m = message { _ = try att([Tensor(shape: [2, 3, 4]), Tensor(shape: [2, 5, 3])]) }
        XCTAssertTrue(m.contains("'att'") && m.contains("last dimension"), m)
    }
}
