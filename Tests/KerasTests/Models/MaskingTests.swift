import XCTest
@testable import Keras

/// Masks from `Masking` to the loss, and the training flag reaching nested layers, against real
/// Keras (scripts/make_graph_fixtures.py) and math.
final class MaskingTests: XCTestCase {
    private struct Case {
        let x, y, kernel, bias: Tensor
        let f: JSON
        init() throws {
            f = try loadFixture("graph/masking_mse.json")
            x = try fixtureTensor(f["x"]); y = try fixtureTensor(f["y"])
            kernel = try fixtureTensor(f["kernel"]); bias = try fixtureTensor(f["bias"])
        }
        func number(_ a: String, _ b: String) -> Double { f[a]?[b]?.doubleValue ?? .nan }
    }

    private func sequential(_ c: Case, middle: [Layer] = []) throws -> Model {
        let dense = Dense(2)
        let m = try Sequential([InputLayer(shape: [5, 3]), Masking(maskValue: 0)] + middle + [dense])
        try dense.setWeights([c.kernel, c.bias])
        return m
    }

    private func functional(_ c: Case) throws -> Model {
        let input = Input(shape: [5, 3])
        let dense = Dense(2)
        let m = try Model(inputs: input, outputs: try dense(try Masking()(input)))
        try dense.setWeights([c.kernel, c.bias])
        return m
    }

    func testMaskFromMaskingChangesTheLossAndMetricExactlyAsInKeras() throws {
        let c = try Case()
        for (kind, model) in [("sequential", try sequential(c)), ("functional", try functional(c))] {
            try model.compile(optimizer: .instance(try SGD(learningRate: 0.1)), loss: "mse", metrics: ["mae"])
            assertClose(try model.predict(c.x).scalars, try fixtureTensor(c.f["predict"]).scalars, "\(kind) predict")
            let eval = try model.evaluate(c.x, c.y, batchSize: 4, verbose: 0)
            assertClose(eval.map { Float($0) }, [Float(c.number("evaluate", "loss")), Float(c.number("evaluate", "mae"))],
                        "\(kind) evaluate (loss, mae) over unmasked timesteps")
            let loss = try model.trainOnBatch(c.x, c.y)
            XCTAssertEqual(loss, c.number("train_step", "loss"), accuracy: 1e-5, "\(kind) train step loss")
            let dense = try XCTUnwrap(model.layers.last)
            assertClose(dense.getWeights(), [try fixtureTensor(c.f["kernel_after"]), try fixtureTensor(c.f["bias_after"])],
                        "\(kind) weights after one SGD step on the masked loss")
        }
    }

    func testALayerWithoutMaskSupportDropsTheMaskAsInKeras() throws {
        // Reshape does not support masking in Keras: a reshape that changes the shape drops the
        // mask, and the loss is then over every timestep (one that changes nothing hands the same
        // array on, and under jax its mask with it: test_masks_through_reshaping.py).
        let c = try Case()
        let model = try sequential(c, middle: [try Reshape([15]), try Reshape([5, 3])])
        try model.compile(optimizer: "sgd", loss: "mse")
        let loss = try model.evaluate(c.x, c.y, batchSize: 4, verbose: 0)[0]
        XCTAssertEqual(loss, c.f["unmasked_mse"]?.doubleValue ?? .nan, accuracy: 1e-5)
        XCTAssertNotEqual(loss, c.number("evaluate", "loss"), accuracy: 1e-3)
    }

    func testConcatenateJoinsMasksAsKerasDoes() throws {
        let f = try loadFixture("graph/concatenate_mask.json")
        let (x, z, y) = (try fixtureTensor(f["x"]), try fixtureTensor(f["z"]), try fixtureTensor(f["y"]))
        var losses: [Double] = []
        for masked in [true, false] {
            let a = Input(shape: [4, 2]), b = Input(shape: [2, 2])
            let dense = Dense(1)
            let joined = try Concatenate(axis: 1)([masked ? try Masking()(a) : a, b])
            let model = try Model(inputs: [a, b], outputs: try dense(joined))
            try dense.setWeights([try fixtureTensor(f["kernel"]), try fixtureTensor(f["bias"])])
            try model.compile(optimizer: "sgd", loss: "mse")
            losses.append(try model.evaluateDict([x, z], [y], verbose: 0)[0].1)
        }
        XCTAssertEqual(losses[0], f["loss"]?.doubleValue ?? .nan, accuracy: 1e-5, "Keras's loss over unmasked steps")
        XCTAssertNotEqual(losses[1], losses[0], accuracy: 1e-3, "without the mask every step counts")
        // Along the feature axis, an unmasked input unmasks every position (Keras's any over the last axis).
        let m = try Tensor(shape: [1, 2], scalars: [1, 0])
        let joined = try Concatenate().computeMask([Tensor(shape: [1, 2, 3]), Tensor(shape: [1, 2, 1])], masks: [m, nil])
        XCTAssertEqual(joined.first??.scalars, [1, 1])
        XCTAssertEqual(try Concatenate(axis: 1).computeMask([Tensor(shape: [1, 2, 3]), Tensor(shape: [1, 1, 3])], masks: [m, nil]).first??.scalars, [1, 0, 1])
    }

