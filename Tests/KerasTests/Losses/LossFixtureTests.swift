import XCTest
@testable import Keras

/// Every loss and option against real Keras: the reduced value, the gradient with respect to
/// the predictions, and `get_config()` (fixtures by scripts/make_loss_fixtures.py); the tape
/// gradient is also checked against finite differences.
final class LossFixtureTests: XCTestCase {
    func tensor(_ json: JSON?) throws -> Tensor {
        let j = try XCTUnwrap(json)
        return try Tensor(shape: try XCTUnwrap(j["shape"]).ints, scalars: try XCTUnwrap(j["values"]).floats)
    }

    func runFixtureFile(_ file: String) throws {
        let cases = try XCTUnwrap(loadFixture("losses/\(file).json").arrayValue)
        XCTAssertFalse(cases.isEmpty)
        for c in cases { try runCase(c) }
    }

    func runCase(_ c: JSON) throws {
        let name = c["name"]?.stringValue ?? "?"
        let loss = try Loss.from(className: try XCTUnwrap(c["class_name"]?.stringValue), config: c["kwargs"] ?? [:])
        XCTAssertEqual(loss.config, c["config"], "\(name): config")
        let yTrue = try tensor(c["y_true"]), yPred = try tensor(c["y_pred"])
        let sw: Tensor? = (c["sample_weight"]?.isNull ?? true) ? nil : try tensor(c["sample_weight"])
        let expected = try tensor(c["value"])

        let value = try loss(yTrue, yPred, sampleWeight: sw)
        XCTAssertEqual(value.shape, expected.shape, "\(name): value shape")
        assertClose(value.scalars, expected.scalars, "\(name): value")

        let tape = GradientTape()
        let (watched, total) = try tape.record { () throws -> (Tensor, Tensor) in
            let p = tape.watch(yPred)
            return (p, try Ops.sum(loss(yTrue, p, sampleWeight: sw)))
        }
        let grad = try tape.gradient(of: total, with: [watched])[0]
        assertClose(grad.scalars, try XCTUnwrap(c["gradient"]).floats, atol: 1e-5, rtol: 1e-4, "\(name): gradient")

        // Float32 cannot resolve a step of 1e-3 on a loss near 1e5 (CTC's impossible alignment).
        guard expected.scalars.allSatisfy({ Swift.abs($0) < 1e4 }) else { return }
        try GradientCheck.check([yPred], step: 1e-3, atol: 5e-3, rtol: 2e-2, "\(name): finite differences") {
            try loss(yTrue, $0[0], sampleWeight: sw)
        }
    }

    func testRegressionLossesMatchKeras() throws { try runFixtureFile("regression") }
    func testProbabilisticLossesMatchKeras() throws { try runFixtureFile("probabilistic") }
    func testHingeLossesMatchKeras() throws { try runFixtureFile("hinge") }
    func testCrossentropiesMatchKeras() throws { try runFixtureFile("crossentropy") }
    func testReductionsAndSampleWeightsMatchKeras() throws { try runFixtureFile("reductions") }
    /// Keras 3's focal, generalized, overlap and Circle losses (scripts/make_keras3_vocab_fixtures.py).
    func testKeras3LossesMatchKeras() throws { try runFixtureFile("keras3") }
    /// CTC on zero-padded labels of different lengths (scripts/make_ctc_fixtures.py).
    func testCTCMatchesKeras() throws { try runFixtureFile("ctc") }
}

/// The names and argument checks of the losses Keras 3 added.
final class Keras3LossTests: XCTestCase {
    func testFunctionNamesAndChecks() throws {
        for (name, cls) in [("binary_focal_crossentropy", "BinaryFocalCrossentropy"), ("dice", "Dice"),
                            ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy"), ("tversky", "Tversky"),
                            ("categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"), ("circle", "Circle")] {
            XCTAssertEqual(try Loss.named(name).className, cls)
        }
        XCTAssertThrowsError(try Loss.from(className: "CategoricalGeneralizedCrossEntropy", config: ["q": 1.0]))
        XCTAssertThrowsError(try Loss.from(className: "Dice", config: ["axis": "x"]))
        XCTAssertThrowsError(try Loss.from(className: "CategoricalFocalCrossentropy", config: ["alpha": [0.1, 0.9]]))
        let gce = try Loss.named("categorical_generalized_cross_entropy")
        XCTAssertThrowsError(try gce(Tensor([3]), Tensor(shape: [1, 3], scalars: [0.2, 0.3, 0.5])))
        XCTAssertEqual(try Loss.from(className: "Dice", config: ["axis": 1]).config["axis"], .int(1))
    }
}
