import XCTest
@testable import Keras

final class DenseTests: XCTestCase {
    /// One fixture per name that `ActivationFunction.builtins` knows, written by real Keras.
    func testDenseMatchesKerasForwardForEveryActivation() throws {
        // Keras's Dense(5) cannot use "threshold" (no defaults) nor "glu" (an odd width) either.
        for name in ActivationFunction.builtins.keys.sorted() where name != "threshold" && name != "glu" {
            let fixture = try LayerFixture("dense_\(name)")
            let layer = try Dense(5, activation: name, name: "dense_\(name)")
            try fixture.assertLayerMatches(layer)
            for key in ["name", "units", "activation", "use_bias"] {
                XCTAssertEqual(layer.getConfig()[key], fixture.config[key], "dense_\(name): \(key)")
            }
        }
    }

    func testDenseGradients() throws {
        for act in ["linear", "tanh", "sigmoid", "softmax", "gelu"] {
            let layer = try Dense(4, activation: act)
            try GradientCheck.check(layer: layer, input: GradientCheck.random([3, 5], seed: 81))
        }
        let ranked = Dense(2)
        try GradientCheck.check(layer: ranked, input: GradientCheck.random([2, 3, 4], seed: 82))
    }

    func testDenseRejectsBadInput() throws {
        XCTAssertThrowsError(try Dense(-3)(Tensor(shape: [2, 4]))) { error in
            XCTAssertTrue("\(error)".contains("units"), "\(error)")
        }
        let layer = Dense(3)
        _ = try layer(Tensor(shape: [2, 4]))
        XCTAssertThrowsError(try layer(Tensor(shape: [2, 5]))) { XCTAssertTrue("\($0)".contains("[2, 5]"), "\($0)") }
        XCTAssertThrowsError(try Dense(3)(Tensor(2)), "a scalar has no feature axis")
        XCTAssertThrowsError(try Sequential([Dense(3, inputShape: [4]), Dense(2)]).predict(Tensor(shape: [2, 5]))) {
            XCTAssertTrue("\($0)".contains("(None, 4)"), "\($0)")
        }
        XCTAssertThrowsError(try Dense(3, activation: "no_such_thing")) { error in
            XCTAssertTrue("\(error)".contains("no_such_thing"), "\(error)")
        }
    }
}
