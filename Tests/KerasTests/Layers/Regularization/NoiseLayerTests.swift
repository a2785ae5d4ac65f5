import XCTest
@testable import Keras

final class NoiseLayerTests: XCTestCase {
    func testConfigsEqualKeras() throws {
        let fixture = try loadFixture("layers/regularization/configs.json")
        let expected = try XCTUnwrap(fixture["layers"]?.arrayValue)
        let layers: [Layer] = [try GaussianNoise(0.1, seed: 3, name: "gaussian_noise"),
                               try GaussianDropout(0.2, name: "gaussian_dropout"), IdentityLayer(name: "identity")]
        for (layer, e) in zip(layers, expected) {
            XCTAssertEqual(layer.getConfig(), e["config"], layer.className)
            XCTAssertEqual(layer.declaration?.className, e["class_name"]?.stringValue)
            let back = try XCTUnwrap(LayerDeclaration.byClassName[layer.className]).make(try LayerConfig(className: layer.className, json: try XCTUnwrap(e["config"])))
            XCTAssertEqual(back.getConfig(), e["config"])
        }
    }

    func testTrainingOnlyNoiseWithKerasStatistics() throws {
        let x = Tensor(shape: [200, 50], repeating: 2)
        for layer in [try GaussianNoise(0.5, seed: 1), try GaussianDropout(0.5, seed: 1), IdentityLayer()] as [Layer] {
            XCTAssertEqual(try layer(x, training: false).scalars, x.scalars, "\(layer.className) at inference")
        }
        func stats(_ t: Tensor) -> (Double, Double) {
            let v = t.scalars.map(Double.init), m = v.reduce(0, +) / Double(v.count)
            return (m, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot())
        }
        let (m1, s1) = stats(try GaussianNoise(0.5, seed: 1)(x, training: true))
        XCTAssertEqual(m1, 2, accuracy: 0.03); XCTAssertEqual(s1, 0.5, accuracy: 0.02)
        let (m2, s2) = stats(try GaussianDropout(0.5, seed: 1)(x, training: true))
        XCTAssertEqual(m2, 2, accuracy: 0.06); XCTAssertEqual(s2, 2, accuracy: 0.06)   // 2 · sqrt(0.5 / 0.5)
        XCTAssertEqual(try GaussianNoise(0.5, seed: 7)(x, training: true).scalars, try GaussianNoise(0.5, seed: 7)(x, training: true).scalars, "a seed reproduces the noise")
        XCTAssertThrowsError(try GaussianNoise(1.5)) { XCTAssertTrue("\($0)".contains("stddev: 1.5"), "\($0)") }
        XCTAssertThrowsError(try GaussianDropout(-0.1)) { XCTAssertTrue("\($0)".contains("rate: -0.1"), "\($0)") }
    }

    func testGradientsAndSaving() throws {
        let x = GradientCheck.random([3, 4], seed: 8)
        try GradientCheck.check([x], "GaussianDropout") { try GaussianDropout(0.3, seed: 5)($0[0], training: true) }
        try GradientCheck.check([x], "GaussianNoise") { try GaussianNoise(0.3, seed: 5)($0[0], training: true) }
        let model = try Sequential([InputLayer(shape: [4]), GaussianNoise(0.1, seed: 2), Dense(3, name: "nd"),
                                    GaussianDropout(0.2), IdentityLayer(), Dense(1)])
        try model.compile(optimizer: "adam", loss: "mse")
        try model.fit(x, Tensor(shape: [3, 1], repeating: 1), epochs: 2, verbose: 0)
        for ext in ["keras", "h5"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("noise-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            let back = try loadModel(path)
            assertClose(try back.predict([x]), try model.predict([x]), "noise model .\(ext)")
            XCTAssertEqual(back.layers.map(\.className), model.layers.map(\.className))
        }
    }

    /// Keras 3: a noise layer that draws holds a SeedGenerator (none at rate 0); each training
    /// call moves its state `[seed, counter]` on by one, inference leaves it, and the state alone
    /// decides the draw.
    func testNoiseLayersDrawFromTheirSeedGenerator() throws {
        let x = Tensor(shape: [4, 6, 3], repeating: 1)
        let layers: [Layer] = [try Dropout(0.5, seed: 3), try SpatialDropout1D(0.5, seed: 3), try GaussianNoise(0.3, seed: 3),
                               try GaussianDropout(0.3, seed: 3), try AlphaDropout(0.3, seed: 3)]
        for layer in layers {
            let g = try XCTUnwrap(layer.seedGenerators.first, layer.className)
            XCTAssertEqual(g.state, [3, 0], layer.className)
            let first = try layer(x, training: true).scalars
            _ = try layer(x, training: false)
            XCTAssertEqual(g.state, [3, 1], "\(layer.className): one draw per training call, none at inference")
            XCTAssertNotEqual(try layer(x, training: true).scalars, first, layer.className)
            g.assign(seed: 3, counter: 0)
            XCTAssertEqual(try layer(x, training: true).scalars, first, "\(layer.className): the state decides the draw")
        }
        for layer in [try Dropout(0, seed: 3), try GaussianNoise(0), try GaussianDropout(0), try AlphaDropout(0)] as [Layer] {
            XCTAssertTrue(layer.seedGenerators.isEmpty, "\(layer.className) at rate 0 draws nothing and has no generator")
        }
        let model = try Sequential([InputLayer(shape: [6, 3]), Dropout(0.5, seed: 1), Dense(2), GaussianNoise(0.1, seed: 2)])
        XCTAssertEqual(model.allSeedGenerators.map { $0.generator.seed }, [1, 2])
    }

    /// A training call draws Keras's numbers on JAX for the generator's state `[seed, counter]`
    /// (numbers jax 0.10.2 / keras 3.15.1 printed: `keras.random.dropout(np.ones((2, 7)), 0.3,
    /// seed=jnp.array([7, 2], "uint32"))`, `keras.random.normal((6,), 0, 0.2, seed=[3, 1])`).
    func testTrainingCallsDrawKerassNumbersFromTheGeneratorState() throws {
        let dropout = try Dropout(0.3, seed: 7)
        let g = try XCTUnwrap(dropout.seedGenerators.first)
        g.assign(seed: 7, counter: 2)
        let kept: [Float] = [1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1]
        XCTAssertEqual(try dropout(Tensor(shape: [2, 7], repeating: 1), training: true).scalars, kept.map { $0 / Float(0.7) })
        XCTAssertEqual(g.state, [7, 3])
        let noise = try GaussianNoise(0.2, seed: 3)
        try XCTUnwrap(noise.seedGenerators.first).assign(seed: 3, counter: 1)
        XCTAssertEqual(try noise(Tensor(shape: [6]), training: true).scalars.map(\.bitPattern),
                       [0x3E72_DD7F, 0xBD8E_E0C6, 0xBE9B_CE25, 0x3E38_1A8B, 0xBD1C_ED4B, 0x3EA4_66D8])
    }
}
