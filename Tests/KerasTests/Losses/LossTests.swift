import XCTest
@testable import Keras

/// The Swift API of the losses: names and aliases, classes, bad inputs.
final class LossTests: XCTestCase {
    func testEveryNameAndAliasResolves() throws {
        let expected: [String: String] = [
            "mean_squared_error": "MeanSquaredError", "mse": "MeanSquaredError", "MSE": "MeanSquaredError",
            "mean_absolute_error": "MeanAbsoluteError", "mae": "MeanAbsoluteError",
            "mean_absolute_percentage_error": "MeanAbsolutePercentageError", "mape": "MeanAbsolutePercentageError",
            "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError", "msle": "MeanSquaredLogarithmicError",
            "hinge": "Hinge", "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge",
            "logcosh": "LogCosh", "log_cosh": "LogCosh", "categorical_crossentropy": "CategoricalCrossentropy",
            "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
            "binary_crossentropy": "BinaryCrossentropy", "bce": "BinaryCrossentropy",
            "kullback_leibler_divergence": "KLDivergence", "kld": "KLDivergence", "KLD": "KLDivergence",
            "kl_divergence": "KLDivergence", "poisson": "Poisson", "cosine_similarity": "CosineSimilarity",
            "cosine_proximity": "CosineSimilarity", "huber": "Huber", "Huber": "Huber",
            "MeanSquaredError": "MeanSquaredError", "CategoricalHinge": "CategoricalHinge",
        ]
        for (name, className) in expected {
            XCTAssertEqual(try Loss.named(name).className, className, name)
        }
        XCTAssertThrowsError(try Loss.named("mse2")) { XCTAssertTrue("\($0)".contains("mse2")) }
    }

    func testSwiftClassesGiveKerasConfigs() throws {
        XCTAssertEqual(try Huber(delta: 0.5, reduction: .sum).config, ["name": "huber_loss", "reduction": "sum"])
        XCTAssertEqual(CategoricalCrossentropy(fromLogits: true).config,
                       ["name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true,
                        "label_smoothing": 0.0, "axis": -1])
        XCTAssertEqual(SparseCategoricalCrossentropy(ignoreClass: 3).config,
                       ["name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
                        "from_logits": false, "ignore_class": 3])
        let round = try Loss.deserialize(BinaryCrossentropy(fromLogits: true, labelSmoothing: 0.1).serialized)
        XCTAssertEqual(round.config, BinaryCrossentropy(fromLogits: true, labelSmoothing: 0.1).config)
    }

    func testTfKeras2LossConfigsLoad() throws {
        let loss = try Loss.deserialize(["class_name": "CategoricalCrossentropy", "config": [
            "reduction": "auto", "name": "categorical_crossentropy", "from_logits": false, "label_smoothing": 0, "axis": -1]])
        XCTAssertEqual(loss.reduction, .sumOverBatchSize)
        XCTAssertEqual(loss.config["label_smoothing"], 0.0)
    }

    func testHuberUsesDelta() throws {
        let y = Tensor([[0, 0]]), p = Tensor([[0.5, 3]])
        // 0.5 * 0.25 = 0.125 and 1 * 3 - 0.5 = 2.5: mean 1.3125
        XCTAssertEqual(try Huber()(y, p).scalar ?? 0, 1.3125, accuracy: 1e-6)
        // delta 2: 0.125 and 2 * 3 - 2 = 4: mean 2.0625
        XCTAssertEqual(try Huber(delta: 2)(y, p).scalar ?? 0, 2.0625, accuracy: 1e-6)
    }

