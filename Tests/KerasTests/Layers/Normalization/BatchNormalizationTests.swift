import XCTest
@testable import Keras

final class BatchNormalizationTests: XCTestCase {
    private let cases: [(String, () -> BatchNormalization)] = [
        ("batch_normalization", { BatchNormalization(name: "batch_normalization") }),
        ("batch_normalization_axis1", { BatchNormalization(axis: 1, momentum: 0.9, epsilon: 0.01, center: false, name: "batch_normalization_axis1") }),
        ("batch_normalization_noscale", { BatchNormalization(scale: false, name: "batch_normalization_noscale") }),
    ]

    /// Inference, training output, gradients (input, gamma, beta) and the moving statistics after
    /// three training calls, all against Keras; config equal to get_config().
    func testMatchesKeras() throws {
        for (name, make) in cases {
            let fixture = try LayerFixture("normalization/\(name)")
            let layer = make()
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
            let x = try XCTUnwrap(fixture.inputs.first)
            let r = try LayerFixture.tensor(try XCTUnwrap(fixture.json["loss_weights"]))
            let expectedGrads = try XCTUnwrap(fixture.json["gradients"]?.arrayValue).map(LayerFixture.tensor)
            let tape = GradientTape()
            let (wx, loss, out) = try tape.record { () throws -> (Tensor, Tensor, Tensor) in
                let wx = tape.watch(x)
                let out = try layer(wx, training: true)
                return (wx, try Ops.sum(Ops.multiply(out, r)), out)
            }
            XCTAssertTrue(out.isClose(to: try LayerFixture.tensor(try XCTUnwrap(fixture.json["training_output"]))), name)
            let grads = try tape.gradient(of: loss, with: [wx]) + tape.gradient(of: loss, with: layer.trainableWeights)
            XCTAssertEqual(grads.count, expectedGrads.count, name)
            for (g, e) in zip(grads, expectedGrads) { XCTAssertTrue(g.isClose(to: e, atol: 1e-4), "\(name): \(g) vs \(e)") }
            try fixture.loadWeights(into: [layer])
            for b in try XCTUnwrap(fixture.json["batches"]?.arrayValue).map(LayerFixture.tensor) { _ = try layer(b, training: true) }
            let moving = try XCTUnwrap(fixture.json["moving_after"]?.arrayValue).map(LayerFixture.tensor)
            assertClose(layer.nonTrainableWeights.map(\.value), moving, "\(name) moving statistics")
        }
    }

    func testFrozenRunsInInferenceAndGradients() throws {
        let layer = BatchNormalization()
        let x = GradientCheck.random([5, 3], seed: 3)
        _ = try layer(x, training: true)
        let before = layer.movingMean?.numpy
        layer.trainable = false
        let frozen = try layer(x, training: true)
        XCTAssertEqual(layer.movingMean?.numpy.scalars, before?.scalars, "no update when frozen")
        XCTAssertEqual(frozen.scalars, try layer(x, training: false).scalars)
        layer.trainable = true
        try GradientCheck.check([x], "BatchNormalization training") { try BatchNormalization(momentum: 0.5)($0[0], training: true) }
        XCTAssertThrowsError(try BatchNormalization(axis: 3, name: "bn_bad")(Tensor(shape: [2, 3]))) { e in
            XCTAssertTrue("\(e)".contains("'bn_bad'") && "\(e)".contains("axis 3"), "\(e)")
        }
    }

    func testKerasModelLoadsTrainsAndSavesBothWays() throws {
        let (inputs, outputs) = try SavingFixtures.expected("bn_sequential")
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("bn_sequential.\(ext)"))
            assertClose(try model.predict(inputs), outputs, "bn_sequential.\(ext)")
            XCTAssertEqual(model.layers.first { $0 is BatchNormalization }?.weights.map(\.name), ["gamma", "beta", "moving_mean", "moving_variance"])
            try model.fit(inputs, [Tensor(shape: [5, 2], repeating: 0.5)], epochs: 2, verbose: 0)
            let trained = try model.predict(inputs)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("bn-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            assertClose(try loadModel(path).predict(inputs), trained, "saved here as .\(ext)")
        }
    }
}

