import XCTest
@testable import Keras

final class ActivityRegularizationTests: XCTestCase {
    func testPenaltyMatchesKeras() throws {
        let fixture = try LayerFixture("activity_regularization")
        let layer = try ActivityRegularization(l1: 0.01, l2: 0.02, name: "activity_regularization")
        try fixture.assertLayerMatches(layer)
        fixture.assertConfigMatches(layer)
        XCTAssertTrue(layer.losses.isEmpty, "inference adds no penalty")
        _ = try layer(try XCTUnwrap(fixture.inputs.first), training: true)
        let expected = try XCTUnwrap(fixture.json["losses"]?.arrayValue?.first?.doubleValue)
        XCTAssertEqual(Double(try XCTUnwrap(layer.losses.first?.scalar)), expected, accuracy: 1e-6)
    }

    func testPenaltyGradientsFlowThroughTheLayer() throws {
        let layer = try ActivityRegularization(l1: 0.1, l2: 0.3)
        let x = GradientCheck.random([3, 2], avoiding: [0], seed: 91)
        try GradientCheck.check([x], "activity penalty") { xs in
            layer.clearLosses()
            let y = try layer(xs[0], training: true)
            return try Ops.add(Ops.sum(y), try XCTUnwrap(layer.losses.first))
        }
    }

    func testPenaltyEntersTheTrainingLoss() throws {
        setRandomSeed(4)
        let x = GradientCheck.random([8, 3], seed: 3)
        let y = Tensor(shape: [8, 2], repeating: 0)
        let plain = try Sequential([Dense(2, kernelInitializer: Ones(), inputDim: 3)])
        let regularized = try Sequential([Dense(2, kernelInitializer: Ones(), inputDim: 3), ActivityRegularization(l2: 1)])
        for m in [plain, regularized] { try m.compile(optimizer: "sgd", loss: "mse") }
        let base = try plain.testOnBatch(x, y)
        let penalized = try regularized.trainOnBatch(x, y)
        let out = try plain.predict(x)
        let penalty = Double(try XCTUnwrap(Ops.sum(Ops.square(out)).scalar)) / 8
        XCTAssertEqual(penalized, base + penalty, accuracy: 1e-4 * max(1, penalized))
    }

    func testPenaltiesEnterTheTestLossAsInKeras() throws {
        // Keras 3's evaluate and test_on_batch add activity and weight penalties (and add_loss
        // values) to the compiled loss, as a training step does.
        setRandomSeed(4)
        let x = GradientCheck.random([8, 3], seed: 3)
        let y = Tensor(shape: [8, 2], repeating: 0)
        let plain = try Sequential([Dense(2, kernelInitializer: Ones(), inputDim: 3)])
        let regularized = try Sequential([
            Dense(2, kernelInitializer: Ones(), kernelRegularizer: try L2(0.1), activityRegularizer: try L1(0.05), inputDim: 3),
            ActivityRegularization(l2: 1),
        ])
        for m in [plain, regularized] { try m.compile(optimizer: "sgd", loss: "mse") }
        let base = try plain.testOnBatch(x, y)
        let out = try plain.predict(x)
        let activity = (0.05 * Double(try XCTUnwrap(Ops.sum(Ops.abs(out)).scalar))
            + Double(try XCTUnwrap(Ops.sum(Ops.square(out)).scalar))) / 8
        let expected = base + activity + 0.1 * 6  // the kernel: six ones
        XCTAssertEqual(try regularized.testOnBatch(x, y), expected, accuracy: 1e-4 * expected)
        XCTAssertEqual(try regularized.evaluate(x, y, batchSize: 8, verbose: 0)[0], expected, accuracy: 1e-4 * expected)
        XCTAssertEqual(try regularized.evaluate(x, y, batchSize: 4, verbose: 0)[0], expected, accuracy: 1e-4 * expected)
        XCTAssertEqual(try regularized.predict(x).scalars, out.scalars)
        XCTAssertEqual(try regularized.testOnBatch(x, y), expected, accuracy: 1e-4 * expected, "penalties do not pile up")
    }

    func testNegativeFactorsThrow() {
        XCTAssertThrowsError(try ActivityRegularization(l1: -1)) { XCTAssertTrue("\($0)".contains("-1"), "\($0)") }
        XCTAssertThrowsError(try ActivityRegularization(l2: .infinity))
    }
}
