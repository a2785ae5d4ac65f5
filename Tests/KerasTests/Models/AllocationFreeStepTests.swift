import XCTest
@testable import Keras
import KerasDatasets
import KerasMallocCounter

/// Heap allocations (malloc calls of any size, from Swift objects, arrays, closures and tensor
/// storage alike) in a warm training step, counted by the interposed malloc of
/// `Tests/MallocCounter` on the calling thread (docs/PERFORMANCE.md, "Counting allocations").
/// Debug build (what `swift test` runs): no optimizer removes anything here.
///
/// The Otto, iris, CNN (with and without BatchNormalization or Dropout), BatchNormalization
/// MLP, LSTM and GRU steps, and the functional MultiHeadAttention model's, run a ``StepPlan`` and
/// allocate nothing, on one core and on two (the bench models: the fan-outs and product halves
/// on the partner thread, which allocates nothing either).
final class AllocationFreeStepTests: XCTestCase {
    /// Allocations the calling thread makes per call of `body`, after `warm` unmeasured calls.
    /// The pool is emptied first, so that buffers cached by earlier tests cannot push it past its
    /// limit (which would send this test's buffers back to the system).
    func allocationsPerCall(warm: Int = 2, calls: Int = 10, _ body: () throws -> Void) rethrows -> Double {
        try allocationCounts(warm: warm, calls: calls, body).thread
    }

    /// As ``allocationsPerCall(warm:calls:_:)``, with the allocations of the whole process too
    /// (the partner thread's, and any other thread's in the same calls).
    func allocationCounts(warm: Int = 2, calls: Int = 10, _ body: () throws -> Void) rethrows -> (thread: Double, process: Double) {
        BufferPool.current.drain()
        for _ in 0..<warm { try body() }
        let before = kmc_thread_allocations(), processBefore = kmc_process_allocations()
        for _ in 0..<calls { try body() }
        return (Double(kmc_thread_allocations() - before) / Double(calls),
                Double(kmc_process_allocations() - processBefore) / Double(calls))
    }

    /// Mallocs per warm `trainStep` of the model that `make` builds, on the first `rows` samples
    /// of `x`, `y`, run as on a machine of two cores whatever this one has
    /// (``Parallel/withCores(_:_:)``: kernels split their parts in two, and the partner thread
    /// exists even on one core), with the partner's busy mark cleared before each step so that
    /// every fan-out and product half is offered to it; on the calling thread and in the whole
    /// process, with the fan-outs shared with the partner (``GemmPartner/fanOuts``) per step.
    func twoCoreStepAllocations(_ make: () throws -> Model, _ x: Tensor, _ y: Tensor, rows: Int,
                                _ label: String) throws -> (thread: Double, process: Double, shared: Double) {
        try Parallel.withCores(2) {
            let partner = try XCTUnwrap(Parallel.partner)
            let model = try make()
            let idx = Array(0..<rows)
            let xs = [try Ops.take(x, idx)], ys = [try Ops.take(y, idx)]
            try model.ensureBuilt(for: xs)
            let c = try model.requireCompiled("test")
            // The calling thread's count is the most of the measurements made and the process's
            // the least of up to three: another thread of the process (an earlier test's search
            // helper retiring after its idle time) may allocate during one, while an allocation
            // of the step recurs in every one.
            var counts = (thread: 0.0, process: Double.infinity)
            var shared = 0.0
            for _ in 0..<3 where counts.process > 0 {
                let sharedBefore = partner.fanOuts.load(ordering: .relaxed)
                let measured = try allocationCounts(warm: 3, calls: 10) {
                    partner.clearBusy()
                    _ = try model.trainStep(xs, ys, nil, c)
                }
                shared = Double(partner.fanOuts.load(ordering: .relaxed) - sharedBefore) / 13
                counts = (Swift.max(counts.thread, measured.thread), Swift.min(counts.process, measured.process))
            }
            print("AllocationFreeStepTests: \(label), two cores: \(counts.thread) mallocs per warm training step "
                  + "on the calling thread, \(counts.process) in the process, \(shared) fan-outs shared with the partner per step")
            return (counts.thread, counts.process, shared)
        }
    }