/// BatchNormalization in training with a mask: moments over the unmasked positions (Keras 3).
final class MaskedBatchNormalizationTests: XCTestCase {
    func testMaskedMomentsMatchKeras() throws {
        let fixture = try LayerFixture("normalization/batch_normalization_masked")
        let layer = BatchNormalization(momentum: 0.9, name: "batch_normalization_masked")
        fixture.assertConfigMatches(layer)
        let x = try XCTUnwrap(fixture.inputs.first)
        let mask = try LayerFixture.tensor(try XCTUnwrap(fixture.json["mask"]))
        let r = try LayerFixture.tensor(try XCTUnwrap(fixture.json["loss_weights"]))
        _ = try layer(x)
        try fixture.loadWeights(into: [layer])
        let tape = GradientTape()
        let (wx, loss, out) = try tape.record { () throws -> (Tensor, Tensor, Tensor) in
            let wx = tape.watch(x)
            let out = try layer.callMultiple([wx], masks: [mask], training: true).outputs[0]
            return (wx, try Ops.sum(Ops.multiply(out, r)), out)
        }
        let expected = try LayerFixture.tensor(try XCTUnwrap(fixture.json["training_output"]))
        XCTAssertTrue(out.isClose(to: expected, atol: 1e-5, rtol: 1e-5), "\(out) vs \(expected)")
        let grads = try tape.gradient(of: loss, with: [wx]) + tape.gradient(of: loss, with: layer.trainableWeights)
        let expectedGrads = try XCTUnwrap(fixture.json["gradients"]?.arrayValue).map(LayerFixture.tensor)
        XCTAssertEqual(grads.count, expectedGrads.count)
        for (g, e) in zip(grads, expectedGrads) { XCTAssertTrue(g.isClose(to: e, atol: 1e-4), "\(g) vs \(e)") }
        let moving = try XCTUnwrap(fixture.json["moving_after"]?.arrayValue).map(LayerFixture.tensor)
        assertClose(layer.nonTrainableWeights.map(\.value), moving, "moving statistics after a masked step")
        // Without the masked positions' values mattering: changing them changes nothing.
        let changed = x.scalars.enumerated().map { i, v in mask.data[i / x.shape[2]] == 0 ? v + 100 : v }
        let out2 = try layer.callMultiple([Tensor(shape: x.shape, scalars: changed)], masks: [mask], training: true).outputs[0]
        for i in 0..<x.count where mask.data[i / x.shape[2]] != 0 { XCTAssertEqual(out2.data[i], out.data[i], accuracy: 1e-4) }
        XCTAssertThrowsError(try layer.callMultiple([x], masks: [Tensor(shape: [3, 4], repeating: 1)], training: true)) { e in
            XCTAssertTrue("\(e)".contains("'batch_normalization_masked'") && "\(e)".contains("mask"), "\(e)")
        }
    }

    /// Embedding(maskZero) → BatchNormalization trains on the unpadded positions only.
    func testMaskFromEmbeddingReachesBatchNormalization() throws {
        let model = try Sequential([InputLayer(shape: [4]), Embedding(5, 3, maskZero: true), BatchNormalization(name: "bn")])
        let x = try Tensor(shape: [2, 4], scalars: [1, 2, 0, 0, 3, 0, 0, 0])
        _ = try model.predict(x)
        let e = try XCTUnwrap((model.layers.first as? Embedding)?.embeddings?.numpy.scalars)
        try model.compile(optimizer: "sgd", loss: "mse")
        try model.fit(x, Tensor(shape: [2, 4, 3], repeating: 0), epochs: 1, verbose: 0)
        let bn = try XCTUnwrap(model.layers.last as? BatchNormalization)
        // One step from zero with momentum 0.99: 0.01 × the mean of the embeddings of ids 1, 2, 3.
        let expected: [Float] = (0..<3).map { (c: Int) -> Float in
            let sum: Float = e[3 + c] + e[6 + c] + e[9 + c]
            return 0.01 * sum / 3
        }
        assertClose(try XCTUnwrap(bn.movingMean?.numpy.scalars), expected, atol: 1e-6, "moving mean over unmasked positions")
    }
}
