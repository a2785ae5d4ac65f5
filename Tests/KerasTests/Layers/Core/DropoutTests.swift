import XCTest
@testable import Keras

final class DropoutTests: XCTestCase {
    func testDropoutIsIdentityAtInferenceLikeKeras() throws {
        for name in ["dropout_inference", "dropout_noise_shape"] {
            let fixture = try LayerFixture(name)
            let rate = try XCTUnwrap(fixture.config["rate"]?.doubleValue)
            let noise = fixture.config["noise_shape"]?.arrayValue.map { $0.map(\.intValue) }
            let layer = try Dropout(rate, noiseShape: noise, seed: fixture.config["seed"]?.intValue, name: name)
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
        }
    }

    func testTrainingDropsAboutRateAndScalesTheRest() throws {
        let layer = try Dropout(0.25, seed: 5)
        let x = Tensor(shape: [200, 50], repeating: 2)
        let y = try layer(x, training: true)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / Double(x.count), 0.75, accuracy: 0.02)
        for v in kept { XCTAssertEqual(v, 2 / 0.75, accuracy: 1e-6) }
        // The expected sum is preserved.
        XCTAssertEqual(Double(y.scalars.reduce(0, +)) / Double(x.count), 2, accuracy: 0.06)
    }

    func testSeededDropoutIsReproducibleAndAdvances() throws {
        let x = Tensor(shape: [4, 8], repeating: 1)
        let a = try Dropout(0.5, seed: 42), b = try Dropout(0.5, seed: 42)
        let first = try a(x, training: true)
        XCTAssertEqual(first, try b(x, training: true))
        XCTAssertNotEqual(first, try a(x, training: true), "a second call draws a new mask")
    }

    func testNoiseShapeSharesTheMaskAlongUnitAxes() throws {
        let layer = try Dropout(0.5, noiseShape: [nil, 1, 4], seed: 9)
        let y = try layer(Tensor(shape: [3, 5, 4], repeating: 1), training: true)
        for b in 0..<3 {
            for f in 0..<4 {
                let column = (0..<5).map { y.scalars[(b * 5 + $0) * 4 + f] }
                XCTAssertEqual(Set(column).count, 1, "sample \(b) feature \(f): \(column)")
            }
        }
    }

    func testRateOneDropsEverythingAndRateZeroNothing() throws {
        let x = GradientCheck.random([2, 3], seed: 1)
        XCTAssertEqual(try Dropout(1)(x, training: true).scalars, [Float](repeating: 0, count: 6))
        XCTAssertEqual(try Dropout(0)(x, training: true), x)
    }

    func testDropoutGradientsAtInferenceAndWithAFixedMask() throws {
        let x = GradientCheck.random([3, 4], seed: 84)
        try GradientCheck.check(layer: try Dropout(0.4), input: x, training: false)
        // A fresh layer with the same seed draws the same mask on every evaluation.
        try GradientCheck.check([x], "dropout with a fixed mask") { xs in
            try Dropout(0.4, seed: 17)(Ops.square(xs[0]), training: true)
        }
    }

    func testDropoutRejectsBadArguments() {
        XCTAssertThrowsError(try Dropout(1.5)) { XCTAssertTrue("\($0)".contains("1.5"), "\($0)") }
        XCTAssertThrowsError(try Dropout(-0.1))
        XCTAssertThrowsError(try Dropout(.nan))
        XCTAssertThrowsError(try Dropout(0.5, noiseShape: [nil, 0]))
        XCTAssertThrowsError(try Dropout(0.5, noiseShape: [nil, 3])(Tensor(shape: [2, 4]), training: true)) {
            XCTAssertTrue("\($0)".contains("noiseShape"), "\($0)")
        }
        XCTAssertThrowsError(try Dropout(0.5, noiseShape: [nil])(Tensor(shape: [2, 4]), training: true))
    }

    func testDropoutInASequentialModelTrains() throws {
        setRandomSeed(3)
        let model = try Sequential([Dense(16, activation: .relu, inputDim: 2), Dropout(0.1), Dense(1)])
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.02)), loss: "mse")
        let x = GradientCheck.random([32, 2], seed: 2)
        let y = try Ops.sum(x, axes: [1], keepDims: true)
        let history = try model.fit(x, y, epochs: 100, verbose: 0)
        let losses = try XCTUnwrap(history.history["loss"])
        XCTAssertLessThan(try XCTUnwrap(losses.last), try XCTUnwrap(losses.first) * 0.2)
    }
}