    /// Mallocs per warm `trainStep` of `model` on the first `rows` samples of `x`, `y`.
    func stepAllocations(_ model: Model, _ x: Tensor, _ y: Tensor, rows: Int, _ label: String) throws -> Double {
        let idx = Array(0..<rows)
        let xs = [try Ops.take(x, idx)], ys = [try Ops.take(y, idx)]
        try model.ensureBuilt(for: xs)
        let c = try model.requireCompiled("test")
        let perStep = try allocationsPerCall { _ = try model.trainStep(xs, ys, nil, c) }
        print("AllocationFreeStepTests: \(label), \(perStep) mallocs per warm training step")
        return perStep
    }

    /// The counter sees Swift's allocations: the interposition works in this executable.
    func testCounterSeesSwiftAllocations() {
        final class Box { var v = 1 }
        let before = kmc_thread_allocations()
        let boxes = (0..<5).map { _ in Box() }
        XCTAssertGreaterThanOrEqual(kmc_thread_allocations() - before, 6, "5 objects and an array were not counted")
        XCTAssertEqual(boxes.count, 5)
        let quiet = kmc_thread_allocations()
        var sum = 0
        for i in 0..<100 { sum &+= i }
        XCTAssertEqual(kmc_thread_allocations(), quiet, "arithmetic was counted as an allocation")
        XCTAssertEqual(sum, 4950)
    }