    func testMaskingZeroesPaddedStepsAndComputesTheMask() throws {
        let x = try Tensor(shape: [1, 3, 2], scalars: [1, 0, 0, 0, 2, 2])
        let layer = Masking(maskValue: 0)
        XCTAssertEqual(try layer(x).scalars, [1, 0, 0, 0, 2, 2])
        XCTAssertEqual(try layer.computeMask(x, mask: nil)?.scalars, [1, 0, 1])
        let (outs, masks) = try Masking(maskValue: 2).callMultiple([x], masks: nil)
        XCTAssertEqual(outs[0].scalars, [1, 0, 0, 0, 0, 0])
        XCTAssertEqual(masks?.first??.shape, [1, 3])
        XCTAssertEqual(masks?.first??.scalars, [1, 1, 0])
        XCTAssertEqual(layer.getConfig()["mask_value"], .double(0))
        let back = try deserializeLayer(serializedLayer(Masking(maskValue: 0.5, name: "m"), legacy: false))
        XCTAssertEqual((back as? Masking)?.maskValue, 0.5)
        XCTAssertThrowsError(try layer(Tensor(shape: [2, 0])))
    }

    func testMaskingGradientMatchesFiniteDifferences() throws {
        // Away from masked steps (where a perturbation would unmask them) the function is smooth.
        try GradientCheck.check(layer: Masking(), input: GradientCheck.random([2, 3, 4], avoiding: [0], seed: 5))
        // At a masked step the gradient is 0, as Keras's `where(mask, x, 0)`; elsewhere 1.
        let x = GradientCheck.random([1, 2, 2], avoiding: [0], seed: 6)
        x.data[2] = 0; x.data[3] = 0
        let v = Variable(x, name: "x")
        let tape = GradientTape()
        let loss = try tape.record { try Ops.sum(try Masking()(v.value)) }
        XCTAssertEqual(try tape.gradient(of: loss, with: [v])[0].scalars, [1, 1, 0, 0])
    }

    func testALossHonoursAMaskAsKerasApplyMask() throws {
        let yTrue = try Tensor(shape: [2, 2, 1], scalars: [0, 0, 0, 0])
        let yPred = try Tensor(shape: [2, 2, 1], scalars: [1, 2, 3, 4])
        let mask = try Tensor(shape: [2, 2], scalars: [1, 0, 1, 1])
        let mse = MeanSquaredError()
        // sum_over_batch_size: the mean over unmasked values (1 + 9 + 16) / 3.
        XCTAssertEqual(try mse(yTrue, yPred, sampleWeight: nil, mask: mask).scalar ?? 0, 26.0 / 3, accuracy: 1e-5)
        // sum: masked values count 0.
        XCTAssertEqual(try MeanSquaredError(reduction: .sum)(yTrue, yPred, sampleWeight: nil, mask: mask).scalar ?? 0, 26, accuracy: 1e-5)
        XCTAssertEqual(try mse(yTrue, yPred, sampleWeight: nil, mask: nil).scalar ?? 0, 7.5, accuracy: 1e-5)
    }

    /// Keras's `inner(x, mask=m)` in a functional model's construction, m a boolean Input: the
    /// nested model's inputs carry m (its LSTM skips the masked steps) in predict, as the eager
    /// `inner(x, mask=m)` gives, and through the config (the node's kwargs, the bool Input).
    /// Against real Keras: bindings/python/tests/test_nested_model_call_mask.py.
    func testANestedModelCalledWithAMaskAppliesItInTheGraph() throws {
        let xi = Input(shape: [4, 2])
        let inner = try Model(inputs: xi, outputs: try LSTM(3)(xi), name: "inner")
        try inner.setWeights(inner.getWeights().map { w in
            try Tensor(shape: w.shape, scalars: (0..<w.count).map { Float($0) / Float(Swift.max(w.count - 1, 1)) - 0.5 })
        })
        let x = Input(shape: [4, 2]), m = Input(shape: [4], dtype: "bool")
        let outer = try Model(inputs: [x, m], outputs: try inner.callMultiple([x], masks: [m]))
        let data = try Tensor(shape: [2, 4, 2], scalars: (0..<16).map { Float($0) / 8 - 1 })
        let mask = try Tensor(shape: [2, 4], scalars: [1, 1, 0, 0, 1, 1, 1, 0])
        let want = try inner.callWithMasksCollectingLosses([data], inputMasks: [mask], training: false).outputs[0]
        assertClose(try outer.predict([data, mask])[0].scalars, want.scalars, "the mask applied inside")
        let unmasked = try inner.predict(data)
        XCTAssertGreaterThan(zip(unmasked.scalars, want.scalars).map { abs($0 - $1) }.max() ?? 0, 1e-3)
        let json = outer.toJSON()
        XCTAssertTrue(json.contains("\"dtype\": \"bool\"") || json.contains("\"dtype\":\"bool\""), "the bool Input keeps its dtype")
        let loaded = try modelFromJSON(json)
        try loaded.setWeights(outer.getWeights())
        assertClose(try loaded.predict([data, mask])[0].scalars, want.scalars, "the mask read back from the config")
    }
}
