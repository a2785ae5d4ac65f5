import XCTest
@testable import Keras

/// BatchNormalization folded into the Dense or convolution before it at inference: predictions
/// equal the two layers run one after the other, the folded weights follow every weight change,
/// and pairs that must not fold run unfused.
final class BatchNormalizationFoldingTests: XCTestCase {
    /// Gives every BatchNormalization of `model` random statistics and affine weights (variances
    /// in 0.5...2), so that folding changes the numbers.
    private func randomizeNormalization(_ model: Model, seed: UInt64) throws {
        for (k, bn) in model.layers.compactMap({ $0 as? BatchNormalization }).enumerated() {
            let s = seed + UInt64(k) * 10
            try bn.setWeights(bn.weights.enumerated().map { i, w in
                w.name == "moving_variance" ? GradientCheck.random(w.shape, in: 0.5...2, seed: s + UInt64(i))
                    : GradientCheck.random(w.shape, in: -1.5...1.5, seed: s + UInt64(i))
            })
        }
    }

    /// The output of a Sequential model's layers called one by one (no folding).
    private func unfused(_ model: Sequential, _ x: Tensor) throws -> Tensor {
        try model.layers.reduce(x) { try $1($0, training: false) }
    }

    private func folds(_ model: Model) -> Int { model.inferenceFolds(training: false)?.byLayerNode.count ?? 0 }

    private func assertFoldedMatches(_ make: () throws -> Sequential, input: [Int], expectedFolds: Int,
                                     _ what: String, line: UInt = #line) throws {
        let model = try make()
        try randomizeNormalization(model, seed: 11)
        let x = GradientCheck.random([3] + input, seed: 5)
        XCTAssertEqual(folds(model), expectedFolds, what, line: line)
        let expected = try unfused(model, x)
        assertClose([try model.predict(x)], [expected], atol: 1e-5, what, line: line)
        assertClose([try model.predictOnBatch(x)], [expected], atol: 1e-5, "\(what) predictOnBatch", line: line)
        for fold in model.inferenceFolds(training: false)?.byLayerNode.values.map({ $0 }) ?? [] {
            XCTAssertTrue(fold.isComputed, "\(what): the folded pair ran", line: line)
        }
    }

    func testSequentialPairsFold() throws {
        try assertFoldedMatches({ try Sequential([Dense(6, inputShape: [4]), BatchNormalization(), Dense(2)]) },
                                input: [4], expectedFolds: 1, "Dense + BN")
        try assertFoldedMatches({ try Sequential([Dense(5, useBias: false, inputShape: [3, 4]), BatchNormalization(center: false, scale: false)]) },
                                input: [3, 4], expectedFolds: 1, "Dense without bias on rank 3 + BN without center and scale")
        try assertFoldedMatches({ try Sequential([Conv2D(4, kernelSize: [3], inputShape: [6, 5, 2]), BatchNormalization(), Flatten()]) },
                                input: [6, 5, 2], expectedFolds: 1, "Conv2D + BN")
        try assertFoldedMatches({ try Sequential([Conv2D(4, kernelSize: [3], padding: .same, useBias: false, inputShape: [6, 5, 2]),
                                                  BatchNormalization(scale: false)]) },
                                input: [6, 5, 2], expectedFolds: 1, "Conv2D without bias + BN without scale")
        try assertFoldedMatches({ try Sequential([Conv2D(4, kernelSize: [2], dataFormat: .channelsFirst, inputShape: [3, 5, 6]),
                                                  BatchNormalization(axis: 1, center: false)]) },
                                input: [3, 5, 6], expectedFolds: 1, "channels_first Conv2D + BN(axis=1)")
        try assertFoldedMatches({ try Sequential([Conv1D(3, kernelSize: [2], inputShape: [7, 2]), BatchNormalization(),
                                                  Conv1D(4, kernelSize: [2]), BatchNormalization(epsilon: 0.1)]) },
                                input: [7, 2], expectedFolds: 2, "two Conv1D + BN pairs")
    }

    func testPairsThatMustNotFold() throws {
        try assertFoldedMatches({ try Sequential([Dense(6, activation: .relu, inputShape: [4]), BatchNormalization()]) },
                                input: [4], expectedFolds: 0, "Dense(relu) + BN")
        try assertFoldedMatches({ try Sequential([Dense(6, inputShape: [4]), Activation(.relu), BatchNormalization()]) },
                                input: [4], expectedFolds: 0, "activation between")
        try assertFoldedMatches({ try Sequential([Dense(6, inputShape: [2, 4]), BatchNormalization(axis: 1)]) },
                                input: [2, 4], expectedFolds: 0, "BN over another axis than the Dense's units")
        try assertFoldedMatches({ try Sequential([Conv2D(4, kernelSize: [2], inputShape: [5, 5, 3]), BatchNormalization(axis: 1)]) },
                                input: [5, 5, 3], expectedFolds: 0, "BN over a spatial axis")
        try assertFoldedMatches({ try Sequential([Conv2DTranspose(3, kernelSize: [2], inputShape: [4, 4, 2]), BatchNormalization()]) },
                                input: [4, 4, 2], expectedFolds: 0, "transposed convolution")
    }

