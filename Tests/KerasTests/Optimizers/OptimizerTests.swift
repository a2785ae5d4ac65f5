import XCTest
import Foundation
@testable import Keras

/// The Swift API of the optimizers: names, configs, options and bad arguments.
final class OptimizerTests: XCTestCase {
    func testNamedFindsEveryOptimizerInAnyCase() throws {
        let expected: [(String, String, Float)] = [
            ("sgd", "SGD", 0.01), ("RMSprop", "RMSprop", 0.001), ("adagrad", "Adagrad", 0.001),
            ("Adadelta", "Adadelta", 0.001), ("adam", "Adam", 0.001), ("ADAMAX", "Adamax", 0.001),
            ("nadam", "Nadam", 0.001), ("adamw", "AdamW", 0.001), ("lion", "Lion", 0.001),
            ("adafactor", "Adafactor", 0.001), ("Ftrl", "Ftrl", 0.001), ("lamb", "Lamb", 0.001),
        ]
        for (name, className, lr) in expected {
            let opt = try Optimizer.named(name)
            XCTAssertEqual(opt.className, className)
            XCTAssertEqual(opt.learningRate, lr)
        }
        XCTAssertThrowsError(try Optimizer.named("adamm")) { XCTAssertTrue("\($0)".contains("adamm")) }
    }

