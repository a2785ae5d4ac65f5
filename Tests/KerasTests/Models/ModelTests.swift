import XCTest
@testable import Keras

final class ModelTests: XCTestCase {
    func testFitBeforeCompileSaysSo() throws {
        let model = try Sequential([Dense(1, inputShape: [2])])
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2]]), Tensor([[1]]), verbose: 0)) { error in
            XCTAssertTrue("\(error)".contains("compile"), "\(error)")
        }
    }

    func testUnknownNamesAreRejectedWithTheName() throws {
        let model = try Sequential([Dense(1, inputShape: [2])])
        XCTAssertThrowsError(try model.compile(optimizer: "adamm", loss: "mse")) { XCTAssertTrue("\($0)".contains("adamm")) }
        XCTAssertThrowsError(try model.compile(loss: "mean_squared_errr")) { XCTAssertTrue("\($0)".contains("mean_squared_errr")) }
        XCTAssertThrowsError(try Dense(3, activation: "relux")) { XCTAssertTrue("\($0)".contains("relux")) }
        try model.compile(loss: "mse", metrics: ["accurasy"])
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2]]), Tensor([[1]]), verbose: 0)) { XCTAssertTrue("\($0)".contains("accurasy")) }
    }

    func testNaNInDataIsRejected() throws {
        let model = try Sequential([Dense(1, inputShape: [2])])
        try model.compile(loss: "mse")
        XCTAssertThrowsError(try model.fit(Tensor([[1, .nan]]), Tensor([[1]]), verbose: 0)) { XCTAssertTrue("\($0)".contains("NaN")) }
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2]]), Tensor([[.infinity]]), verbose: 0)) { XCTAssertTrue("\($0)".contains("target")) }
        XCTAssertThrowsError(try model.predict(Tensor([[.nan, 1]])))
    }

    func testWrongShapesAreRejected() throws {
        let model = try Sequential([Dense(1, inputShape: [2])])
        try model.compile(loss: "mse")
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2, 3]]), Tensor([[1]]), verbose: 0)) { XCTAssertTrue("\($0)".contains("(None, 2)"), "\($0)") }
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2], [3, 4]]), Tensor([[1]]), verbose: 0)) { XCTAssertTrue("\($0)".contains("samples"), "\($0)") }
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2]]), Tensor([[1]]), batchSize: 0, verbose: 0))
        XCTAssertThrowsError(try model.fit(Tensor([[1, 2]]), Tensor([[1]]), verbose: 0, validationSplit: 1.5))
    }

    /// Keras's `train_validation_split`: floor(rows * (1 - validation_split)) rows train, the
    /// rest validate (24 rows at 0.2: 19 and 5, where rows - floor(rows * 0.2) would give 20).
    func testValidationSplitKeepsKerasRowCount() throws {
        final class Counter: Callback, @unchecked Sendable {
            var trainBatches = 0, testBatches = 0
            override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { trainBatches += 1 }
            override func onTestBatchEnd(_ batch: Int, logs: Logs) throws { testBatches += 1 }
        }
        let model = try Sequential([Dense(1, inputShape: [2])])
        try model.compile(loss: "mse")
        let counter = Counter()
        _ = try model.fit(Tensor(shape: [24, 2], repeating: 1), Tensor(shape: [24, 1], repeating: 0),
                          batchSize: 1, epochs: 1, verbose: 0, callbacks: [counter], validationSplit: 0.2)
        XCTAssertEqual(counter.trainBatches, 19)
        XCTAssertEqual(counter.testBatches, 5)
    }

    /// Keras's `Functional._adjust_input_rank`: data one rank short of an input whose last
    /// dimension is 1 gains that axis, data one rank over with a last axis of 1 loses it.
    func testInputRankAdjustedAsKeras() throws {
        let input = Input(shape: [1])
        let model = try Model(inputs: input, outputs: try Dense(2, kernelInitializer: Ones())(input))
        let y = try model.predict(Tensor([1, 2, 3]))
        XCTAssertEqual(y.shape, [3, 2])
        XCTAssertEqual(y.scalars, [1, 1, 2, 2, 3, 3])
        let wide = Input(shape: [2])
        let sum = try Model(inputs: wide, outputs: try Dense(1, kernelInitializer: Ones())(wide))
        XCTAssertEqual(try sum.predict(Tensor(shape: [1, 2, 1], scalars: [1, 2])).scalars, [3])
        let sequential = try Sequential([Dense(1, kernelInitializer: Ones(), inputShape: [1])])
        XCTAssertEqual(try sequential.predict(Tensor([4, 5])).scalars, [4, 5])
        XCTAssertThrowsError(try sum.predict(Tensor([1, 2])))   // (2,) for (None, 2): no rule
    }

    func testSequentialBuildsLazilyFromFirstData() throws {
        let model = try Sequential([Dense(5), Dense(1)])
        XCTAssertFalse(model.built)
        XCTAssertThrowsError(try model.countParams())
        _ = try model.predict(Tensor(shape: [3, 7], repeating: 1))
        XCTAssertEqual(model.inputShape, [3, 7])   // the first batch's rows, as Keras records them
        XCTAssertEqual(try model.predict(Tensor(shape: [5, 7], repeating: 1)).shape, [5, 1])
        XCTAssertEqual(try model.countParams(), 7 * 5 + 5 + 5 + 1)
        XCTAssertEqual(model.layers.count, 2)
    }

    func testLayersAccessorsAndWeights() throws {
        LayerNames.reset()
        let model = try Sequential([Dense(4, inputShape: [3]), Activation("relu"), Dense(2)])
        XCTAssertEqual(model.layers.map(\.name), ["dense", "activation", "dense_1"])
        XCTAssertTrue(try model.getLayer(name: "dense_1") === model.layers[2])
        XCTAssertTrue(try model.getLayer(index: 1) === model.layers[1])
        XCTAssertThrowsError(try model.getLayer(index: 3))
        XCTAssertThrowsError(try model.getLayer(name: "nope"))
        let weights = model.getWeights()
        XCTAssertEqual(weights.map(\.shape), [[3, 4], [4], [4, 2], [2]])
        let replaced = weights.map { Tensor(shape: $0.shape, repeating: 0.5) }
        try model.setWeights(replaced)
        XCTAssertEqual(model.getWeights(), replaced)
        XCTAssertThrowsError(try model.setWeights(Array(replaced.dropLast())))
        XCTAssertThrowsError(try model.setWeights([Tensor(shape: [4, 3])] + replaced.dropFirst()))
    }

    func testFrozenLayerIsNotTrained() throws {
        setRandomSeed(5)
        let first = Dense(4, inputShape: [3])
        let model = try Sequential([first, Dense(1)])
        first.trainable = false
        try model.compile(optimizer: "sgd", loss: "mse")
        let before = first.getWeights()
        try model.fit(Tensor(shape: [8, 3], repeating: 1), Tensor(shape: [8, 1], repeating: 3), epochs: 3, verbose: 0)
        XCTAssertEqual(first.getWeights(), before)
        XCTAssertEqual(model.trainableWeights.count, 2)
        XCTAssertEqual(model.nonTrainableWeights.count, 2)
    }

    func testFunctionalModelWithTwoInputsAndTwoOutputsTrains() throws {
        setRandomSeed(6)
        let a = Input(shape: [3]), b = Input(shape: [2])
        let ha = try Dense(8, activation: .tanh)(a)
        let hb = try Dense(8, activation: .tanh)(b)
        let merged = try Lambda { xs in try Ops.concatenate(xs, axis: -1) }([ha, hb])
        let out1 = try Dense(1, name: "sum")(merged)
        let out2 = try Dense(2, activation: .softmax, name: "sign")(merged)
        let model = try Model(inputs: [a, b], outputs: [out1, out2])
        XCTAssertEqual(model.outputShapes, [[nil, 1], [nil, 2]])
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.02)), losses: ["mse", "sparse_categorical_crossentropy"],
                          metrics: [[], ["accuracy"]], lossWeights: [1, 0.5])
        let g = RandomGenerator(seed: 9)
        let n = 256
        let xa = Tensor(shape: [n, 3]), xb = Tensor(shape: [n, 2])
        let y1 = Tensor(shape: [n, 1]), y2 = Tensor(shape: [n])
        for i in 0..<n {
            var s: Float = 0
            for j in 0..<3 { xa.data[i * 3 + j] = g.uniform(-1, 1); s += xa.data[i * 3 + j] }
            for j in 0..<2 { xb.data[i * 2 + j] = g.uniform(-1, 1); s += xb.data[i * 2 + j] }
            y1.data[i] = s
            y2.data[i] = s > 0 ? 1 : 0
        }
        let history = try model.fit([xa, xb], [y1, y2], epochs: 60, verbose: 0)
        XCTAssertEqual(Set(history.history.keys), ["loss", "sum_loss", "sign_loss", "sign_accuracy"])
        XCTAssertLessThan(history.history["sum_loss"]?.last ?? 1, 0.05)
        XCTAssertGreaterThan(history.history["sign_accuracy"]?.last ?? 0, 0.9)
        let total = (history.history["sum_loss"]?.last ?? 0) + 0.5 * (history.history["sign_loss"]?.last ?? 0)
        XCTAssertEqual(history.history["loss"]?.last ?? 0, total, accuracy: 1e-3)
    }

    func testAnOutputWithoutALossIsNotTrainedAndItsTargetIsNotRead() throws {
        setRandomSeed(7)
        let x = Input(shape: [3])
        let free = try Dense(2, name: "free")(x)
        let fitted = try Dense(1, name: "fitted")(x)
        let model = try Model(inputs: [x], outputs: [free, fitted])
        try model.compile(optimizer: "sgd", losses: [nil, "mse"], metrics: [["mae"], []])
        let before = try XCTUnwrap(model.layers.first { $0.name == "free" }).getWeights()
        let xs = Tensor(shape: [8, 3], repeating: 0.5), y = Tensor(shape: [8, 1], repeating: 2)
        let ignored = Tensor(shape: [8, 2], repeating: 1)
        let history = try model.fit([xs], [ignored, y], epochs: 2, verbose: 0)
        // Keras logs each output's loss only when more than one output has one.
        XCTAssertEqual(Set(history.history.keys), ["loss", "free_mae"])
        XCTAssertEqual(try XCTUnwrap(model.layers.first { $0.name == "free" }).getWeights(), before)
        let config = try XCTUnwrap(model.compileConfig())
        XCTAssertEqual(config["loss"], .array([.null, "mse"]))
        let again = try Model(inputs: [x], outputs: [free, fitted])
        try again.compileFromConfig(config)
        XCTAssertEqual(again.compileConfig()?["loss"], .array([.null, "mse"]))
    }

    func testCallingALayerOnATensorShowsIntermediateValues() throws {
        let model = try Sequential([Dense(2, inputShape: [2]), Activation("relu")])
        let dense = try XCTUnwrap(model.layers[0] as? Dense)
        try dense.setWeights([Tensor([[1, -1], [2, 1]]), Tensor([0.5, -3])])
        let x = Tensor([[1, 1]])
        let values1 = try dense(x)
        XCTAssertEqual(values1.scalars, [3.5, -3])
        let values2 = try model.layers[1](values1)
        XCTAssertEqual(values2.scalars, [3.5, 0])
        XCTAssertEqual(try model.predict(x).scalars, [3.5, 0])
        XCTAssertEqual(dense.kernel?.value.shape, [2, 2])
    }

    func testInitialEpochStepsPerEpochAndValidationFreq() throws {
        let model = try Sequential([Dense(1, inputShape: [1])])
        try model.compile(optimizer: "sgd", loss: "mse")
        let x = Tensor(shape: [64, 1], repeating: 1), y = Tensor(shape: [64, 1], repeating: 2)
        let counter = StepCounter()
        let h = try model.fit(x, y, batchSize: 8, epochs: 5, verbose: 0, callbacks: [counter],
                              validationData: (x, y), initialEpoch: 2, stepsPerEpoch: 3, validationFreq: 2)
        XCTAssertEqual(h.epoch, [2, 3, 4])
        // 8 batches of data for 3 x 3 steps: Keras 3.15 ends the third epoch after 2 steps
        // when the data run out ("Your input ran out of data"), so 8 steps in all.
        XCTAssertEqual(counter.batches, 8)
        XCTAssertEqual(h.history["val_loss"]?.count, 1, "validated only every second epoch")
    }

    /// validation_freq counts epochs from 1 whatever the initial epoch (Keras 3's
    /// `_should_eval(epoch, freq)`: `(epoch + 1) % freq == 0`): epochs 3, 4, 5 validate at 3
    /// and 5, as `model.fit(initial_epoch=3, epochs=6, validation_freq=2)` in Keras 3.15.
    func testValidationFreqCountsEpochsFromOne() throws {
        let model = try Sequential([Dense(1, inputShape: [1])])
        try model.compile(optimizer: "sgd", loss: "mse")
        let x = Tensor(shape: [16, 1], repeating: 1), y = Tensor(shape: [16, 1], repeating: 2)
        var validated: [Int] = []
        let h = try model.fit(x, y, batchSize: 8, epochs: 6, verbose: 0,
                              callbacks: [LambdaCallback(onEpochEnd: { e, logs in if logs["val_loss"] != nil { validated.append(e) } })],
                              validationData: (x, y), initialEpoch: 3, validationFreq: 2)
        XCTAssertEqual(h.epoch, [3, 4, 5])
        XCTAssertEqual(validated, [3, 5])
        XCTAssertEqual(h.history["val_loss"]?.count, 2)
    }

    func testValidationSampleWeightsWeighTheValidationLoss() throws {
        let model = try Sequential([Dense(1, kernelInitializer: Zeros(), inputShape: [1])])
        try model.compile(optimizer: "sgd", loss: "mse")
        let x = Tensor([[1], [2], [3], [4]]), y = Tensor([[1], [0], [0], [0]])
        let w = Tensor([1, 0, 0, 0])
        // Validation runs after the epoch's training, on the weights evaluate() then sees.
        let h = try model.fit([x], [y], epochs: 1, verbose: 0, validationData: ([x], [y]),
                              stepsPerEpoch: 1, validationFreq: 1, validationSampleWeight: w)
        let expected = try model.evaluate(x, y, verbose: 0, sampleWeight: w)[0]
        XCTAssertEqual(h.history["val_loss"]?.first ?? .nan, expected, accuracy: 1e-6)
        let unweighted = try model.evaluate(x, y, verbose: 0)[0]
        XCTAssertNotEqual(h.history["val_loss"]?.first ?? .nan, unweighted, accuracy: 1e-5)
    }

    func testInterruptionStopsFitAfterTheCurrentBatch() throws {
        final class InterruptAtSecondBatch: Callback, @unchecked Sendable {
            var batches = 0
            override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
                batches += 1
                if batches == 2 { Interruption.request() }
            }
        }
        defer { Interruption.clear() }
        let model = try Sequential([Dense(1, inputShape: [1])])
        try model.compile(loss: "mse")
        let cb = InterruptAtSecondBatch()
        XCTAssertThrowsError(try model.fit(Tensor(shape: [8, 1], repeating: 1), Tensor(shape: [8, 1], repeating: 1),
                                           batchSize: 2, epochs: 3, verbose: 0, callbacks: [cb])) {
            XCTAssertTrue("\($0)".contains("interrupted"), "\($0)")
        }
        XCTAssertEqual(cb.batches, 2)
        Interruption.clear()
        XCTAssertNoThrow(try model.predict(Tensor(shape: [2, 1], repeating: 1)))
    }

    func testStopTrainingFromACallbackEndsFit() throws {
        final class StopAfterTwo: Callback, @unchecked Sendable {
            override func onEpochEnd(_ epoch: Int, logs: Logs) throws { if epoch == 1 { model?.stopTraining = true } }
        }
        let model = try Sequential([Dense(1, inputShape: [1])])
        try model.compile(loss: "mse")
        let h = try model.fit(Tensor([[1]]), Tensor([[1]]), epochs: 10, verbose: 0, callbacks: [StopAfterTwo()])
        XCTAssertEqual(h.epoch, [0, 1])
    }

    func testEvaluateReturnsLossThenMetricsInCompileOrder() throws {
        let model = try Sequential([Dense(1, useBias: false, kernelInitializer: Ones(), inputShape: [1])])
        try model.compile(loss: "mse", metrics: ["mae"])
        let r = try model.evaluate(Tensor([[1], [2]]), Tensor([[2], [2]]), verbose: 0)
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(r[1], 0.5, accuracy: 1e-6)
    }

    func testSetRandomSeedMakesRunsReproducible() throws {
        func run() throws -> [Float] {
            setRandomSeed(11)
            let m = try Sequential([Dense(4, activation: .relu, inputShape: [3]), Dropout(0.5), Dense(1)])
            try m.compile(loss: "mse")
            try m.fit(Tensor(shape: [16, 3], repeating: 0.3), Tensor(shape: [16, 1], repeating: 1), batchSize: 4, epochs: 2, verbose: 0)
            return m.getWeights().flatMap(\.scalars)
        }
        XCTAssertEqual(try run(), try run())
    }
}

final class StepCounter: Callback, @unchecked Sendable {
    var batches = 0
    override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { batches += 1 }
}

final class CompileFormsTests: XCTestCase {
    func testCompileTakesObjectsAsWellAsNames() throws {
        let model = try Sequential([Dense(1, inputShape: [2])])
        try model.compile(optimizer: try SGD(learningRate: 0.02, momentum: 0.9, nesterov: true), loss: MeanSquaredError())
        XCTAssertTrue(model.optimizer is SGD)
        try model.compile(optimizer: try Adam(), loss: "mae", metrics: ["mse"])
        XCTAssertTrue(model.optimizer is Adam)
        try model.compile(loss: "mse")
        XCTAssertTrue(model.optimizer is RMSprop, "Keras's compile defaults to rmsprop")
    }

    func testKernelPrintsLikeAKerasVariable() throws {
        let dense = Dense(2, inputShape: [1])
        let model = try Sequential([dense])
        try dense.setWeights([Tensor([[1, 2]]), Tensor([0, 0])])
        XCTAssertEqual(dense.kernel?.description, "<Variable path=\(model.name)/\(dense.name)/kernel, shape=(1, 2), dtype=float32, value=[[1. 2.]]>")
    }
}
