import XCTest
@testable import Keras

/// A model compiled without a loss (Keras's `compile(optimizer)`) trains and evaluates on its
/// add_loss terms and penalties alone, without targets; with none at all a step fails with
/// Keras's message.
final class AddLossOnlyTrainingTests: XCTestCase {
    /// Dense (kernel ones, no bias) then ActivityRegularization(l2: 1): the loss of a batch is
    /// sum(y^2) / batch.
    private func model() throws -> Sequential {
        try Sequential([Dense(2, useBias: false, kernelInitializer: Ones(), inputDim: 3), ActivityRegularization(l2: 1)])
    }

    private func penalty(_ x: Tensor, kernel: [Float]) -> Double {
        let rows = x.shape[0]
        var total = 0.0
        for i in 0..<rows {
            for j in 0..<2 {
                var y = 0.0
                for k in 0..<3 { y += Double(x.scalars[i * 3 + k]) * Double(kernel[k * 2 + j]) }
                total += y * y
            }
        }
        return total / Double(rows)
    }

    func testFitAndEvaluateWithoutTargetsUseTheAddedLoss() throws {
        let x = GradientCheck.random([8, 3], seed: 5)
        let m = try model()
        try m.compile(optimizer: .instance(try SGD(learningRate: 0.01)))
        let before = penalty(x, kernel: Array(repeating: 1, count: 6))
        XCTAssertEqual(try m.evaluateDict([x], [], verbose: 0)[0].1, before, accuracy: 1e-5 * before)
        let history = try m.fit([x], [], batchSize: 8, epochs: 1, verbose: 0, shuffle: false)
        XCTAssertEqual(try XCTUnwrap(history.history["loss"]?.first), before, accuracy: 1e-5 * before)
        // One SGD step on sum(y^2) / 8: d/dK = 2 x^T y / 8.
        var expected = [Float](repeating: 1, count: 6)
        for k in 0..<3 {
            for j in 0..<2 {
                var g = 0.0
                for i in 0..<8 {
                    let y = (0..<3).reduce(0.0) { $0 + Double(x.scalars[i * 3 + $1]) }
                    g += 2 * Double(x.scalars[i * 3 + k]) * y / 8
                }
                expected[k * 2 + j] -= Float(0.01 * g)
            }
        }
        let kernel = m.layers[0].variables[0].storedValue.scalars
        for (a, b) in zip(kernel, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(try m.trainOnBatch([x], []), penalty(x, kernel: kernel), accuracy: 1e-5)
    }

    /// keras.io's "making new layers" guide: a model of ActivityRegularization alone has no
    /// trainable weights; fit reports its loss (mse plus the penalty, or the penalty alone) and
    /// trains nothing, as Keras does (the step used to ask the tape for a gradient of nothing).
    func testModelWithoutTrainableWeightsFitsItsLoss() throws {
        let x = GradientCheck.random([2, 3], seed: 9)
        let y = GradientCheck.random([2, 3], seed: 10)
        let m = try Sequential([ActivityRegularization(l1: 0.01, inputDim: 3)])
        try m.compile(optimizer: "adam", loss: "mse")
        var mse = 0.0, l1 = 0.0
        for i in 0..<6 {
            let d = Double(x.scalars[i] - y.scalars[i])
            mse += d * d / 6
            l1 += 0.01 * Double(abs(x.scalars[i])) / 2
        }
        let history = try m.fit([x], [y], batchSize: 2, epochs: 2, verbose: 0, shuffle: false)
        for loss in try XCTUnwrap(history.history["loss"]) { XCTAssertEqual(loss, mse + l1, accuracy: 1e-6) }
        try m.compile(optimizer: "adam")
        let penaltyOnly = try m.fit([x], [], batchSize: 2, epochs: 1, verbose: 0, shuffle: false)
        XCTAssertEqual(try XCTUnwrap(penaltyOnly.history["loss"]?.first), l1, accuracy: 1e-6)
    }

    func testNoLossAtAllIsKerasMessage() throws {
        let m = try Sequential([Dense(2, inputDim: 3)])
        try m.compile(optimizer: "adam")
        let x = GradientCheck.random([4, 3], seed: 6)
        XCTAssertThrowsError(try m.fit([x], [], verbose: 0)) {
            XCTAssertTrue("\($0)".contains("No loss to compute. Provide a `loss` argument in `compile()`."), "\($0)")
        }
        XCTAssertEqual(try m.predict(x).shape, [4, 2])
    }

    func testCompiledLossStillNeedsTargetsAndMetricsNeedThem() throws {
        let x = GradientCheck.random([4, 3], seed: 7)
        let m = try model()
        try m.compile(optimizer: "sgd", loss: "mse")
        XCTAssertThrowsError(try m.fit([x], [], verbose: 0)) { XCTAssertTrue("\($0)".contains("0 target array(s)"), "\($0)") }
        try m.compile(optimizer: "sgd", losses: [], metrics: [["mae"]])
        XCTAssertThrowsError(try m.fit([x], [], verbose: 0)) { XCTAssertTrue("\($0)".contains("need targets"), "\($0)") }
    }

    func testCompileConfigWithoutLossRoundTrips() throws {
        let m = try model()
        try m.compile(optimizer: "adam")
        let config = try XCTUnwrap(m.compileConfig())
        XCTAssertEqual(config["loss"], .null)
        let other = try model()
        try other.compileFromConfig(config)
        let x = GradientCheck.random([4, 3], seed: 8)
        XCTAssertEqual(try other.testOnBatchAll([x]), try m.testOnBatchAll([x]), accuracy: 1e-6)
    }
}

private extension Model {
    func testOnBatchAll(_ xs: [Tensor]) throws -> Double { try evaluateDict(xs, [], verbose: 0)[0].1 }
}
