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

    /// Issue 17: the optimizer's slots count in a fit's budget. Dense(1000) on 1000 inputs has
    /// 1,001,000 trainable floats: Adam keeps two slots each (8,008,000 bytes), SGD none.
    func testOptimizerStateCountsInTheFitBudget() throws {
        let x = Tensor(shape: [4, 1000], repeating: 0.1), y = Tensor(shape: [4, 1000], repeating: 0)
        let adam = try Sequential([InputLayer(shape: [1000]), Dense(1000)])
        try adam.compile(optimizer: "adam", loss: "mse")
        XCTAssertEqual(try adam.compiled?.optimizer.stateBytes(for: adam.trainableWeights), 8_008_000)
        let clipped = try Adam(options: .init(clipnorm: 1, useEMA: true))
        XCTAssertEqual(try clipped.stateBytes(for: adam.trainableWeights), 4 * 1_001_000 * 4, "slots, average, scratch")
        let accumulating = try SGD(options: .init(gradientAccumulationSteps: 2))
        XCTAssertEqual(try accumulating.stateBytes(for: adam.trainableWeights), 2 * 1_001_000 * 4, "accumulator, scratch")
        let sgd = try Sequential([InputLayer(shape: [1000]), Dense(1000)])
        try sgd.compile(optimizer: "sgd", loss: "mse")
        MemoryBudget.bytes = 6 << 20
        defer { MemoryBudget.reset() }
        // One row: 1000 activations, twice in training (8,000 bytes), plus Adam's state.
        XCTAssertThrowsError(try adam.fit(x, y, batchSize: 1, verbose: 0)) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("8008000 bytes of optimizer state") && message.contains("needs 8016000 bytes"), message)
        }
        XCTAssertFalse(adam.compiled?.optimizer.isBuilt ?? true, "the refused fit made no state")
        try sgd.fit(x, y, batchSize: 1, verbose: 0)
    }

    /// Issue 17: im2col columns count with the activations. Conv2D(8, 3x3) on 32x32x4 takes 36
    /// values per output position (above the direct kernel's 32), so it runs by tiles of
    /// columns (issue 12): 1,816 rows a tile (65,536 floats / 36, down to a multiple of 8) in each
    /// of two parts, whatever the batch. Its backward (unit strides) holds per part the larger of
    /// a tile of columns and a tile of the flipped convolution's (904 rows × 72) and the kernel
    /// and bias sums (38 × 8), plus the flipped kernel (36 × 8) and the whole dz (900 × 8 a row).
    /// A grouped convolution keeps full-size columns: 900 positions × 36 floats a row.
    func testConvolutionColumnsCountInTheBudget() throws {
        let conv = try Sequential([InputLayer(shape: [32, 32, 4]), Conv2D(8, kernelSize: [3])])
        let forwardTiles = 2 * 1816 * 36 * 4
        XCTAssertEqual(try conv.scratchBytes(rows: 2, training: false), forwardTiles)
        XCTAssertEqual(try conv.scratchBytes(rows: 200, training: false), forwardTiles, "tiles, whatever the batch")
        XCTAssertEqual(try conv.scratchBytes(rows: 2, training: true), (2 * (max(1816 * 36, 904 * 72) + 38 * 8) + 36 * 8 + 2 * 900 * 8) * 4,
                       "the backward's tiles")
        let grouped = try Sequential([InputLayer(shape: [32, 32, 8]), Conv2D(8, kernelSize: [3], groups: 2)])
        XCTAssertEqual(try grouped.scratchBytes(rows: 2, training: true), 2 * 2 * 900 * 36 * 4, "columns and their gradient")
        let direct = try Sequential([InputLayer(shape: [32, 32, 1]), Conv2D(8, kernelSize: [3])])
        XCTAssertEqual(try direct.scratchBytes(rows: 2, training: true), 0, "9 taps x 1 channel: the direct kernel")
        let transposed = try Sequential([InputLayer(shape: [8, 8, 2]), Conv2DTranspose(4, kernelSize: [3])])
        XCTAssertEqual(try transposed.scratchBytes(rows: 3, training: true), 3 * 64 * 9 * 4 * 4)
        let nested = try Sequential([InputLayer(shape: [32, 32, 4]), conv, Flatten()])
        XCTAssertEqual(try nested.scratchBytes(rows: 1, training: false), forwardTiles)
        // 32 rows predict: 921,600 bytes of outputs fit 1 MiB, not with 523,008 bytes of tiles.
        MemoryBudget.bytes = 1 << 20
        defer { MemoryBudget.reset() }
        XCTAssertThrowsError(try conv.predict(Tensor(shape: [32, 32, 32, 4], repeating: 1), verbose: 0)) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("523008 bytes of kernel scratch") && message.contains("needs 1444608 bytes"), message)
        }
        XCTAssertEqual(try conv.predict(Tensor(shape: [4, 32, 32, 4], repeating: 1), verbose: 0).shape, [4, 30, 30, 8])
    }

    /// Issue 17: a recurrent layer's per-step buffers count with the activations. Per step and
    /// row, LSTM(8) on 3 features keeps the input (3), gates (32), states and cells (16), act(c)
    /// (8) and the step's output (8): 67 floats; training adds the gates' gradient (32), the
    /// outputs' (8), the inputs' twice (6) and the `[x | h_prev | 1]` row of the weight-gradient
    /// GEMM (3 + 8 + 1). GRU(8) returning its sequence: 3 + 24 + 8 + 8 forward, 2 * 24 + 8 + 6
    /// more in training.
    func testRecurrentStepBuffersCountInTheBudget() throws {
        let lstm = try Sequential([InputLayer(shape: [10, 3]), LSTM(8)])
        XCTAssertEqual(try lstm.scratchBytes(rows: 2, training: false), 2 * 10 * 67 * 4)
        XCTAssertEqual(try lstm.scratchBytes(rows: 2, training: true), 2 * 10 * (67 + 46 + 12) * 4)
        let noBias = try Sequential([InputLayer(shape: [10, 3]), LSTM(8, useBias: false)])
        XCTAssertEqual(try noBias.scratchBytes(rows: 1, training: true), 10 * (67 + 46 + 11) * 4)
        let gru = try Sequential([InputLayer(shape: [10, 3]), GRU(8, returnSequences: true)])
        XCTAssertEqual(try gru.scratchBytes(rows: 1, training: true), 10 * (43 + 62) * 4)
        var options = RecurrentCellOptions()
        options.recurrentDropout = 0.5
        let dropped = try Sequential([InputLayer(shape: [10, 3]), SimpleRNN(8, options: options)])
        XCTAssertEqual(try dropped.scratchBytes(rows: 1, training: true), 10 * (8 + 8 + 8) * 2 * 4,
                       "the step path: output, state and the last-output sequence, with their gradients")
        let both = try Sequential([InputLayer(shape: [10, 3]), Bidirectional(LSTM(8))])
        XCTAssertEqual(try both.scratchBytes(rows: 1, training: false), 2 * 10 * 67 * 4)
        // LSTM(64) over 200 steps of 32 features: 32 + 256 + 128 + 64 + 64 = 544 floats a step and
        // row, 13,926,400 bytes for 32 rows beside 8,192 bytes of output.
        let long = try Sequential([InputLayer(shape: [200, 32]), LSTM(64)])
        MemoryBudget.bytes = 2 << 20
        defer { MemoryBudget.reset() }
        let x = Tensor(shape: [32, 200, 32], repeating: 0.1)
        XCTAssertThrowsError(try long.predict(x, verbose: 0)) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("13926400 bytes of kernel scratch") && message.contains("needs 13934592 bytes"), message)
        }
        XCTAssertEqual(try long.predict(x, batchSize: 4, verbose: 0).shape, [32, 64])
    }

    /// Issue 17: ConvLSTM's per-step buffers count too. ConvLSTM2D(4, 3×3) on 5 steps of 8×8×2:
    /// 36 output positions, each keeping 29 blocks of 4 filters a step (30 with
    /// return_sequences; twice in training) and the recurrent convolution's 3·3·4 im2col columns
    /// (twice in training; the input's 3·3·2 run the direct kernel), plus the time-major input
    /// (640 floats a row, twice in training).
    func testConvLSTMStepBuffersCountInTheBudget() throws {
        let conv = try Sequential([InputLayer(shape: [5, 8, 8, 2]), ConvLSTM2D(4, kernelSize: [3])])
        XCTAssertEqual(try conv.scratchBytes(rows: 2, training: false), 2 * (5 * 36 * (29 * 4 + 36) + 640) * 4)
        XCTAssertEqual(try conv.scratchBytes(rows: 1, training: true), (5 * 36 * (58 * 4 + 72) + 1280) * 4)
        let sequence = try Sequential([InputLayer(shape: [5, 8, 8, 2]), ConvLSTM2D(4, kernelSize: [3], returnSequences: true)])
        XCTAssertEqual(try sequence.scratchBytes(rows: 1, training: false), (5 * 36 * (30 * 4 + 36) + 640) * 4)
        // 112,000 bytes a row: 32 rows need 3,584,000 bytes of scratch, beyond a 2 MiB budget.
        MemoryBudget.bytes = 2 << 20
        defer { MemoryBudget.reset() }
        let x = Tensor(shape: [32, 5, 8, 8, 2], repeating: 0.1)
        XCTAssertThrowsError(try conv.predict(x, verbose: 0)) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("3584000 bytes of kernel scratch"), message)
        }
        XCTAssertEqual(try conv.predict(x, batchSize: 4, verbose: 0).shape, [32, 6, 6, 4])
    }

    func testAKernelOutputBeyondTheBudgetIsOutOfMemory() throws {
        MemoryBudget.bytes = 2 << 20
        XCTAssertThrowsError(try ZeroPadding2D(padding: [[512]])(Tensor(shape: [1, 1, 1, 1]))) { e in
            guard case KerasError.outOfMemory(let message) = e else { return XCTFail("\(e) is not outOfMemory") }
            XCTAssertTrue(message.contains("pad: an output of shape") && message.contains("more than the memory budget of \(2 << 20) bytes"), message)
        }
    }
}
