import XCTest
@testable import Keras

final class SequentialTests: XCTestCase {
    func testXORTrainsToCorrectOutputs() throws {
        setRandomSeed(1337)
        let x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
        let y = Tensor([[0], [1], [1], [0]])
        let model = try Sequential([
            Dense(16, activation: .tanh, inputDim: 2),
            Dense(1, activation: .sigmoid),
        ])
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.05)), loss: "binary_crossentropy", metrics: ["accuracy"])
        let history = try model.fit(x, y, epochs: 300, verbose: 0)
        XCTAssertEqual(history.history["accuracy"]?.last, 1.0)
        let p = try model.predict(x).scalars
        XCTAssertLessThan(p[0], 0.2); XCTAssertGreaterThan(p[1], 0.8)
        XCTAssertGreaterThan(p[2], 0.8); XCTAssertLessThan(p[3], 0.2)
    }

    func testInputShapeShowsBatchAsNone() throws {
        let m1 = try Sequential([Dense(32, inputShape: [784])])
        XCTAssertEqual(m1.inputShape, [nil, 784])
        let m3 = try Sequential([Dense(32, inputShape: [6, 8], batchSize: 32)])
        XCTAssertEqual(m3.inputShape, [32, 6, 8])
        XCTAssertEqual(m3.outputShape, [32, 6, 32])
    }
}
