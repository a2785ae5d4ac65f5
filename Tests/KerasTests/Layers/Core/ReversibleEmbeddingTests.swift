import XCTest
@testable import Keras

/// ReversibleEmbedding: the reverse projection (tied, untied, soft-capped) against its formula,
/// finite-difference gradients, `reverse` kept per functional call through a config round trip,
/// and bad input (its numbers, fits and files against real Keras are
/// bindings/python/tests/test_reversible_embedding.py).
final class ReversibleEmbeddingTests: XCTestCase {
    private func built(_ layer: ReversibleEmbedding, seed: UInt64) throws {
        _ = try layer(Tensor(shape: [1, 2]))
        try layer.setWeights(layer.weights.enumerated().map {
            GradientCheck.random($0.element.shape, in: -1...1, seed: seed + UInt64($0.offset))
        })
    }

    func testReverseProjectsOntoTheTableOrItsOwnWeight() throws {
        let h = GradientCheck.random([2, 3, 4], seed: 1)
        for (tied, cap) in [(true, nil), (false, nil), (true, 1.5)] as [(Bool, Double?)] {
            let layer = try ReversibleEmbedding(5, 4, tieWeights: tied, logitSoftCap: cap)
            try built(layer, seed: 10)
            XCTAssertEqual(layer.weights.map(\.name), tied ? ["embeddings"] : ["embeddings", "reverse_embeddings"])
            layer.reverse = true
            let y = try layer(h)
            XCTAssertEqual(y.shape, [2, 3, 5])
            let table = try XCTUnwrap(layer.embeddings).value, reverse = layer.reverseEmbeddings?.value
            for row in 0..<6 { for j in 0..<5 {
                var s: Float = 0
                for k in 0..<4 { s += h.data[row * 4 + k] * (reverse.map { $0.data[k * 5 + j] } ?? table.data[j * 4 + k]) }
                let want = cap.map { Float(tanh(Double(s) / $0) * $0) } ?? s
                XCTAssertEqual(y.data[row * 5 + j], want, accuracy: 1e-5)
            } }
        }
    }

    func testGradientsByFiniteDifferences() throws {
        for (tied, cap) in [(true, nil), (false, 2.0)] as [(Bool, Double?)] {
            let layer = try ReversibleEmbedding(5, 3, tieWeights: tied, logitSoftCap: cap)
            try built(layer, seed: 20)
            layer.reverse = true
            try GradientCheck.check(layer: layer, input: GradientCheck.random([2, 4, 3], seed: 3))
        }
    }

    func testReverseIsKeptPerFunctionalCall() throws {
        let tokens = Input(shape: [6])
        let embedding = try ReversibleEmbedding(12, 4, maskZero: true, name: "emb")
        let hidden = try Dense(4, activation: .tanh)(try embedding(tokens))
        embedding.reverse = true
        let model = try Model(inputs: tokens, outputs: try embedding(hidden))
        embedding.reverse = false
        let ids = try Tensor(shape: [2, 6], scalars: [1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 8, 11])
        let want = try model.predict(ids)
        XCTAssertEqual(want.shape, [2, 6, 12])
        let json = model.toJSON()
        XCTAssertTrue(json.contains("\"reverse\":true") || json.contains("\"reverse\": true"), json)
        let again = try modelFromJSON(json)
        try again.setWeights(model.getWeights())
        let got = try again.predict(ids)
        for i in 0..<want.count { XCTAssertEqual(got.data[i], want.data[i], accuracy: 1e-6) }
    }

    func testConfigAndBadInput() throws {
        let layer = try ReversibleEmbedding(7, 3, tieWeights: false, logitSoftCap: 30, name: "r")
        let config = layer.getConfig()
        XCTAssertEqual(config["tie_weights"], false)
        XCTAssertEqual(config["logit_soft_cap"], 30.0)
        XCTAssertEqual(config["reverse_dtype"], .null)
        let back = try XCTUnwrap(try deserializeLayer(["class_name": "ReversibleEmbedding", "config": config]) as? ReversibleEmbedding)
        XCTAssertEqual(back.getConfig(), config)
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("logit_soft_cap") { try ReversibleEmbedding(7, 3, logitSoftCap: 0) }
        expect("reverse_dtype") { try deserializeLayer(["class_name": "ReversibleEmbedding",
                                                         "config": ["input_dim": 3, "output_dim": 2, "reverse_dtype": "float16"]]) }
        try built(layer, seed: 1)
        layer.reverse = true
        expect("output_dim 3") { try layer(Tensor(shape: [2, 4])) }
        expect("reverse") { try layer.applyCallKeywordArguments(["reverse": "yes"]) }
    }
}
