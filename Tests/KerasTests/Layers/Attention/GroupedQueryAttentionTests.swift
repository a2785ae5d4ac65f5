import XCTest
@testable import Keras

/// GroupedQueryAttention: the key and value heads shared by groups of query heads (the same as
/// a MultiHeadAttention whose key and value kernels repeat each group's head), finite-difference
/// gradients, config and bad arguments (its numbers against real Keras are
/// bindings/python/tests/test_group_query_attention.py).
final class GroupedQueryAttentionTests: XCTestCase {
    private func randomized(_ layer: MultiHeadAttention, seed: UInt64) throws {
        try layer.setWeights(layer.weights.enumerated().map {
            GradientCheck.random($0.element.shape, in: -1...1, seed: seed + UInt64($0.offset))
        })
    }

    func testSharedHeadsAreMultiHeadAttentionWithRepeatedKeyAndValueHeads() throws {
        let gqa = try GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2)
        let q = GradientCheck.random([2, 3, 5], seed: 1), v = GradientCheck.random([2, 4, 5], seed: 2)
        _ = try gqa.call(query: q, value: v)
        try randomized(gqa, seed: 10)
        XCTAssertEqual(gqa.keyDense?.kernel?.shape, [5, 2, 2])
        XCTAssertEqual(gqa.queryDense?.kernel?.shape, [5, 4, 2])
        let mha = try MultiHeadAttention(numHeads: 4, keyDim: 2)
        _ = try mha.call(query: q, value: v)
        // Query head h reads key/value head h / 2: each kernel's heads repeated along axis 1.
        let repeated = try gqa.weights.enumerated().map { i, w -> Tensor in
            let isKeyOrValue = (2...5).contains(i)
            return isKeyOrValue ? try Ops.repeat(w.value, 2, axis: i % 2 == 0 ? 1 : 0) : w.value
        }
        try mha.setWeights(repeated)
        let mask = try Tensor(shape: [2, 3, 4], scalars: (0..<24).map { $0 % 5 == 4 ? 0 : 1 })
        let a = try gqa.call(query: q, value: v, attentionMask: mask), b = try mha.call(query: q, value: v, attentionMask: mask)
        for (x, y) in [(a.output, b.output), (a.scores, b.scores)] {
            XCTAssertEqual(x.shape, y.shape)
            for i in 0..<x.count { XCTAssertEqual(x.data[i], y.data[i], accuracy: 1e-5) }
        }
    }

    func testGradientsByFiniteDifferences() throws {
        let gqa = try GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2, useGate: true)
        let q = GradientCheck.random([2, 4, 5]), v = GradientCheck.random([2, 3, 5], seed: 2)
        _ = try gqa.call(query: q, value: v)
        try randomized(gqa, seed: 3)
        try GradientCheck.check([q, v], variables: gqa.trainableWeights, "gqa") { xs in
            try gqa.call(query: xs[0], value: xs[1], useCausalMask: true).output
        }
        let single = try GroupedQueryAttention(headDim: 3, numQueryHeads: 3, numKeyValueHeads: 1)
        _ = try single.call(query: q, value: q)
        try randomized(single, seed: 30)
        try GradientCheck.check([q], variables: single.trainableWeights, "gqa self") { xs in
            try single.call(query: xs[0], value: xs[0]).output
        }
    }

    func testConfigIsKerass() throws {
        let gqa = try GroupedQueryAttention(headDim: 4, numQueryHeads: 6, numKeyValueHeads: 2, slidingWindow: 3, name: "g")
        let config = gqa.getConfig()
        XCTAssertEqual(gqa.className, "GroupQueryAttention")
        XCTAssertTrue(try GroupedQueryAttention(headDim: 1, numQueryHeads: 1, numKeyValueHeads: 1).name.hasPrefix("grouped_query_attention"))
        XCTAssertEqual(config["head_dim"], 4)
        XCTAssertEqual(config["num_query_heads"], 6)
        XCTAssertEqual(config["num_key_value_heads"], 2)
        XCTAssertEqual(config["sliding_window"], 3)
        XCTAssertNil(config["num_heads"])
        let back = try XCTUnwrap(try deserializeLayer(["class_name": "GroupedQueryAttention", "config": config]) as? GroupedQueryAttention)
        XCTAssertEqual(back.numKeyValueHeads, 2)
        XCTAssertEqual(back.getConfig(), config)
        XCTAssertNotNil(try deserializeLayer(["class_name": "MultiHeadAttention", "config": ["num_heads": 2, "key_dim": 2]]) as? MultiHeadAttention)
    }

    func testBadArguments() {
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("divisible") { try GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 3) }
        expect("head_dim") { try GroupedQueryAttention(headDim: 0, numQueryHeads: 4, numKeyValueHeads: 2) }
        expect("num_key_value_heads") { try GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 0) }
        expect("sliding_window") { try GroupedQueryAttention(headDim: 2, numQueryHeads: 4, numKeyValueHeads: 2, slidingWindow: 0) }
    }
}
