import XCTest
@testable import Keras

/// Every core layer in one model: it trains, and a warm step allocates no tensor storage.
final class CoreLayersTrainingTests: XCTestCase {
    func makeModel() throws -> Sequential {
        try Sequential([
            Dense(16, activation: .relu, inputShape: [12]), Reshape([4, 4]), Permute([2, 1]), Flatten(),
            Rescaling(0.5, offset: 0.1), Dropout(0.3), ActivityRegularization(l1: 1e-4), RepeatVector(2), Flatten(),
            Lambda { x in Ops.tanh(x) }, Activation("relu"), Dense(3, activation: .softmax),
        ])
    }

    func testWarmTrainingStepThroughEveryCoreLayerAllocatesNoTensorStorage() throws {
        setRandomSeed(8)
        let x = GradientCheck.random([64, 12], seed: 13)
        let labels = try Ops.argmax(Ops.matmul(x, GradientCheck.random([12, 3], seed: 14)))
        let model = try makeModel()
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        for _ in 0..<3 { try model.trainOnBatch(x, labels) }
        let pool = BufferPool.current
        let misses = pool.misses
        for _ in 0..<10 { try model.trainOnBatch(x, labels) }
        XCTAssertEqual(pool.misses, misses, "a warm training step allocated tensor storage")
    }

    func testModelThroughEveryCoreLayerLearns() throws {
        setRandomSeed(9)
        let x = GradientCheck.random([128, 12], seed: 15)
        let labels = try Ops.argmax(Ops.matmul(x, GradientCheck.random([12, 3], seed: 16)))
        let model = try makeModel()
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.01)), loss: "sparse_categorical_crossentropy",
                          metrics: ["accuracy"])
        let history = try model.fit(x, labels, batchSize: 32, epochs: 60, verbose: 0)
        XCTAssertGreaterThan(try XCTUnwrap(history.history["accuracy"]?.last), 0.85)
    }
}
