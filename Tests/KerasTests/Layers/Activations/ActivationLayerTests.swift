import XCTest
@testable import Keras

final class ActivationLayerTests: XCTestCase {
    typealias G = GradientCheck

    func testLayersMatchKerasOutputsAndConfigs() throws {
        let cases = try VocabFixtures.load("activations", "layers.json").arrayValue ?? []
        XCTAssertEqual(cases.count, 10)
        let builders: [String: (LayerConfig) throws -> Layer] = [
            "ReLU": ReLU.fromConfig, "LeakyReLU": LeakyReLU.fromConfig, "ELU": ELU.fromConfig,
            "Softmax": Softmax.fromConfig, "PReLU": PReLU.fromConfig,
        ]
        for c in cases {
            let cls = c["class"]?.stringValue ?? ""
            let config = c["config"] ?? [:]
            let layer = try XCTUnwrap(builders[cls])(try LayerConfig(className: cls, json: config))
            let x = try VocabFixtures.tensor(c["x"])
            _ = try layer(x)
            let weights = try (c["weights"]?.arrayValue ?? []).map(VocabFixtures.tensor)
            if !weights.isEmpty { try layer.setWeights(weights) }
            let y = try layer(x)
            assertClose(y.scalars, try VocabFixtures.tensor(c["y"]).scalars, "\(cls) \(config["name"] ?? .null)")
            assertConfig(layer.getConfig(), config, exclude: ["dtype"], cls)
        }
    }

    func testThresholdedReLUFollowsKeras2() throws {
        let layer = try ThresholdedReLU(theta: 0.5)
        XCTAssertEqual(try layer(Tensor([[-1, 0.5, 0.6, 2]])).scalars, [0, 0, 0.6, 2])
        XCTAssertEqual(layer.getConfig()["theta"], .double(0.5))
        let fromConfig = try ThresholdedReLU.fromConfig(LayerConfig(className: "ThresholdedReLU", json: ["theta": 2.0]))
        XCTAssertEqual(try fromConfig(Tensor([[1, 3]])).scalars, [0, 3])
        XCTAssertEqual(try ThresholdedReLU().theta, 1)
    }

    func testReLUEdgesFollowKeras() throws {
        // Keras keeps x only strictly above a non-zero threshold; the slope applies below it.
        let r = try ReLU(maxValue: 4, negativeSlope: 0.1, threshold: 0.5)
        assertClose(try r(Tensor([[0.5, 0.25, 5, -1.5]])).scalars, [0, -0.025, 4, -0.2])
        let leaky = try LeakyReLU(alpha: 0.25)
        XCTAssertEqual(leaky.negativeSlope, 0.25)
        XCTAssertEqual(try leaky(Tensor([[-4, 2]])).scalars, [-1, 2])
        XCTAssertEqual(try LeakyReLU().negativeSlope, 0.3)
    }

    func testActivationLayerGradients() throws {
        let x = G.random([2, 3, 4], avoiding: [0, 0.5, 1, 4], seed: 5)
        let layers: [Layer] = [try ReLU(maxValue: 4, negativeSlope: 0.1, threshold: 0.5), try ReLU(), try LeakyReLU(),
                               try ELU(alpha: 0.7), Softmax(axis: 1), try ThresholdedReLU()]
        for l in layers {
            try G.check([x], l.className) { xs in try l.callEager(xs, training: true) }
        }
        let p = PReLU(alphaInitializer: Constant(0.2), sharedAxes: [1])
        _ = try p(x)
        let alpha = try XCTUnwrap(p.alpha)
        XCTAssertEqual(alpha.shape, [1, 4])
        try G.check([x], variables: [alpha], "PReLU") { xs in try p.callEager(xs, training: true) }
    }

    func testPReLUTrainsItsSlopeInAModel() throws {
        setRandomSeed(2)
        let prelu = PReLU()
        let model = try Sequential([Dense(4, inputDim: 2), prelu, Dense(1)])
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.05)), loss: "mse")
        let x = Tensor((0..<32).map { [Float($0 % 8) - 4, Float($0 % 5) - 2] })
        let y = Tensor((0..<32).map { i in [Swift.abs(Float(i % 8) - 4)] })
        let h = try model.fit(x, y, epochs: 40, verbose: 0)
        XCTAssertLessThan(h.history["loss"]!.last!, h.history["loss"]!.first! * 0.5)
        XCTAssertNotEqual(prelu.alpha?.numpy.scalars ?? [], [0, 0, 0, 0])
        XCTAssertEqual(model.trainableWeights.count, 5)
    }

    func testBadActivationLayerArgumentsThrow() {
        XCTAssertThrowsError(try ReLU(maxValue: -1)) { e in XCTAssertTrue("\(e)".contains("max_value: -1")) }
        XCTAssertThrowsError(try ReLU(negativeSlope: -0.1))
        XCTAssertThrowsError(try ReLU(threshold: -2))
        XCTAssertThrowsError(try LeakyReLU(negativeSlope: -1))
        XCTAssertThrowsError(try ELU(alpha: .nan))
        XCTAssertThrowsError(try ThresholdedReLU(theta: -1))
        XCTAssertThrowsError(try Softmax(axis: 3)(Tensor([[1, 2]])))
        XCTAssertThrowsError(try PReLU(sharedAxes: [0])(Tensor([[1, 2]])))
        XCTAssertThrowsError(try PReLU()(Tensor([1, 2])))
        XCTAssertThrowsError(try PReLU.fromConfig(LayerConfig(className: "PReLU", json: ["shared_axes": "x"])))
    }
}