    /// The Swift runtime's own entry point (`swift_slowAlloc`, behind every object, array and
    /// closure context) reaches the counter, not only C's malloc.
    func testCounterSeesSwiftRuntimeAllocations() {
        let before = kmc_thread_allocations()
        let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)  // swift_slowAlloc
        let after = kmc_thread_allocations()
        p.deallocate()
        XCTAssertEqual(after - before, 1)
    }

    /// seeds/004: Dense(100) → Dense(9) → softmax, SGD, one-hot targets, batch 128.
    func testOttoWarmStepAllocatesNothing() throws {
        setRandomSeed(3)
        let data = Datasets.ottoLike(samples: 256)
        let model = try Sequential([Dense(100, inputShape: [93]), Dense(9), Activation("softmax")])
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        XCTAssertEqual(try stepAllocations(model, data.x, data.yOneHot, rows: 128, "Otto MLP"), 0)
    }

    /// seeds/004's fit loop: outside its first batch, a warm epoch allocates nothing per batch
    /// (batch tensors reused, no per-batch logs, the step plan): one-epoch fits of the same data
    /// over 2 and over 22 steps (`stepsPerEpoch`, one shuffle each) make as many mallocs, give or
    /// take the ±10 by which a fit's own bookkeeping varies from call to call.
    func testOttoFitAllocatesNothingPerBatch() throws {
        setRandomSeed(3)
        let data = Datasets.ottoLike(samples: 22 * 128)
        let model = try Sequential([Dense(100, inputShape: [93]), Dense(9), Activation("softmax")])
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        func perFit(steps: Int) throws -> Double {
            let perFit = try allocationsPerCall(calls: 4) {
                try model.fit(data.x, data.yOneHot, batchSize: 128, epochs: 1, verbose: 0, stepsPerEpoch: steps)
            }
            print("AllocationFreeStepTests: Otto fit of \(steps) batches, \(perFit) mallocs per warm fit")
            return perFit
        }
        let two = try perFit(steps: 2), many = try perFit(steps: 22)
        XCTAssertGreaterThan(two, 0, "a fit makes its iterator, callbacks and history")
        XCTAssertLessThan((many - two) / 20, 0.5, "mallocs per extra batch of a warm epoch")
    }

    /// seeds/003: Dense(8) relu Dense(3) softmax, Adam, sparse labels, accuracy, batch 32 and
    /// the last batch of 7 of a 135-sample epoch.
    func testIrisWarmStepAllocatesNothing() throws {
        setRandomSeed(2)
        let iris = Datasets.iris()
        let model = try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        XCTAssertEqual(try stepAllocations(model, iris.x, iris.y, rows: 32, "iris model"), 0)
        XCTAssertEqual(try stepAllocations(model, iris.x, iris.y, rows: 7, "iris model, last batch"), 0)
    }

    /// The Otto model with its Dense layers written as traced ops (issue 16's
    /// `python_custom_layer_epoch`): the same plan, nothing allocated.
    func testTracedDenseOttoWarmStepAllocatesNothing() throws {
        setRandomSeed(3)
        let data = Datasets.ottoLike(samples: 256)
        let model = try Sequential([InputLayer(shape: [93]), tracedDense(100), tracedDense(9), Activation("softmax")])
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        XCTAssertEqual(try stepAllocations(model, data.x, data.yOneHot, rows: 128, "Otto MLP of traced Dense layers"), 0)
    }

    /// One-hot targets with categorical accuracy and momentum: still nothing.
    func testDenseStackWithCategoricalAccuracyAllocatesNothing() throws {
        setRandomSeed(4)
        let data = Datasets.ottoLike(samples: 64)
        let model = try Sequential([Dense(12, activation: .tanh, inputShape: [93]), Dense(9, activation: .softmax)])
        try model.compile(optimizer: try SGD(learningRate: 0.01, momentum: 0.9), loss: "categorical_crossentropy",
                          metrics: ["accuracy"])
        XCTAssertEqual(try stepAllocations(model, data.x, data.yOneHot, rows: 32, "tanh MLP"), 0)
    }

    /// A regression MLP: Dense(relu) → Dense(1), mean squared error, Adam, without a metric and
    /// with "mae" (31 mallocs per step before its update counted in place).
    func testRegressionMLPWarmStepAllocatesNothing() throws {
        setRandomSeed(10)
        let iris = Datasets.iris()
        let y = try Tensor(shape: [150], scalars: (0..<150).map { iris.x.data[$0 * 4 + 3] })
        let model = try Sequential([InputLayer(shape: [4]), Dense(8, activation: .relu), Dense(1)])
        try model.compile(optimizer: "adam", loss: "mse")
        XCTAssertEqual(try stepAllocations(model, iris.x, y, rows: 32, "regression MLP"), 0)
        let withMAE = try Sequential([InputLayer(shape: [4]), Dense(8, activation: .relu), Dense(1)])
        try withMAE.compile(optimizer: "adam", loss: "mse", metrics: ["mae"])
        XCTAssertEqual(try stepAllocations(withMAE, iris.x, y, rows: 32, "regression MLP with mae"), 0)
    }

    /// A one-row prediction of a Dense stack makes only its output (one storage object).
    func testOneRowPredictAllocatesOnlyItsOutput() throws {
        let small = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
        let row = Tensor([[5.1, 3.5, 1.4, 0.2]])
        let perCall = try allocationsPerCall { _ = try small.predictOnBatch(row) }
        XCTAssertEqual(perCall, 1)
    }

    /// Conv2D + MaxPooling2D + Flatten + Dense (conv_epoch's model, smaller): the plan's
    /// convolution front; and with the MNIST convnet's Dropout after the Flatten.
    func testCNNWarmStepAllocatesNothing() throws {
        setRandomSeed(5)
        let x = try Tensor(shape: [16, 8, 8, 1], scalars: (0..<1024).map { Float($0 % 11) / 11 })
        let y = try Tensor(shape: [16], scalars: (0..<16).map { Float($0 % 3) })
        let model = try Sequential([InputLayer(shape: [8, 8, 1]), Conv2D(4, kernelSize: [3], activation: .relu),
                                    MaxPooling2D(poolSize: [2]), Flatten(), Dense(3, activation: .softmax)])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        XCTAssertEqual(try stepAllocations(model, x, y, rows: 16, "Conv2D CNN"), 0)
        let dropout = try Sequential([InputLayer(shape: [8, 8, 1]), Conv2D(4, kernelSize: [3], activation: .relu),
                                      MaxPooling2D(poolSize: [2]), Flatten(), Dropout(0.5), Dense(3, activation: .softmax)])
        try dropout.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        XCTAssertEqual(try stepAllocations(dropout, x, y, rows: 16, "Conv2D CNN with Dropout"), 0)
    }

    /// bn_cnn_epoch's model, smaller: Conv2D → BatchNormalization → MaxPooling2D → Flatten → Dense.
    func testBatchNormalizedCNNWarmStepAllocatesNothing() throws {
        setRandomSeed(8)
        let x = try Tensor(shape: [16, 8, 8, 1], scalars: (0..<1024).map { Float($0 % 13) / 13 })
        let y = try Tensor(shape: [16], scalars: (0..<16).map { Float($0 % 3) })
        let model = try Sequential([InputLayer(shape: [8, 8, 1]), Conv2D(4, kernelSize: [3], activation: .relu),
                                    BatchNormalization(), MaxPooling2D(poolSize: [2]), Flatten(), Dense(3, activation: .softmax)])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        XCTAssertEqual(try stepAllocations(model, x, y, rows: 16, "Conv2D + BatchNormalization CNN"), 0)
    }

    /// MultiHeadAttention self-attention (2 heads, key_dim 4) → GlobalAveragePooling1D → Dense(1),
    /// mse (mha_epoch's model, smaller): a functional chain, the plan's attention front.
    func testAttentionWarmStepAllocatesNothing() throws {
        setRandomSeed(9)
        let x = try Tensor(shape: [16, 6, 8], scalars: (0..<768).map { Float($0 % 17) / 17 })
        let y = try Tensor(shape: [16, 1], scalars: (0..<16).map { Float($0) / 16 })
        let input = Input(shape: [6, 8])
        let h = try MultiHeadAttention(numHeads: 2, keyDim: 4)([input, input])
        let model = try Model(inputs: input, outputs: try Dense(1)(try GlobalAveragePooling1D()(h)))
        try model.compile(optimizer: "adam", loss: "mse")
        XCTAssertEqual(try stepAllocations(model, x, y, rows: 16, "MultiHeadAttention"), 0)
    }

    /// mha_epoch's model at its shape (4 heads, key_dim 16, 64 steps of 64 features, batches of
    /// 32): nothing on one core with one OpenBLAS thread (as inside a parallel search), and
    /// nothing on two cores, where the attention kernels split the (sequence, head) pairs in two
    /// parts (`Parallel.forEachPart`) that this thread and the partner take in turn (6.1–6.5
    /// mallocs per step on this thread when Dispatch ran them), on this thread or the partner.
    func testBenchAttentionWarmStepAllocatesNothingOnOneAndTwoCores() throws {
        setRandomSeed(9)
        let x = try Tensor(shape: [32, 64, 64], scalars: (0..<131_072).map { Float($0 % 17) / 17 })
        let y = try Tensor(shape: [32, 1], scalars: (0..<32).map { Float($0) / 32 })
        func make() throws -> Model {
            let input = Input(shape: [64, 64])
            let h = try MultiHeadAttention(numHeads: 4, keyDim: 16)([input, input])
            let model = try Model(inputs: input, outputs: try Dense(1)(try GlobalAveragePooling1D()(h)))
            try model.compile(optimizer: "adam", loss: "mse")
            return model
        }
        // One core as a search's worker runs: no fan-out, OpenBLAS on one thread (its own
        // threads' dispatch mallocs 4 times per step here on the calling thread).
        Parallel.isWorkerThread = true
        defer { Parallel.isWorkerThread = false }
        let oneCore = try Parallel.withSingleThreadedBLAS { try stepAllocations(try make(), x, y, rows: 32, "mha_epoch, one core") }
        Parallel.isWorkerThread = false
        XCTAssertEqual(oneCore, 0)
        let two = try twoCoreStepAllocations(make, x, y, rows: 32, "mha_epoch")
        XCTAssertEqual(two.thread, 0)
        XCTAssertEqual(two.process, 0, "the partner thread (or another) allocated")
        XCTAssertGreaterThanOrEqual(two.shared, 1, "the attention kernels' parts were not shared with the partner")
    }

    /// LSTM(8) → Dense(1), mse (lstm_epoch's model, smaller): the plan's recurrent front (258
    /// mallocs per step on the general tape step).
    func testLSTMWarmStepAllocatesNothing() throws {
        setRandomSeed(6)
        let x = try Tensor(shape: [16, 5, 3], scalars: (0..<240).map { Float($0 % 7) / 7 })
        let y = try Tensor(shape: [16, 1], scalars: (0..<16).map { Float($0) / 16 })
        let model = try Sequential([InputLayer(shape: [5, 3]), LSTM(8), Dense(1)])
        try model.compile(optimizer: "adam", loss: "mse")
        XCTAssertEqual(try stepAllocations(model, x, y, rows: 16, "LSTM"), 0)
    }

    /// lstm_epoch's and gru_epoch's models as the bench runs them: 50 steps of 8 features,
    /// LSTM(32) or GRU(32) (reset_after, Keras's default) → Dense(1), mse, Adam, batches of 64.
    /// On one core (`SWIFTKERAS_TWO_CORE=0`, as in a search) a warm step allocates nothing; on
    /// two, where each pass through time runs the batch's rows in two slices, one on the partner
    /// thread (6.4–6.5 mallocs per step on this thread when `concurrentPerform` ran them),
    /// nothing either, on this thread or the partner.
    func testBenchRecurrentWarmStepsAllocateNothingOnOneAndTwoCores() throws {
        setRandomSeed(8)
        let x = try Tensor(shape: [64, 50, 8], scalars: (0..<25_600).map { Float($0 % 13) / 13 - 0.5 })
        let y = try Tensor(shape: [64, 1], scalars: (0..<64).map { Float($0 % 4) / 4 })
        for (label, layer) in [("lstm_epoch", { try LSTM(32) as Layer }), ("gru_epoch", { try GRU(32) })] {
            func make() throws -> Model {
                let model = try Sequential([InputLayer(shape: [50, 8]), try layer(), Dense(1)])
                try model.compile(optimizer: "adam", loss: "mse")
                return model
            }
            Parallel.twoCoreFits = false
            defer { Parallel.twoCoreFits = true }
            XCTAssertEqual(try stepAllocations(try make(), x, y, rows: 64, "\(label), one core"), 0, label)
            Parallel.twoCoreFits = true
            let two = try twoCoreStepAllocations(make, x, y, rows: 64, label)
            XCTAssertEqual(two.thread, 0, label)
            XCTAssertEqual(two.process, 0, "\(label): the partner thread (or another) allocated")
            XCTAssertGreaterThanOrEqual(two.shared, 1, "\(label): the passes through time were not shared with the partner")
        }
    }

    /// Dense → BatchNormalization → relu → Dense softmax: the plan's normalization stage.
    func testBatchNormalizationWarmStepAllocatesNothing() throws {
        setRandomSeed(7)
        let iris = Datasets.iris()
        let model = try Sequential([InputLayer(shape: [4]), Dense(8), BatchNormalization(), try Activation("relu"),
                                    Dense(3, activation: .softmax)])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
        XCTAssertEqual(try stepAllocations(model, iris.x, iris.y, rows: 32, "BatchNormalization MLP"), 0)
    }

    /// A traced layer `x * w + noise` (the VAE's sampling shape: noise of the input's batch drawn
    /// by the graph's random op at every step) against the same graph with `zeros_like(x)` in
    /// place of the draw: the random op adds no allocation to a warm step (a generic traced
    /// graph allocates its own few per step; the op's shape is reused while the batch stays).
    func testTracedRandomOpAddsNoAllocationToAWarmStep() throws {
        setRandomSeed(9)
        let data = Datasets.ottoLike(samples: 64)
        func noisy(_ random: Bool) -> CallbackLayer {
            var f = CallbackLayerFunctions { _, _, _, _ in throw KerasError.invalidState("the forward callback ran") }
            f.build = { shape, add in
                try add("w", [93], try deserializeInitializer(.string("ones")), true, nil, nil)
                guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
                let none = JSON.object([]), x = try g.addInput()
                let noise = random
                    ? try g.addOp("random_normal", [x], attributes: .object([("shape", .array([.int(-1), .int(93)])), ("seed", .int(1))]))
                    : try g.addOp("zeros_like", [x], attributes: none)
                try g.setOutput(try g.addOp("add", [try g.addOp("multiply", [x, g.addWeight(0)], attributes: none), noise],
                                            attributes: none), training: nil)
            }
            return CallbackLayer(className: random ? "Noisy" : "Quiet", functions: f)
        }
        var counts: [Double] = []
        for random in [false, true] {
            let model = try Sequential([InputLayer(shape: [93]), noisy(random), Dense(9, activation: .softmax)])
            try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
            counts.append(try stepAllocations(model, data.x, data.yOneHot, rows: 32, "traced x * w + \(random ? "random_normal" : "zeros_like")"))
        }
        XCTAssertLessThanOrEqual(counts[1], counts[0])
    }
}