    /// Functional graphs: a Dense whose output also feeds another layer, or is a model output,
    /// keeps its BatchNormalization; a plain chain folds.
    func testFunctionalGraphs() throws {
        let input = Input(shape: [4])
        let dense = Dense(5), bn = BatchNormalization(), head = Dense(2)
        let hidden = try dense(input)
        let chain = try Model(inputs: input, outputs: try head(bn(hidden)))
        let sharedDense = Dense(5), sharedBN = BatchNormalization()
        let h2 = try sharedDense(input)
        let branched = try Model(inputs: input, outputs: try Concatenate()([sharedBN(h2), h2]))
        let exposed = try Model(inputs: input, outputs: [try sharedBN(h2), h2])
        let x = GradientCheck.random([4, 4], seed: 8)
        for (model, expectedFolds, what) in [(chain, 1, "chain"), (branched, 0, "Dense output used twice"), (exposed, 0, "Dense output is a model output")] {
            try randomizeNormalization(model, seed: 3)
            XCTAssertEqual(folds(model), expectedFolds, what)
        }
        assertClose([try chain.predict(x)], [try head(bn(dense(x), training: false))], "chain")
        XCTAssertEqual(chain.inferenceFolds(training: false)?.byLayerNode.values.first?.isComputed, true, "chain folded")
        XCTAssertNil(chain.inferenceFolds(training: true), "no folding in training")
        let h = try sharedDense(x)
        assertClose([try branched.predict(x)], [try Ops.concatenate([sharedBN(h, training: false), h], axis: -1)], "branched")
        assertClose(try exposed.predict([x]), [try sharedBN(h, training: false), h], "exposed")
    }

    /// Folded weights are recomputed after set_weights, a training step and loading weights;
    /// evaluate uses the folded pair too.
    func testFoldedWeightsFollowWeightChanges() throws {
        let model = try Sequential([Dense(6, inputShape: [4]), BatchNormalization(momentum: 0.5), Dense(1)])
        try model.compile(optimizer: "sgd", loss: "mse")
        try randomizeNormalization(model, seed: 21)
        let x = GradientCheck.random([8, 4], seed: 9), y = GradientCheck.random([8, 1], seed: 10)
        assertClose([try model.predict(x)], [try unfused(model, x)], "before")
        try randomizeNormalization(model, seed: 31)
        assertClose([try model.predict(x)], [try unfused(model, x)], "after set_weights on the BN")
        try model.layers[0].setWeights(model.layers[0].getWeights().map { try Ops.multiply($0, Tensor(shape: $0.shape, repeating: 1.5)) })
        assertClose([try model.predict(x)], [try unfused(model, x)], "after set_weights on the Dense")
        try model.trainOnBatch(x, y)
        let trained = try unfused(model, x)
        assertClose([try model.predict(x)], [trained], "after a training step")
        let diff = try Ops.subtract(unfused(model, x), y)
        let mse = try Ops.mean(Ops.square(diff)).scalar ?? .nan
        XCTAssertEqual(try model.testOnBatch(x, y), Double(mse), accuracy: 1e-5, "evaluate")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bn-fold-\(UUID().uuidString).weights.h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.saveWeights(path)
        try randomizeNormalization(model, seed: 41)
        _ = try model.predict(x)
        _ = try model.loadWeights(path)
        assertClose([try model.predict(x)], [trained], "after load_weights")
    }

    /// The fused training op: gradients of the input, scale and offset against finite differences,
    /// channels-last and channels-first (inner axes), and the batch statistics against direct sums.
    func testFusedTrainingOpGradients() throws {
        for (shape, axis) in [([6, 3], -1), ([2, 3, 2, 2], 1), ([3, 2, 4], 1)] {
            let c = shape[axis < 0 ? axis + shape.count : axis]
            let x = GradientCheck.random(shape, in: -2...2, seed: 4)
            let gamma = GradientCheck.random([c], in: 0.5...1.5, seed: 5), beta = GradientCheck.random([c], seed: 6)
            try GradientCheck.check([x, gamma, beta], step: 1e-3, "batchNormalizationTraining \(shape) axis \(axis)") {
                try Ops.batchNormalizationTraining($0[0], axis: axis, offset: $0[2], scale: $0[1], epsilon: 1e-3).output
            }
            let (_, mean, variance) = try Ops.batchNormalizationTraining(x, axis: axis)
            let a = axis < 0 ? axis + shape.count : axis
            let axes = (0..<shape.count).filter { $0 != a }
            let m = try Ops.mean(x, axes: axes), v = try Ops.mean(Ops.square(Ops.subtract(x, Ops.mean(x, axes: axes, keepDims: true))), axes: axes)
            assertClose([mean, variance], [m, v], "moments \(shape)")
        }
    }

    /// The op with given statistics: gradients of every argument against finite differences.
    func testFusedInferenceOpGradients() throws {
        let x = GradientCheck.random([4, 3, 2], seed: 12)
        let stats = [GradientCheck.random([3], seed: 13), GradientCheck.random([3], in: 0.5...2, seed: 14),
                     GradientCheck.random([3], seed: 15), GradientCheck.random([3], in: 0.5...1.5, seed: 16)]
        try GradientCheck.check([x] + stats, step: 1e-3, "batchNormalization") {
            try Ops.batchNormalization($0[0], mean: $0[1], variance: $0[2], axis: 1, offset: $0[3], scale: $0[4], epsilon: 1e-2)
        }
        XCTAssertThrowsError(try Ops.batchNormalization(x, mean: stats[0], variance: stats[1], axis: 2)) { e in
            XCTAssertTrue("\(e)".contains("mean") && "\(e)".contains("axis 2"), "\(e)")
        }
        XCTAssertThrowsError(try Ops.batchNormalizationTraining(x, axis: 3)) { e in XCTAssertTrue("\(e)".contains("axis 3"), "\(e)") }
    }
}