    func testSwiftInitializersMatchConfigPath() throws {
        let pairs: [(Optimizer, String, JSON)] = [
            (try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), "SGD", ["learning_rate": 0.1, "momentum": 0.9, "nesterov": true]),
            (try RMSprop(rho: 0.8, centered: true), "RMSprop", ["rho": 0.8, "centered": true]),
            (try Adagrad(initialAccumulatorValue: 0.5), "Adagrad", ["initial_accumulator_value": 0.5]),
            (try Adam(learningRate: 0.01, amsgrad: true, options: .init(clipnorm: 1)), "Adam", ["learning_rate": 0.01, "amsgrad": true, "clipnorm": 1.0]),
            (try AdamW(weightDecay: 0.1), "AdamW", ["weight_decay": 0.1]),
            (try Lion(beta2: 0.5, options: .init(useEMA: true, emaMomentum: 0.9)), "Lion", ["beta_2": 0.5, "use_ema": true, "ema_momentum": 0.9]),
            (try Adafactor(epsilon2: 0.01, relativeStep: false), "Adafactor", ["epsilon_2": 0.01, "relative_step": false]),
            (try Ftrl(learningRatePower: -0.7, l1RegularizationStrength: 0.1, beta: 0.5), "Ftrl",
             ["learning_rate_power": -0.7, "l1_regularization_strength": 0.1, "beta": 0.5]),
            (try Lamb(beta1: 0.8, epsilon: 1e-6), "Lamb", ["beta_1": 0.8, "epsilon": 1e-6]),
        ]
        for (swift, className, config) in pairs {
            XCTAssertEqual(swift.config, try Optimizer.from(className: className, config: config).config, className)
        }
    }

    /// The common arguments are one value: the same `OptimizerArguments` configure any optimizer
    /// as the config path does, and AdamW/Muon's own `weightDecay` is not given twice.
    func testOptimizerArgumentsAreOneSharedValue() throws {
        let options = OptimizerArguments(clipvalue: 0.5, useEMA: true, emaMomentum: 0.9, gradientAccumulationSteps: 3,
                                         name: "mine")
        let common: JSON = ["clipvalue": 0.5, "use_ema": true, "ema_momentum": 0.9, "gradient_accumulation_steps": 3,
                            "name": "mine"]
        let pairs: [(Optimizer, String)] = [
            (try SGD(options: options), "SGD"), (try Adam(options: options), "Adam"),
            (try Adafactor(options: options), "Adafactor"), (try Muon(options: options), "Muon"),
            (try ScheduleFreeAdamW(options: options), "ScheduleFreeAdamW"),
        ]
        for (swift, className) in pairs {
            XCTAssertEqual(swift.config, try Optimizer.from(className: className, config: common).config, className)
            XCTAssertEqual(swift.name, "mine")
            XCTAssertEqual(swift.clipvalue, 0.5)
        }
        XCTAssertEqual(try Adam().name, "adam")
        XCTAssertEqual(try AdamW(weightDecay: 0.1, options: options).config["weight_decay"], JSON.double(0.1))
        XCTAssertEqual(try Muon(weightDecay: nil).config["weight_decay"], JSON.null)
        XCTAssertThrowsError(try AdamW(weightDecay: 0.1, options: .init(weightDecay: 0.2))) {
            XCTAssertTrue("\($0)".contains("AdamW(weight_decay: 0.2)"), "\($0)")
        }
    }

    func testKeras2SpellingsAreAccepted() throws {
        let opt = try Optimizer.from(className: "SGD", config: ["lr": 0.02, "decay": 1e-6, "momentum": 0.9, "nesterov": true])
        XCTAssertEqual(opt.learningRate, 0.02)
        opt.iterations = 1_000_000
        XCTAssertEqual(opt.currentLearningRate, 0.01, accuracy: 1e-7)
        // An optimizer config as tf.keras 2.11+ writes it in .h5 files.
        let tf = try Optimizer.from(className: "Adam", config: [
            "name": "Adam", "weight_decay": nil, "clipnorm": nil, "global_clipnorm": nil, "clipvalue": nil,
            "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil, "jit_compile": true,
            "is_legacy_optimizer": false, "learning_rate": 0.0005, "beta_1": 0.9, "beta_2": 0.999,
            "epsilon": 1e-07, "amsgrad": false])
        XCTAssertEqual(tf.learningRate, 0.0005)
        // A Keras 2.3 optimizer config.
        let old = try Optimizer.from(className: "RMSprop", config: ["lr": 0.001, "rho": 0.9, "decay": 0.0, "epsilon": 1e-07])
        XCTAssertEqual(old.config["decay"], nil)
        let nadam = try Optimizer.from(className: "Nadam", config: ["lr": 0.002, "epsilon": nil, "schedule_decay": 0.004])
        XCTAssertEqual(nadam.learningRate, 0.002)
    }

    func testBadArgumentsThrowNamingTheArgument() {
        func expect(_ what: String, _ body: () throws -> Optimizer) {
            XCTAssertThrowsError(try body(), what) { XCTAssertTrue("\($0)".contains(what), "\($0) should mention \(what)") }
        }
        expect("learning_rate") { try Adam(learningRate: -0.1) }
        expect("learning_rate") { try SGD(learningRate: Float.nan) }
        expect("momentum") { try SGD(momentum: 1.5) }
        expect("beta_1") { try Adam(beta1: 1) }
        expect("beta_2") { try Nadam(beta2: -0.1) }
        expect("beta_1") { try Lion(beta1: 0) }
        expect("rho") { try RMSprop(rho: 2) }
        expect("epsilon") { try Adagrad(epsilon: -1) }
        expect("only one of clipnorm") { try SGD(options: .init(clipnorm: 1, clipvalue: 1)) }
        expect("clipnorm") { try SGD(options: .init(clipnorm: -1)) }
        expect("ema_momentum") { try SGD(options: .init(useEMA: true, emaMomentum: 1.5)) }
        expect("ema_overwrite_frequency") { try SGD(options: .init(useEMA: true, emaOverwriteFrequency: 0)) }
        expect("decay") { try SGD(options: .init(decay: -1)) }
        // The message names the optimizer's class as it is called.
        expect("SGD(decay: -1.0)") { try SGD(options: .init(decay: -1)) }
        expect("Adam(clipnorm: -1.0)") { try Adam(options: .init(clipnorm: -1)) }
        expect("learning_rate_power") { try Ftrl(learningRatePower: 0.5) }
        expect("initial_accumulator_value") { try Ftrl(initialAccumulatorValue: -0.1) }
        expect("l2_shrinkage_regularization_strength") { try Ftrl(l2ShrinkageRegularizationStrength: -1) }
        expect("beta_2") { try Lamb(beta2: 1) }
        expect("epsilon_1") { try Adafactor(epsilon1: .infinity) }
        expect("relative_step") { try Optimizer.from(className: "Adafactor", config: ["relative_step": 1.5]) }
        expect("bogus") { try Optimizer.from(className: "adam", config: ["bogus": 1]) }
        expect("beta_1") { try Optimizer.from(className: "adam", config: ["beta_1": "high"]) }
        expect("gradient_accumulation_steps") { try Optimizer.from(className: "adam", config: ["gradient_accumulation_steps": 1]) }
        expect("loss_scale_factor") { try Optimizer.from(className: "adam", config: ["loss_scale_factor": -2.0]) }
    }

    func testApplyRejectsMismatchedGradients() throws {
        let opt = try SGD()
        let v = Variable(Tensor(shape: [2, 2], repeating: 1), name: "w")
        XCTAssertThrowsError(try opt.apply([Tensor(shape: [3], repeating: 1)], to: [v]))
        XCTAssertThrowsError(try opt.apply([], to: [v]))
    }

    func testSetLearningRateFollowsKeras() throws {
        let opt = try Adam()
        try opt.setLearningRate(0.5)
        XCTAssertEqual(opt.learningRate, 0.5)
        XCTAssertThrowsError(try opt.setLearningRate(-1))
        let scheduled = try Adam(learningRate: try ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5))
        XCTAssertThrowsError(try scheduled.setLearningRate(0.1))
        XCTAssertEqual(scheduled.learningRate, 0.1)
        try scheduled.apply([Tensor([1])], to: [Variable(Tensor([0]), name: "w")])
        XCTAssertEqual(scheduled.learningRate, 0.05)
    }

    func testWeightDecayExclusionByName() throws {
        let opt = try SGD(learningRate: 0.5, options: .init(weightDecay: 0.2))
        let kernel = Variable(Tensor([1, 1]), name: "kernel"), bias = Variable(Tensor([1, 1]), name: "bias")
        try opt.excludeFromWeightDecay(names: ["bias"])
        try opt.apply([Tensor([0, 0]), Tensor([0, 0])], to: [kernel, bias])
        XCTAssertEqual(kernel.numpy.scalars, [0.9, 0.9])
        XCTAssertEqual(bias.numpy.scalars, [1, 1])
        XCTAssertThrowsError(try opt.excludeFromWeightDecay(names: ["kernel"]))
    }

    func testMovingAverageSwapAndSlots() throws {
        let opt = try SGD(learningRate: 1, momentum: 0.5, options: .init(useEMA: true, emaMomentum: 0.5))
        let v = Variable(Tensor([0]), name: "w")
        try opt.apply([Tensor([1])], to: [v])   // w = -1, average = -1 (first step copies)
        try opt.apply([Tensor([1])], to: [v])   // m = -1.5, w = -2.5, average = -1.75
        XCTAssertEqual(v.numpy.scalars, [-2.5])
        XCTAssertEqual(opt.movingAverage(of: v)?.scalars, [-1.75])
        XCTAssertEqual(opt.slot("momentum", of: v)?.scalars, [-1.5])
        try opt.swapMovingAverages([v])
        XCTAssertEqual(v.numpy.scalars, [-1.75])
        try opt.swapMovingAverages([v])
        XCTAssertEqual(v.numpy.scalars, [-2.5])
        XCTAssertThrowsError(try SGD().swapMovingAverages([v]))
        let built = try Adam(amsgrad: true)
        XCTAssertFalse(built.isBuilt)
        built.build([v])
        XCTAssertTrue(built.isBuilt)
        XCTAssertEqual(built.slot("velocity_hat", of: v)?.scalars, [0])
        XCTAssertEqual(built.variableScalarCount, 2 + 3)
    }

    func testFitEndsWithMovingAverageWeights() throws {
        setRandomSeed(3)
        let model = try Sequential([Dense(1, inputDim: 2)])
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.1, options: .init(useEMA: true, emaMomentum: 0.9))), loss: "mse")
        let x = Tensor([[1, 2], [3, 4], [5, 6]]), y = Tensor([[1], [2], [3]])
        try model.fit(x, y, batchSize: 3, epochs: 3, verbose: 0, shuffle: false)
        let opt = try XCTUnwrap(model.optimizer)
        for w in model.trainableWeights {
            XCTAssertEqual(w.numpy.scalars, opt.movingAverage(of: w)?.scalars)
        }
        XCTAssertEqual(opt.iterations, 3)
    }

    func testScheduleStepsWithIterations() throws {
        let opt = try SGD(learningRate: try PiecewiseConstantDecay(boundaries: [1], values: [1, 0.5]))
        let v = Variable(Tensor([0]), name: "w")
        for _ in 0..<3 { try opt.apply([Tensor([1])], to: [v]) }
        XCTAssertEqual(v.numpy.scalars, [-2.5])   // steps 0 and 1 at 1, step 2 at 0.5
        XCTAssertEqual(opt.config["learning_rate"]?["class_name"], "PiecewiseConstantDecay")
    }

    func testEveryOptimizerByNameTrainsAModel() throws {
        let x = Tensor([[0, 1], [1, 0], [1, 1], [0, 0], [2, 1], [1, 2]])
        let y = Tensor([[1], [2], [3], [0], [5], [4]])
        for name in ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam", "adamw", "lion"] {
            setRandomSeed(9)
            let model = try Sequential([Dense(4, activation: .tanh, inputDim: 2), Dense(1)])
            try model.compile(optimizer: .name(name), loss: "mse")
            let before = try model.evaluate(x, y, verbose: 0)[0]
            try model.fit(x, y, batchSize: 6, epochs: 20, verbose: 0)
            let after = try model.evaluate(x, y, verbose: 0)[0]
            XCTAssertLessThan(after, before, name)
            XCTAssertEqual(model.optimizer?.iterations, 20, name)
        }
    }

    func testLossScaleFactorLeavesTrainingUnchanged() throws {
        let x = Tensor([[0, 1], [1, 0], [1, 1], [0, 0]]), y = Tensor([[1], [2], [3], [0]])
        var finals: [[Float]] = []
        var losses: [Double] = []
        for scale in [nil, 64.0] as [Double?] {
            setRandomSeed(4)
            let model = try Sequential([Dense(3, activation: .tanh, inputDim: 2), Dense(1)])
            try model.compile(optimizer: .instance(try SGD(learningRate: 0.1, options: .init(lossScaleFactor: scale))), loss: "mse")
            let h = try model.fit(x, y, batchSize: 4, epochs: 5, verbose: 0, shuffle: false)
            losses.append(h.history["loss"]?.last ?? .nan)
            finals.append(model.trainableWeights.flatMap { $0.numpy.scalars })
        }
        assertClose(finals[1], finals[0], "weights with loss_scale_factor 64")
        XCTAssertEqual(losses[1], losses[0], accuracy: 1e-6, "logged loss is the unscaled one")
    }

    func testLossScaleOptimizerSkipsNonFiniteStepsAndRescales() throws {
        let opt = try LossScaleOptimizer(try SGD(learningRate: 1, options: .init(lossScaleFactor: 4)), initialScale: 8, dynamicGrowthSteps: 2)
        XCTAssertNil(opt.inner.lossScaleFactor, "the inner optimizer's loss_scale_factor is cleared, as in Keras")
        let v = Variable(Tensor([1, 2] as [Float]), name: "v")
        try opt.apply([Tensor([8, 16] as [Float])], to: [v])
        XCTAssertEqual(v.numpy.scalars, [0, 0])
        XCTAssertEqual(opt.stepCounter, 1)
        try opt.apply([Tensor([Float.infinity, 0] as [Float])], to: [v])
        XCTAssertEqual(v.numpy.scalars, [0, 0], "a step with a non-finite gradient is skipped")
        XCTAssertEqual(opt.stepCounter, 0)
        XCTAssertEqual(opt.dynamicScale, 4)
        try opt.apply([Tensor([4, -4] as [Float])], to: [v])
        try opt.apply([Tensor([4, 4] as [Float])], to: [v])
        XCTAssertEqual(v.numpy.scalars, [-2, 0])
        XCTAssertEqual(opt.dynamicScale, 8, "two finite steps double the scale")
        XCTAssertEqual(opt.stepCounter, 0)
        XCTAssertEqual(opt.iterations, 3)
        XCTAssertEqual(opt.scaleLoss(Tensor(Float(2))).scalar, 16)
        XCTAssertEqual(try Optimizer.deserialize(opt.serialized).config, opt.config)
        XCTAssertThrowsError(try Optimizer.from(className: "LossScaleOptimizer", config: ["inner_optimizer": "adam", "clipnorm": 1.0])) {
            XCTAssertTrue("\($0)".contains("clipnorm"))
        }
        XCTAssertThrowsError(try Optimizer.from(className: "LossScaleOptimizer", config: ["inner_optimizer": "adam", "dynamic": false]))
        XCTAssertThrowsError(try Optimizer.from(className: "LossScaleOptimizer", config: [:])) {
            XCTAssertTrue("\($0)".contains("inner_optimizer"))
        }
    }

    func testMuonChoosesAdamWForNonMatricesEmbeddingsAndExcludedPaths() throws {
        let opt = try Muon(excludeLayers: ["^dec"])
        let kernel = Variable(Tensor(shape: [2, 3], repeating: 1), name: "kernel")
        kernel.path = "dense/kernel"
        let bias = Variable(Tensor(shape: [3], repeating: 1), name: "bias")
        let embedding = Variable(Tensor(shape: [4, 2], repeating: 1), name: "embeddings")
        embedding.path = "token_Embedding/embeddings"
        let excluded = Variable(Tensor(shape: [2, 2], repeating: 1), name: "kernel")
        excluded.path = "decoder/kernel"
        XCTAssertEqual([kernel, bias, embedding, excluded].map(opt.usesAdamW), [false, true, true, true])
        opt.build([kernel, bias])
        XCTAssertNil(opt.slot("velocity", of: kernel), "matrices updated by Muon have no velocity")
        XCTAssertNotNil(opt.slot("velocity", of: bias))
        XCTAssertEqual(opt.variableScalarCount, 2 + 6 + 3 + 3)
        XCTAssertThrowsError(try Muon(excludeLayers: ["("])) { XCTAssertTrue("\($0)".contains("exclude_layers")) }
    }

    /// A variable larger than ``Parallel/threshold`` (an Embedding's table) is updated in chunks
    /// on several cores: the same bits as one core, and Adam's formula (checked in Double).
    func testAdamSplitsLargeVariablesWithTheSameBits() throws {
        let n = Parallel.threshold * 2 + 37
        let start = GradientCheck.random([n], in: -1...1, seed: 61)
        let grads = (0..<3).map { GradientCheck.random([n], in: -1...1, seed: 62 + UInt64($0)) }
        for amsgrad in [false, true] {
            func train(oneCore: Bool) throws -> Tensor {
                let opt = try Adam(learningRate: 0.01, amsgrad: amsgrad)
                let v = Variable(start.copy(), name: "embeddings")
                for g in grads {
                    if oneCore { try Parallel.asWorker { try opt.apply([g], to: [v]) } } else { try opt.apply([g], to: [v]) }
                }
                return v.storedValue
            }
            let split = try train(oneCore: false), single = try train(oneCore: true)
            XCTAssertEqual((0..<n).filter { split.data[$0].bitPattern != single.data[$0].bitPattern }.count, 0,
                           "amsgrad \(amsgrad): split and one-core updates differ")
            var worst = 0.0
            for i in stride(from: 0, to: n, by: 997) {
                var w = Double(start.data[i]), m = 0.0, v = 0.0, vhat = 0.0
                for (k, g) in grads.enumerated() {
                    let gi = Double(g.data[i]), t = Double(k + 1)
                    m = 0.9 * m + 0.1 * gi
                    v = 0.999 * v + 0.001 * gi * gi
                    vhat = max(vhat, v)
                    let alpha = 0.01 * (1 - pow(0.999, t)).squareRoot() / (1 - pow(0.9, t))
                    w -= alpha * m / ((amsgrad ? vhat : v).squareRoot() + 1e-7)
                }
                worst = max(worst, abs(w - Double(split.data[i])))
            }
            XCTAssertLessThan(worst, 1e-5, "amsgrad \(amsgrad): against Adam's formula")
        }
    }
}
