import XCTest
@testable import Keras

final class AlphaDropoutTests: XCTestCase {
    func testConfigsEqualKeras() throws {
        let expected = try XCTUnwrap(try loadFixture("layers/regularization/alpha_dropout_configs.json")["layers"]?.arrayValue)
        let layers = [try AlphaDropout(0.2, name: "alpha_dropout"), try AlphaDropout(0.5, noiseShape: [nil, 1, 3], seed: 4, name: "alpha_dropout_shaped")]
        for (layer, e) in zip(layers, expected) {
            XCTAssertEqual(layer.getConfig(), e["config"])
            let back = try AlphaDropout.declaration.make(try LayerConfig(className: "AlphaDropout", json: try XCTUnwrap(e["config"])))
            XCTAssertEqual(back.getConfig(), e["config"])
        }
    }

    /// Keras's formula: kept values `a·x + b`, dropped ones `a·α' + b`; mean and variance of
    /// standard-normal inputs are kept; nothing changes at inference.
    func testTrainingOnlyWithKerasFormula() throws {
        let rate = 0.3, alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
        let a = 1 / ((1 - rate) * (1 + rate * alphaP * alphaP)).squareRoot(), b = -a * alphaP * rate
        let x = GradientCheck.random([400, 50], seed: 9)
        let layer = try AlphaDropout(rate, seed: 1)
        XCTAssertEqual(try layer(x, training: false).scalars, x.scalars)
        let y = try layer(x, training: true)
        var dropped = 0
        for (xi, yi) in zip(x.scalars, y.scalars) {
            if abs(Double(yi) - (a * alphaP + b)) < 1e-5 { dropped += 1 } else { XCTAssertEqual(Double(yi), a * Double(xi) + b, accuracy: 1e-5) }
        }
        XCTAssertEqual(Double(dropped) / Double(x.count), rate, accuracy: 0.01)
        let normal = Tensor.uninitialized([400, 50])
        let rng = RandomGenerator(seed: 2)
        for i in 0..<normal.count { normal.data[i] = rng.normal() }
        let v = try AlphaDropout(rate, seed: 3)(normal, training: true).scalars.map(Double.init)
        let m = v.reduce(0, +) / Double(v.count)
        XCTAssertEqual(m, 0, accuracy: 0.03)
        XCTAssertEqual(v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count), 1, accuracy: 0.05)
        let shaped = try AlphaDropout(0.5, noiseShape: [nil, 1, 3], seed: 4)(Tensor(shape: [2, 5, 3], repeating: 1), training: true)
        for i in 0..<2 { for c in 0..<3 { XCTAssertEqual(Set((0..<5).map { shaped.scalars[i * 15 + $0 * 3 + c] }).count, 1, "shared along axis 1") } }
        XCTAssertEqual(try AlphaDropout(rate, seed: 7)(x, training: true).scalars, try AlphaDropout(rate, seed: 7)(x, training: true).scalars)
        try GradientCheck.check([GradientCheck.random([3, 4], seed: 8)], "AlphaDropout") { try AlphaDropout(0.4, seed: 5)($0[0], training: true) }
        XCTAssertThrowsError(try AlphaDropout(1.5)) { XCTAssertTrue("\($0)".contains("AlphaDropout(rate: 1.5)"), "\($0)") }
        XCTAssertThrowsError(try AlphaDropout(0.5, noiseShape: [nil, 2], name: "ad")(Tensor(shape: [2, 3]), training: true)) {
            XCTAssertTrue("\($0)".contains("AlphaDropout 'ad'") && "\($0)".contains("noiseShape"), "\($0)")
        }
    }
}
