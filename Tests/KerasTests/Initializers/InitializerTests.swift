import XCTest
@testable import Keras

final class InitializerTests: XCTestCase {
    func testNamesGiveKerasClassesAndConfigs() throws {
        let fixtures = try VocabFixtures.load("initializers", "configs.json")
        for (name, f) in fixtures.objectValue ?? [] where !name.hasPrefix("_") {
            let i = try initializer(named: name)
            XCTAssertEqual(i.className, f["class"]?.stringValue, name)
            assertConfig(i.config, f["config"], exclude: [], name)
            XCTAssertEqual(i.serialized["module"], "keras.initializers")
            let again = try initializer(className: i.className, config: i.config)
            XCTAssertEqual(again.className, i.className)
            XCTAssertEqual(try initializer(named: i.className).className, i.className)
        }
        XCTAssertEqual(try initializer(named: "uniform").className, "RandomUniform")
        XCTAssertEqual(try initializer(named: "normal").className, "RandomNormal")
        XCTAssertThrowsError(try initializer(named: "glorot")) { e in XCTAssertTrue("\(e)".contains("glorot")) }
        XCTAssertThrowsError(try initializer(className: "VarianceScaling", config: ["mode": "fan_middle"]))
        XCTAssertThrowsError(try initializer(className: "RandomNormal", config: ["stddev": "wide"]))
    }

    /// Keras's RNG differs, so random initializers are checked by their statistics.
    func testRandomInitializersHaveKerasStatistics() throws {
        let shape = [300, 200]
        let fanIn = 300.0, fanOut = 200.0, avg = (fanIn + fanOut) / 2
        let cases: [(Initializer, mean: Double, std: Double, bound: Double?)] = [
            (RandomUniform(minval: -0.2, maxval: 0.6), 0.2, 0.8 / 12.0.squareRoot(), 0.6),
            (RandomNormal(mean: 1, stddev: 0.3), 1, 0.3, nil),
            (TruncatedNormal(mean: 0, stddev: 0.5), 0, 0.5 * 0.8796, 1.0),
            (VarianceScaling.glorotUniform(), 0, (1 / avg).squareRoot(), (3 / avg).squareRoot()),
            (VarianceScaling.glorotNormal(), 0, (1 / avg).squareRoot(), 2 * (1 / avg).squareRoot() / 0.8796),
            (VarianceScaling.heUniform(), 0, (2 / fanIn).squareRoot(), (6 / fanIn).squareRoot()),
            (VarianceScaling.heNormal(), 0, (2 / fanIn).squareRoot(), 2 * (2 / fanIn).squareRoot() / 0.8796),
            (VarianceScaling.lecunUniform(), 0, (1 / fanIn).squareRoot(), (3 / fanIn).squareRoot()),
            (VarianceScaling.lecunNormal(), 0, (1 / fanIn).squareRoot(), 2 * (1 / fanIn).squareRoot() / 0.8796),
            (try VarianceScaling(scale: 2, mode: .fanOut, distribution: .untruncatedNormal), 0, (2 / fanOut).squareRoot(), nil),
        ]
        setRandomSeed(11)
        for (i, mean, std, bound) in cases {
            let v = i(shape).scalars.map(Double.init)
            let m = v.reduce(0, +) / Double(v.count)
            let s = (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
            XCTAssertEqual(m, mean, accuracy: 4 * std / Double(v.count).squareRoot() + 1e-9, i.className)
            XCTAssertEqual(s, std, accuracy: 0.02 * std, i.className)
            if let bound { XCTAssertLessThanOrEqual(v.map { Swift.abs($0 - mean) }.max() ?? 0, bound + 1e-6, i.className) }
        }
    }

    func testOrthogonalAndIdentityHaveKerasStructure() throws {
        let fixtures = try VocabFixtures.load("initializers", "configs.json")
        let tall = Orthogonal(gain: 2, seed: 1)([6, 4])
        let gram = try Ops.matmul(Ops.transpose(tall), tall)
        assertClose(gram.scalars, VocabFixtures.floats(fixtures["_orthogonal_gram"]), atol: 1e-5, rtol: 1e-5, "QᵀQ")
        let wide = Orthogonal(seed: 3)([4, 6])
        let rowsGram = try Ops.matmul(wide, Ops.transpose(wide))
        assertClose(rowsGram.scalars, Identity()([4, 4]).scalars, atol: 1e-5, rtol: 1e-5, "Q Qᵀ")
        let conv = Orthogonal()([3, 3, 2, 8])
        let flat = try Ops.reshape(conv, [18, 8])
        assertClose(try Ops.matmul(Ops.transpose(flat), flat).scalars, Identity()([8, 8]).scalars, atol: 1e-5, rtol: 1e-5, "flattened")
        XCTAssertEqual(Identity(gain: 1.5)([3, 5]).scalars, VocabFixtures.floats(fixtures["_identity_3x5"]))
        XCTAssertThrowsError(try Identity().check([2, 2, 2]))
        XCTAssertNoThrow(try Identity().check([2, 3]))
    }

    func testSeededInitializersAreReproducible() throws {
        let seeded: [Initializer] = [RandomUniform(seed: 5), RandomNormal(seed: 5), TruncatedNormal(seed: 5),
                                     VarianceScaling.heNormal(seed: 5), Orthogonal(seed: 5)]
        for i in seeded {
            XCTAssertEqual(i([7, 3]).scalars, i([7, 3]).scalars, "\(i.className) with a seed repeats")
        }
        setRandomSeed(42)
        let a = VarianceScaling.glorotUniform()([5, 5]).scalars + Orthogonal()([5, 5]).scalars
        setRandomSeed(42)
        let b = VarianceScaling.glorotUniform()([5, 5]).scalars + Orthogonal()([5, 5]).scalars
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(Array(a.prefix(25)), VarianceScaling.glorotUniform()([5, 5]).scalars)
    }

    func testCustomInitializersWork() throws {
        let halves = InitializerFunction("halves") { shape, _ in Tensor(shape: shape, repeating: 0.5) }
        let dense = Dense(2, kernelInitializer: halves)
        _ = try dense(Tensor([[1, 1, 1]]))
        XCTAssertEqual(dense.getWeights()[0].scalars, Array(repeating: 0.5, count: 6))
        let wrong = InitializerFunction("wrong") { _, _ in Tensor([1, 2]) }
        XCTAssertEqual(wrong([2, 2]).shape, [2, 2])
    }
}
