import XCTest
@testable import Keras
import KerasDatasets

/// ``StepPlan`` and the Dense-stack inference plan against the general tape path: the same
/// weights, losses, metrics and predictions bit for bit, and the general path wherever a step is
/// not of the plan's shape.
final class StepPlanTests: XCTestCase {
    /// Trains two copies of one model from the same seed, one with step plans and one through the
    /// general tape step, and checks that everything agrees exactly. Returns the planned model.
    @discardableResult
    func assertPlanMatchesTape<M: Model>(_ make: () throws -> M, compile: (Model) throws -> Void, x: Tensor, y: Tensor,
                                         batch: Int, epochs: Int = 3, validationSplit: Double = 0, expectPlan: Bool = true,
                                         file: StaticString = #filePath, line: UInt = #line) throws -> M {
        setRandomSeed(11)
        let planned = try make()
        try compile(planned)
        setRandomSeed(11)
        let general = try make()
        try compile(general)
        try general.requireCompiled("test").usesStepPlans = false
        setRandomSeed(12)
        let a = try planned.fit(x, y, batchSize: batch, epochs: epochs, verbose: 0, validationSplit: validationSplit)
        setRandomSeed(12)
        let b = try general.fit(x, y, batchSize: batch, epochs: epochs, verbose: 0, validationSplit: validationSplit)
        XCTAssertEqual(a.history, b.history, "epoch figures", file: file, line: line)
        XCTAssertFalse(a.history.isEmpty, file: file, line: line)
        for (p, g) in zip(planned.weights, general.weights) {
            XCTAssertEqual(p.storedValue.scalars, g.storedValue.scalars, "weight \(p.path)", file: file, line: line)
        }
        XCTAssertEqual(planned.optimizer?.iterations, general.optimizer?.iterations, file: file, line: line)
        XCTAssertEqual(!(try planned.requireCompiled("test").stepPlans.isEmpty), expectPlan, "plan used", file: file, line: line)
        XCTAssertTrue(try general.requireCompiled("test").stepPlans.isEmpty, file: file, line: line)
        // The two models predict the same (moving statistics included).
        let fast = try planned.predictOnBatch(x)
        XCTAssertEqual(fast.scalars, try general.predictOnBatch(x).scalars, "predictions", file: file, line: line)
        // Inference: the plan (predictOnBatch) against the general graph (a tape turns the plan
        // off). Without an inference plan predictOnBatch may fold layers the graph does not
        // (a BatchNormalization into its Dense), which changes the last bits.
        if (planned as? Sequential)?.inferenceStack != nil {
            let slow = try GradientTape().record { try planned.forward([x], training: false)[0] }
            XCTAssertEqual(fast.shape, slow.shape, file: file, line: line)
            XCTAssertEqual(fast.scalars, slow.scalars, "inference plan", file: file, line: line)
        }
        return planned
    }

    func testOttoShapedStepsMatchTheTape() throws {
        let data = Datasets.ottoLike(samples: 300)
        try assertPlanMatchesTape({ try Sequential([Dense(16, inputShape: [93]), Dense(9), Activation("softmax")]) },
                                  compile: { try $0.compile(optimizer: "sgd", loss: "categorical_crossentropy") },
                                  x: data.x, y: data.yOneHot, batch: 128)
    }

    func testIrisStepsMatchTheTape() throws {
        let iris = Datasets.iris()
        try assertPlanMatchesTape({ try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")]) },
                                  compile: { try $0.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy",
                                                            metrics: ["accuracy"]) },
                                  x: iris.x, y: iris.y, batch: 32, epochs: 5, validationSplit: 0.1)
    }

