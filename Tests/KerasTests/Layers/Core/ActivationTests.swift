import XCTest
@testable import Keras

final class ActivationTests: XCTestCase {
    func testActivationMatchesKerasForwardAndConfig() throws {
        for name in ["relu", "tanh", "softmax", "gelu", "hard_sigmoid"] {
            let fixture = try LayerFixture("activation_\(name)")
            let layer = try Activation(name, name: "activation_\(name)")
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
        }
    }

    /// Seed 001: an activation given to Dense equals the same activation given as a layer.
    func testActivationLayerEqualsDenseActivation() throws {
        let model1 = try Sequential([Dense(64, activation: "tanh", inputShape: [32])])
        let model2 = try Sequential([Dense(64, inputShape: [32]), Activation("tanh")])
        XCTAssertEqual(model1.layers[0].activation, model2.layers[1].activation)
        XCTAssertNotEqual(model1.layers[0].activation, model2.layers[0].activation)
        XCTAssertEqual(model2.outputShape, [nil, 64])
        XCTAssertNil(Flatten().activation)
    }

    func testActivationGradients() throws {
        for name in ["relu", "softmax", "selu", "mish"] {
            let x = GradientCheck.random([3, 4], avoiding: [0], seed: 83)
            try GradientCheck.check(layer: try Activation(name), input: x)
        }
    }

    func testUnknownActivationNameThrows() {
        XCTAssertThrowsError(try Activation("relu7")) { error in
            XCTAssertEqual((error as? KerasError).map { if case .unknownName = $0 { return true } else { return false } }, true)
            XCTAssertTrue("\(error)".contains("relu7") && "\(error)".contains("relu6"), "\(error)")
        }
    }
}