    func testBadInputsThrow() throws {
        XCTAssertThrowsError(try Huber(delta: -1)) { XCTAssertTrue("\($0)".contains("delta")) }
        XCTAssertThrowsError(try CategoricalCrossentropy(labelSmoothing: 2)(Tensor([[1, 0]]), Tensor([[0.5, 0.5]]))) {
            XCTAssertTrue("\($0)".contains("label_smoothing"))
        }
        XCTAssertThrowsError(try Loss.from(className: "MeanSquaredError", config: ["reduction": "avg"])) {
            XCTAssertTrue("\($0)".contains("reduction"))
        }
        XCTAssertThrowsError(try Loss.from(className: "MeanSquaredError", config: ["delta": 1]))
        XCTAssertThrowsError(try SparseCategoricalCrossentropy()(Tensor([3]), Tensor([[0.2, 0.8]]))) {
            XCTAssertTrue("\($0)".contains("label 3"))
        }
        // A label that is not a whole class index in 0..<classes, whatever its kind.
        for bad: Float in [0.5, 1.0000001, -1, -0.5, .nan, .infinity, 1e30] {
            XCTAssertThrowsError(try SparseCategoricalCrossentropy()(Tensor([bad]), Tensor([[0.2, 0.8]])), "\(bad)") {
                XCTAssertTrue("\($0)".contains("is not a class index"), "\($0)")
            }
        }
        XCTAssertEqual(try SparseCategoricalCrossentropy()(Tensor([-0.0, 1]), Tensor([[0.2, 0.8], [0.2, 0.8]])).scalar ?? .nan,
                       -(logf(0.2) + logf(0.8)) / 2, accuracy: 1e-6)
        XCTAssertThrowsError(try MeanSquaredError()(Tensor([[1, 2]]), Tensor([[1, 2, 3]])))
        XCTAssertThrowsError(try MeanSquaredError()(Tensor([[1, 2], [3, 4]]), Tensor([[1, 2], [3, 4]]),
                                                    sampleWeight: Tensor([1, 2, 3])))
        XCTAssertThrowsError(try BinaryCrossentropy()(Tensor([[1, 0, 1]]), Tensor([[0.5, 0.5]])))
    }

    func testSampleWeightPerSampleOnSequenceLosses() throws {
        // Values of shape [2, 3] with one weight per sample: each sample's row is scaled.
        let y = Tensor(shape: [2, 3, 1], repeating: 0)
        let p = try Tensor(shape: [2, 3, 1], scalars: [1, 1, 1, 2, 2, 2])
        let loss = MeanAbsoluteError(reduction: .sum)
        XCTAssertEqual(try loss(y, p, sampleWeight: Tensor([1, 0.5])).scalar, 6)
    }

    func testTrainingWithEachLossLowersIt() throws {
        let x = Tensor([[0, 1], [1, 0], [1, 1], [0, 0]])
        let cases: [(LossSpec, Tensor)] = [
            ("hinge", Tensor([[1], [-1], [1], [-1]])), ("squared_hinge", Tensor([[1], [0], [1], [0]])),
            ("logcosh", Tensor([[1], [2], [3], [0]])), ("huber", Tensor([[1], [2], [3], [0]])),
            ("mape", Tensor([[1], [2], [3], [1]])), ("msle", Tensor([[1], [2], [3], [0]])),
            ("poisson", Tensor([[1], [2], [3], [0]])), ("cosine_similarity", Tensor([[1, 0], [0, 1], [1, 1], [1, 0]])),
            ("kld", Tensor([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.3, 0.7]])),
            ("categorical_hinge", Tensor([[1, 0], [0, 1], [1, 0], [0, 1]])),
        ]
        for (spec, y) in cases {
            setRandomSeed(5)
            let units = y.shape[1]
            var activation = ActivationFunction.linear
            if case .name(let n) = spec, n == "kld" { activation = .softmax }
            // Positive predictions: msle clips negative ones to zero (no gradient there), and
            // whether a linear unit starts negative is up to its initial weights.
            if case .name(let n) = spec, n == "poisson" || n == "msle" { activation = .exponential }
            let model = try Sequential([Dense(units, activation: activation, inputDim: 2)])
            try model.compile(optimizer: .instance(try Adam(learningRate: 0.05)), loss: spec)
            let history = try model.fit(x, y, batchSize: 4, epochs: 30, verbose: 0)
            let losses = try XCTUnwrap(history.history["loss"])
            XCTAssertLessThan(losses.last ?? .nan, losses.first ?? .nan, "\(spec)")
        }
    }
}