    func testFusedActivationsWithoutBiasMatchTheTape() throws {
        let iris = Datasets.iris()
        try assertPlanMatchesTape({
            try Sequential([Dense(10, activation: .tanh, useBias: false, inputShape: [4]), Dense(6, activation: .sigmoid),
                            try Activation("elu"), Dense(3, activation: .softmax)])
        }, compile: { try $0.compile(optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy"]) },
           x: iris.x, y: iris.yOneHot, batch: 16)
    }

    func testLabelColumnAndMomentumMatchTheTape() throws {
        let iris = Datasets.iris()
        let column = try Ops.reshape(iris.y, [150, 1])
        try assertPlanMatchesTape({ try Sequential([Dense(5, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)]) },
                                  compile: { try $0.compile(optimizer: try SGD(learningRate: 0.05, momentum: 0.9, nesterov: true),
                                                            loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]) },
                                  x: iris.x, y: column, batch: 50)
    }

    /// Dense layers written as traced ops (issue 16's `python_custom_layer_epoch`) enter the
    /// plan, match the tape bit for bit, and train to the built-in Dense's weights exactly.
    func testTracedDenseLayersTakeThePlanAndTrainLikeTheBuiltInDense() throws {
        let data = Datasets.ottoLike(samples: 300)
        let compile = { (m: Model) in try m.compile(optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"]) }
        let traced = try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [93]), tracedDense(16, activation: "relu"), tracedDense(9), Activation("softmax")])
        }, compile: compile, x: data.x, y: data.yOneHot, batch: 128)
        XCTAssertNotNil(traced.inferenceStack, "the traced layers form a Dense stack")
        setRandomSeed(13)
        let builtin = try Sequential([Dense(16, activation: .relu, inputShape: [93]), Dense(9), Activation("softmax")])
        try compile(builtin)
        try builtin.setWeights(traced.getWeights())
        setRandomSeed(13)
        let reference = try Sequential([InputLayer(shape: [93]), tracedDense(16, activation: "relu"), tracedDense(9),
                                        Activation("softmax")])
        try compile(reference)
        try reference.setWeights(builtin.getWeights())
        setRandomSeed(14)
        let a = try reference.fit(data.x, data.yOneHot, batchSize: 128, epochs: 2, verbose: 0)
        setRandomSeed(14)
        let b = try builtin.fit(data.x, data.yOneHot, batchSize: 128, epochs: 2, verbose: 0)
        XCTAssertEqual(a.history, b.history, "epoch figures")
        for (t, d) in zip(reference.weights, builtin.weights) {
            XCTAssertEqual(t.storedValue.scalars, d.storedValue.scalars, "weight \(t.path)")
        }
    }

    /// `count` images of `shape` (per sample) with uniform [0, 1) values and `classes` labels,
    /// sparse and one-hot, from a seeded generator.
    func images(_ count: Int, _ shape: [Int], classes: Int, seed: UInt64) throws -> (x: Tensor, y: Tensor, yOneHot: Tensor) {
        let g = RandomGenerator(seed: seed)
        let x = try Tensor(shape: [count] + shape, scalars: (0..<(count * shape.reduce(1, *))).map { _ in g.uniform() })
        let labels = (0..<count).map { _ in min(Int(g.uniform() * Float(classes)), classes - 1) }
        let y = try Tensor(shape: [count], scalars: labels.map(Float.init))
        let oneHot = try Tensor(shape: [count, classes],
                                scalars: labels.flatMap { l in (0..<classes).map { $0 == l ? Float(1) : 0 } })
        return (x, y, oneHot)
    }

    /// conv_epoch's model (Conv2D relu → MaxPooling2D → Flatten → Dense softmax), smaller: the
    /// convolution runs in the plan's front, with sparse labels, Adam, accuracy and validation.
    func testConvNetStepsMatchTheTape() throws {
        let data = try images(90, [10, 10, 1], classes: 4, seed: 21)
        try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [10, 10, 1]), Conv2D(8, kernelSize: [3], activation: .relu),
                            MaxPooling2D(poolSize: [2]), Flatten(), Dense(4, activation: .softmax)])
        }, compile: { try $0.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]) },
           x: data.x, y: data.y, batch: 16, validationSplit: 0.2)
    }

    /// The MNIST convnet's front with its Dropout after the Flatten (the plan draws the same
    /// masks from the same generator), a linear convolution without bias, a hidden Dense layer,
    /// one-hot targets and momentum; and a Dropout with a seed of its own.
    func testConvNetWithDropoutStepsMatchTheTape() throws {
        let data = try images(64, [9, 9, 2], classes: 3, seed: 22)
        for seed in [nil, 7] as [Int?] {
            try assertPlanMatchesTape({
                try Sequential([InputLayer(shape: [9, 9, 2]), Conv2D(4, kernelSize: [2], activation: .linear, useBias: false),
                                MaxPooling2D(poolSize: [2]), Flatten(), Dropout(0.3, seed: seed), Dense(6, activation: .tanh),
                                Dense(3, activation: .softmax)])
            }, compile: { try $0.compile(optimizer: try SGD(learningRate: 0.05, momentum: 0.9), loss: "categorical_crossentropy",
                                         metrics: ["accuracy"]) },
               x: data.x, y: data.yOneHot, batch: 20)
        }
    }

    /// bn_cnn_epoch's model, smaller (Conv2D relu → BatchNormalization → MaxPooling2D → Flatten
    /// → Dense softmax): the fused normalization runs in the front, moving statistics included;
    /// validation takes the general step. Frozen, the normalization runs unfused: the general step.
    func testConvNetWithBatchNormalizationStepsMatchTheTape() throws {
        let data = try images(80, [10, 10, 1], classes: 4, seed: 24)
        let make = { (frozen: Bool) in
            let bn = BatchNormalization(momentum: 0.9)
            let model = try Sequential([InputLayer(shape: [10, 10, 1]), Conv2D(8, kernelSize: [3], activation: .relu), bn,
                                        MaxPooling2D(poolSize: [2]), Flatten(), Dense(4, activation: .softmax)])
            bn.trainable = !frozen
            return model
        }
        let compile = { (m: Model) in try m.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]) }
        try assertPlanMatchesTape({ try make(false) }, compile: compile, x: data.x, y: data.y, batch: 16, validationSplit: 0.2)
        try assertPlanMatchesTape({ try make(true) }, compile: compile, x: data.x, y: data.y, batch: 16, epochs: 2,
                                  expectPlan: false)
        // Without gamma, with Dropout and one-hot targets.
        try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [9, 9, 2]), Conv2D(4, kernelSize: [2], activation: .linear),
                            BatchNormalization(scale: false), MaxPooling2D(poolSize: [2]), Flatten(), Dropout(0.25),
                            Dense(3, activation: .softmax)])
        }, compile: { try $0.compile(optimizer: "sgd", loss: "categorical_crossentropy") },
           x: try images(48, [9, 9, 2], classes: 3, seed: 25).x, y: try images(48, [9, 9, 2], classes: 3, seed: 25).yOneHot,
           batch: 16)
    }

    /// The bench rows' convnets (conv_epoch, bn_cnn_epoch: 28×28×1 images, 32 filters, batches
    /// of 128 and the epoch's last 16) train in the plan.
    func testBenchConvnetsTakeThePlan() throws {
        let data = try images(16, [28, 28, 1], classes: 10, seed: 26)
        for normalized in [false, true] {
            setRandomSeed(1)
            var layers: [Layer] = [InputLayer(shape: [28, 28, 1]), try Conv2D(32, kernelSize: [3], activation: .relu)]
            if normalized { layers.append(BatchNormalization()) }
            layers += [try MaxPooling2D(poolSize: [2]), Flatten(), Dense(10, activation: .softmax)]
            let model = try Sequential(layers)
            try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
            try model.trainOnBatch(data.x, data.y)
            XCTAssertEqual(try model.requireCompiled("test").stepPlans.map(\.rows), [16], "normalized: \(normalized)")
        }
    }

    /// Convolutions the general step does not fuse with their pooling (a reduction over more
    /// than ``Kernels/directConvLimit`` inputs, a second convolution, overlapping pooling
    /// windows) take the general step.
    func testConvNetsOutsideTheFrontTakeTheGeneralPath() throws {
        let data = try images(40, [8, 8, 4], classes: 3, seed: 23)
        let compile = { (m: Model) in try m.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy") }
        try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [8, 8, 4]), Conv2D(4, kernelSize: [3], activation: .relu),
                            MaxPooling2D(poolSize: [2]), Flatten(), Dense(3, activation: .softmax)])
        }, compile: compile, x: data.x, y: data.y, batch: 16, epochs: 2, expectPlan: false)
        try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [8, 8, 4]), Conv2D(2, kernelSize: [2], activation: .relu),
                            Conv2D(2, kernelSize: [2], activation: .relu), MaxPooling2D(poolSize: [2]), Flatten(),
                            Dense(3, activation: .softmax)])
        }, compile: compile, x: data.x, y: data.y, batch: 16, epochs: 2, expectPlan: false)
        try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [8, 8, 4]), Conv2D(2, kernelSize: [2], activation: .relu),
                            MaxPooling2D(poolSize: [3], strides: [2]), Flatten(), Dense(3, activation: .softmax)])
        }, compile: compile, x: data.x, y: data.y, batch: 16, epochs: 2, expectPlan: false)
    }

    /// `count` sequences of `steps` × `features` uniform [0, 1) values and one regression target
    /// each, from a seeded generator.
    func sequences(_ count: Int, steps: Int, features: Int, seed: UInt64) throws -> (x: Tensor, y: Tensor) {
        let g = RandomGenerator(seed: seed)
        let x = try Tensor(shape: [count, steps, features], scalars: (0..<(count * steps * features)).map { _ in g.uniform() })
        return (x, try Tensor(shape: [count, 1], scalars: (0..<count).map { _ in g.uniform() }))
    }

    /// mha_epoch's model, smaller: a functional chain, MultiHeadAttention self-attention →
    /// GlobalAveragePooling1D → Dense, mse, Adam, validation (the plan's test steps); with and
    /// without biases, with a value size unlike the key size and a hidden Dense layer.
    func testFunctionalSelfAttentionStepsMatchTheTape() throws {
        let data = try sequences(40, steps: 6, features: 8, seed: 31)
        let compile = { (m: Model) in try m.compile(optimizer: "adam", loss: "mse") }
        try assertPlanMatchesTape({
            let x = Input(shape: [6, 8])
            let h = try MultiHeadAttention(numHeads: 2, keyDim: 4)([x, x])
            return try Model(inputs: x, outputs: try Dense(1)(try GlobalAveragePooling1D()(h)))
        }, compile: compile, x: data.x, y: data.y, batch: 16, validationSplit: 0.2)
        try assertPlanMatchesTape({
            let x = Input(shape: [6, 8])
            let h = try MultiHeadAttention(numHeads: 3, keyDim: 2, valueDim: 5, useBias: false)([x, x, x])
            let p = try GlobalAveragePooling1D()(h)
            return try Model(inputs: x, outputs: try Dense(1)(try Dense(4, activation: .relu)(p)))
        }, compile: { try $0.compile(optimizer: "sgd", loss: "mse") }, x: data.x, y: data.y, batch: 16)
    }

    /// A functional Dense chain takes the plan as the same Sequential does.
    func testFunctionalDenseChainMatchesTheTape() throws {
        let iris = Datasets.iris()
        try assertPlanMatchesTape({
            let x = Input(shape: [4])
            return try Model(inputs: x, outputs: try Dense(3, activation: .softmax)(try Dense(8, activation: .relu)(x)))
        }, compile: { try $0.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]) },
           x: iris.x, y: iris.y, batch: 32, validationSplit: 0.1)
    }

    /// Graphs that are not chains (a residual, a cross-attention) and attention the plan does not
    /// run (dropout, a causal mask) take the general step.
    func testFunctionalGraphsOutsideTheChainTakeTheGeneralPath() throws {
        let data = try sequences(24, steps: 5, features: 4, seed: 32)
        let compile = { (m: Model) in try m.compile(optimizer: "adam", loss: "mse") }
        func attention(_ configure: @escaping (MultiHeadAttention) -> Void = { _ in }, dropout: Double = 0, residual: Bool = false,
                       cross: Bool = false) -> () throws -> Model {
            {
                let x = Input(shape: [5, 4])
                let mha = try MultiHeadAttention(numHeads: 2, keyDim: 2, dropout: dropout)
                configure(mha)
                var h = try mha([x, cross ? try Dense(4)(x) : x])
                if residual { h = try Add()([x, h]) }
                return try Model(inputs: x, outputs: try Dense(1)(try GlobalAveragePooling1D()(h)))
            }
        }
        try assertPlanMatchesTape(attention(residual: true), compile: compile, x: data.x, y: data.y, batch: 8, epochs: 2,
                                  expectPlan: false)
        try assertPlanMatchesTape(attention(cross: true), compile: compile, x: data.x, y: data.y, batch: 8, epochs: 2,
                                  expectPlan: false)
        try assertPlanMatchesTape(attention({ $0.useCausalMask = true }), compile: compile, x: data.x, y: data.y, batch: 8,
                                  epochs: 2, expectPlan: false)
        let dropped = try attention(dropout: 0.2)()
        try compile(dropped)
        try dropped.fit(data.x, data.y, batchSize: 8, verbose: 0)
        XCTAssertTrue(try dropped.requireCompiled("test").stepPlans.isEmpty)
    }

    /// Dense → BatchNormalization → relu → Dense softmax: the normalization runs in the plan
    /// (moving statistics included); validation takes the general test step (inference folds it).
    func testBatchNormalizationStepsMatchTheTape() throws {
        let iris = Datasets.iris()
        let planned = try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [4]), Dense(8), BatchNormalization(), try Activation("relu"),
                            Dense(3, activation: .softmax)])
        }, compile: { try $0.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]) },
           x: iris.x, y: iris.y, batch: 32, validationSplit: 0.2)
        XCTAssertNil(planned.inferenceStack, "inference folds the normalization: the general path")
        // Without gamma and beta, a momentum of its own, one-hot targets, two normalizations.
        try assertPlanMatchesTape({
            try Sequential([InputLayer(shape: [4]), Dense(6, activation: .tanh), BatchNormalization(momentum: 0.9, center: false),
                            Dense(5), BatchNormalization(epsilon: 0.01, scale: false), try Activation("elu"),
                            Dense(3, activation: .softmax)])
        }, compile: { try $0.compile(optimizer: "rmsprop", loss: "categorical_crossentropy") },
           x: iris.x, y: iris.yOneHot, batch: 25)
    }

    /// A frozen BatchNormalization runs in inference mode (Keras 3): the general step.
    func testFrozenBatchNormalizationTakesTheGeneralPath() throws {
        let iris = Datasets.iris()
        try assertPlanMatchesTape({
            let bn = BatchNormalization()
            let model = try Sequential([InputLayer(shape: [4]), Dense(8), bn, Dense(3, activation: .softmax)])
            bn.trainable = false
            return model
        }, compile: { try $0.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy") },
           x: iris.x, y: iris.y, batch: 32, epochs: 2, expectPlan: false)
    }

    /// Regression MLPs with mean squared error (no softmax): one target column as a vector or a
    /// column, three columns, a sigmoid output, with a metric and validation.
    func testMeanSquaredErrorStepsMatchTheTape() throws {
        let iris = Datasets.iris()
        let target = try Tensor(shape: [150], scalars: (0..<150).map { iris.x.data[$0 * 4 + 2] / 7 })
        let make = { try Sequential([InputLayer(shape: [4]), Dense(8, activation: .relu), Dense(1)]) }
        let compile = { (m: Model) in try m.compile(optimizer: "adam", loss: "mse", metrics: ["mae"]) }
        try assertPlanMatchesTape(make, compile: compile, x: iris.x, y: target, batch: 32, validationSplit: 0.2)
        try assertPlanMatchesTape(make, compile: compile, x: iris.x, y: try Ops.reshape(target, [150, 1]), batch: 40)
        try assertPlanMatchesTape({ try Sequential([InputLayer(shape: [4]), Dense(5, activation: .tanh), Dense(3, activation: .sigmoid)]) },
                                  compile: { try $0.compile(optimizer: try SGD(learningRate: 0.1, momentum: 0.5), loss: "mean_squared_error") },
                                  x: iris.x, y: iris.yOneHot, batch: 25)
    }

    /// Sequence models: a first LSTM, GRU (reset_after, Keras's default, and reset_before) or
    /// SimpleRNN returning its last output, before Dense layers: the plan's recurrent front, with
    /// the fused gate kernels (8 units) and the general gate math (5 units), backwards, without
    /// bias, a last smaller batch, validation, and a softmax head with sparse labels.
    func testRecurrentFrontStepsMatchTheTape() throws {
        let x = try Tensor(shape: [40, 6, 3], scalars: (0..<720).map { Float(($0 * 7) % 23) / 23 - 0.4 })
        let y = try Tensor(shape: [40, 1], scalars: (0..<40).map { Float($0 % 9) / 9 })
        let mse = { (m: Model) in try m.compile(optimizer: "adam", loss: "mse", metrics: ["mae"]) }
        let models: [() throws -> Layer] = [
            { try LSTM(8) }, { try GRU(8) }, { try GRU(5, resetAfter: false) }, { try LSTM(5, goBackwards: true) },
            { try SimpleRNN(4) }, { try GRU(8, useBias: false) },
        ]
        for make in models {
            try assertPlanMatchesTape({ try Sequential([InputLayer(shape: [6, 3]), try make(), Dense(1)]) }, compile: mse,
                                      x: x, y: y, batch: 12, validationSplit: 0.2)
        }
        let labels = try Tensor(shape: [40], scalars: (0..<40).map { Float($0 % 3) })
        try assertPlanMatchesTape({ try Sequential([InputLayer(shape: [6, 3]), LSTM(8, useBias: false), Dense(4, activation: .relu),
                                                    Dense(3, activation: .softmax)]) },
                                  compile: { try $0.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy",
                                                            metrics: ["accuracy"]) },
                                  x: x, y: labels, batch: 16)
    }

    /// Recurrent layers the front does not cover take the general path: with dropout, recurrent
    /// dropout, every step's output, or stateful (its states carried from batch to batch).
    func testRecurrentLayersOutsideTheFrontTakeTheGeneralPath() throws {
        let x = try Tensor(shape: [24, 4, 3], scalars: (0..<288).map { Float(($0 * 5) % 17) / 17 })
        let y = try Tensor(shape: [24, 1], scalars: (0..<24).map { Float($0 % 5) / 5 })
        let mse = { (m: Model) in try m.compile(optimizer: "adam", loss: "mse") }
        var dropout = RecurrentCellOptions(), recurrentDropout = RecurrentCellOptions()
        dropout.dropout = 0.3
        recurrentDropout.recurrentDropout = 0.3
        let outside: [() throws -> [Layer]] = [
            { [try LSTM(8, options: dropout), Dense(1)] },
            { [try GRU(8, options: recurrentDropout), Dense(1)] },
            { [try LSTM(8, returnSequences: true), Flatten(), Dense(1)] },
        ]
        for make in outside {
            try assertPlanMatchesTape({ try Sequential([InputLayer(shape: [4, 3])] + (try make())) }, compile: mse,
                                      x: x, y: y, batch: 8, expectPlan: false)
        }
        let stateful = try Sequential([InputLayer(shape: [4, 3], batchSize: 8), LSTM(8, stateful: true), Dense(1)])
        try mse(stateful)
        try stateful.fit(x, y, batchSize: 8, epochs: 1, verbose: 0)
        XCTAssertTrue(try stateful.requireCompiled("test").stepPlans.isEmpty)
    }

    /// Steps of another shape take the general path: another loss, logits, sample weights.
    func testOtherStepsTakeTheGeneralPath() throws {
        let iris = Datasets.iris()
        let make = { try Sequential([Dense(4, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)]) }
        try assertPlanMatchesTape(make, compile: { try $0.compile(optimizer: "sgd", loss: "mse") },
                                  x: iris.x, y: iris.yOneHot, batch: 32, expectPlan: false)
        try assertPlanMatchesTape({ try Sequential([Dense(4, activation: .relu, inputShape: [4]), Dense(3)]) },
                                  compile: { try $0.compile(optimizer: "sgd", loss: .instance(SparseCategoricalCrossentropy(fromLogits: true))) },
                                  x: iris.x, y: iris.y, batch: 32, expectPlan: false)
        let model = try make()
        try model.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy")
        try model.fit(iris.x, iris.y, batchSize: 32, verbose: 0, sampleWeight: Tensor(shape: [150], repeating: 0.5))
        XCTAssertTrue(try model.requireCompiled("test").stepPlans.isEmpty)
    }

    /// A layer frozen between fits keeps its weights (the plan steps aside while it is frozen),
    /// and both paths agree throughout.
    func testFreezingALayerBetweenFitsMatchesTheTape() throws {
        let iris = Datasets.iris()
        var models: [Sequential] = []
        for plans in [true, false] {
            setRandomSeed(8)
            let m = try Sequential([Dense(6, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
            try m.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy")
            try m.requireCompiled("test").usesStepPlans = plans
            setRandomSeed(9)
            try m.fit(iris.x, iris.y, batchSize: 32, epochs: 2, verbose: 0)
            m.layers[0].trainable = false
            let frozen = m.layers[0].weights[0].storedValue.scalars
            try m.fit(iris.x, iris.y, batchSize: 32, epochs: 2, verbose: 0)
            XCTAssertEqual(m.layers[0].weights[0].storedValue.scalars, frozen)
            m.layers[0].trainable = true
            try m.fit(iris.x, iris.y, batchSize: 32, epochs: 1, verbose: 0)
            XCTAssertNotEqual(m.layers[0].weights[0].storedValue.scalars, frozen)
            models.append(m)
        }
        for (p, g) in zip(models[0].weights, models[1].weights) { XCTAssertEqual(p.storedValue.scalars, g.storedValue.scalars) }
        XCTAssertFalse(try models[0].requireCompiled("test").stepPlans.isEmpty)
    }

    /// Validation and `evaluate` run the plan's forward and loss (Keras's `test_step`), with
    /// the figures of the general path bit for bit.
    func testEvaluateTakesThePlanWithTheGeneralFigures() throws {
        let iris = Datasets.iris()
        setRandomSeed(5)
        let model = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let planned = try model.evaluate(iris.x, iris.y, batchSize: 40, verbose: 0)
        XCTAssertEqual(try model.requireCompiled("test").stepPlans.map(\.rows).sorted(), [30, 40])
        try model.requireCompiled("test").usesStepPlans = false
        let general = try model.evaluate(iris.x, iris.y, batchSize: 40, verbose: 0)
        XCTAssertEqual(planned.count, 2)
        XCTAssertEqual(planned, general)
    }

    /// A label outside the classes is refused before any weight changes, with the loss's message.
    func testBadLabelIsRefusedAsByTheLoss() throws {
        let x = Tensor(shape: [4, 2], repeating: 1)
        let y = Tensor([0, 1, 5, 2])
        var messages: [String] = []
        for plans in [true, false] {
            setRandomSeed(3)
            let model = try Sequential([Dense(3, activation: .softmax, inputShape: [2])])
            try model.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy")
            try model.requireCompiled("test").usesStepPlans = plans
            let before = model.weights.map(\.storedValue.scalars)
            XCTAssertThrowsError(try model.trainOnBatch(x, y)) { messages.append("\($0)") }
            XCTAssertEqual(model.weights.map(\.storedValue.scalars), before)
            XCTAssertEqual(try model.requireCompiled("test").stepPlans.isEmpty, !plans)
        }
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages.first, messages.last)
        XCTAssertTrue(messages.first?.contains("label 5.0 at row 2") ?? false, "\(messages)")
    }

    /// The inference plan leaves shape errors to the general path, and follows added layers.
    /// A declared batch size is not checked (Keras's `Functional.input_spec` drops it).
    func testInferencePlanChecksInputsAndFollowsTheLayers() throws {
        let fixed = try Sequential([InputLayer(batchShape: [2, 4]), Dense(3)])
        XCTAssertEqual(try fixed.predictOnBatch(Tensor(shape: [1, 4], repeating: 1)).shape, [1, 3])
        XCTAssertEqual(try fixed.predictOnBatch(Tensor(shape: [2, 4], repeating: 1)).shape, [2, 3])
        XCTAssertThrowsError(try fixed.predictOnBatch(Tensor(shape: [2, 5], repeating: 1)))
        let model = try Sequential([Dense(3, inputShape: [4])])
        XCTAssertNotNil(model.inferenceStack)
        try model.add(Dense(2, activation: .relu))
        let x = Tensor([[1, -2, 3, 0.5]])
        let fast = try model.predictOnBatch(x)
        let slow = try GradientTape().record { try model.forward([x], training: false)[0] }
        XCTAssertEqual(fast.shape, [1, 2])
        XCTAssertEqual(fast.scalars, slow.scalars)
        try model.add(Dropout(0.5))
        XCTAssertNil(model.inferenceStack)
        try model.pop()
        XCTAssertNotNil(model.inferenceStack)
    }
}
