import XCTest
@testable import Keras

/// Issue 17: the activations (and, in training, gradients) of a batch are checked against
/// ``MemoryBudget`` before the loop allocates them; a model whose batch does not fit fails with
/// `KerasError.outOfMemory` (KERAS_ERR_MEMORY, MemoryError) and is left as it was.
final class ActivationBudgetTests: ScratchFolderTestCase {

    /// Input(10) -> Dense(20000, relu) -> Dense(1): 20001 activations (80,004 bytes) per row.
    func wideModel() throws -> Sequential {
        let m = try Sequential([InputLayer(shape: [10]), Dense(20000, activation: .relu), Dense(1)])
        try m.compile(optimizer: "sgd", loss: "mse")
        return m
    }

    func assertOutOfMemory(_ what: String, bytes: Int, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), what) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(what): \(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("needs \(bytes) bytes, more than the memory budget of \(2 << 20) bytes"), "\(what): \(message)")
        }
    }

    func testActivationsBeyondTheBudgetAreRefusedBeforeAllocating() throws {
        let m = try wideModel()
        let x = Tensor(shape: [64, 10], repeating: 0.5), y = Tensor(shape: [64, 1], repeating: 1)
        let before = m.weights.map(\.numpy)
        MemoryBudget.bytes = 2 << 20
        // A batch of 32 rows: 32 * 20001 * 4 = 2,560,128 bytes forward, twice that in training.
        assertOutOfMemory("predict", bytes: 2_560_128) { _ = try m.predict(x) }
        assertOutOfMemory("evaluate", bytes: 2_560_128) { _ = try m.evaluate(x, y, verbose: 0) }
        assertOutOfMemory("fit", bytes: 5_120_256) { try m.fit(x, y, verbose: 0) }
        assertOutOfMemory("fit, 16 rows", bytes: 2_560_128) { try m.fit(x, y, batchSize: 16, verbose: 0) }
        XCTAssertEqual(m.weights.map(\.numpy), before, "a refused fit changes nothing")
        // Batches that fit run: 16 rows predict (1,280,064 bytes), 8 rows train (1,280,064).
        XCTAssertEqual(try m.predict(x, batchSize: 16).shape, [64, 1])
        try m.fit(x, y, batchSize: 8, verbose: 0)
        XCTAssertNotEqual(m.weights.map(\.numpy), before, "the fit that fits trains")
        MemoryBudget.reset()
        XCTAssertEqual(try m.predict(x).shape, [64, 1], "the default budget holds a 32-row batch")
    }

    func testNestedModelsCountTheirLayers() throws {
        let inner = try Sequential([InputLayer(shape: [10]), Dense(20000), Dense(4)])
        let outer = try Sequential([InputLayer(shape: [10]), inner, Dense(1)])
        // Per row: the inner model's output (4) + its layers (20000 + 4) + Dense(1).
        XCTAssertEqual(try outer.activationBytes(rows: 3), 3 * (4 + 20004 + 1) * 4)
    }

    func testAKernelOutputBeyondTheBudgetIsOutOfMemory() throws {
        MemoryBudget.bytes = 2 << 20
        XCTAssertThrowsError(try ZeroPadding2D(padding: [[512]])(Tensor(shape: [1, 1, 1, 1]))) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("pad: an output of shape") && message.contains("more than the memory budget of \(2 << 20) bytes"), message)
        }
    }
}
