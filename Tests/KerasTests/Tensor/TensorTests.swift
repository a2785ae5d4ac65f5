import XCTest
@testable import Keras

final class TensorTests: XCTestCase {
    func testConstructionChecksShapeAndCount() {
        XCTAssertThrowsError(try Tensor(shape: [2, 3], scalars: [1, 2, 3]))
        XCTAssertThrowsError(try Tensor(shape: [-1, 3], scalars: []))
        XCTAssertEqual(try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).value(at: [1, 0]), 3)
        XCTAssertNil(Tensor([[1, 2]]).value(at: [1, 0]))
        XCTAssertEqual(Tensor(7).shape, [])
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).description, "[[1. 2.]\n [3. 4.]]")
    }

    /// Elementwise work above `Parallel.threshold` is split across cores; the result must be the
    /// same as a plain loop.
    func testLargeElementwiseWorkSplitAcrossCoresMatchesAPlainLoop() throws {
        let n = Parallel.threshold * 3 + 17
        let g = RandomGenerator(seed: 1)
        let a = Tensor(shape: [n]), b = Tensor(shape: [n])
        for i in 0..<n { a.data[i] = g.uniform(-2, 2); b.data[i] = g.uniform(0.5, 2) }
        let sum = try a + b, quotient = try a / b, relu = Ops.relu(a), e = Ops.exp(a)
        for i in stride(from: 0, to: n, by: 997) {
            XCTAssertEqual(sum.data[i], a.data[i] + b.data[i])
            XCTAssertEqual(quotient.data[i], a.data[i] / b.data[i])
            XCTAssertEqual(relu.data[i], max(a.data[i], 0))
            XCTAssertEqual(e.data[i], expf(a.data[i]), accuracy: 1e-6 * max(1, e.data[i]))
        }
        XCTAssertEqual(sum.data[n - 1], a.data[n - 1] + b.data[n - 1])
    }

    func testNonFiniteDetection() {
        XCTAssertFalse(Tensor([1, 2, 3]).hasNonFinite)
        XCTAssertTrue(Tensor([1, .nan, 3]).hasNonFinite)
        XCTAssertTrue(Tensor([1, -.infinity]).hasNonFinite)
    }

    func testSeededGeneratorIsReproducibleAndUniform() {
        let a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
        let g = RandomGenerator(seed: 10)
        let draws = (0..<20000).map { _ in g.uniform() }
        XCTAssertEqual(Double(draws.reduce(0, +)) / 20000, 0.5, accuracy: 0.01)
        XCTAssertTrue(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        let normals = (0..<20000).map { _ in Double(g.normal()) }
        let mean = normals.reduce(0, +) / 20000
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
        XCTAssertEqual(Set(g.permutation(50)), Set(0..<50))
    }

    func testFillNormalHasTheStandardNormalShapeAndTruncates() {
        let n = 200_001   // odd: the last pair's second value is dropped
        let g = RandomGenerator(seed: 12)
        var z = [Float](repeating: .nan, count: n)
        z.withUnsafeMutableBufferPointer { g.fillNormal($0.baseAddress!, count: n, stddev: 1) }
        XCTAssertTrue(z.allSatisfy { $0.isFinite })
        let v = z.map(Double.init), count = Double(n)
        func moment(_ k: Double) -> Double { v.map { pow($0, k) }.reduce(0, +) / count }
        XCTAssertEqual(moment(1), 0, accuracy: 0.01)
        XCTAssertEqual(moment(2), 1, accuracy: 0.015)
        XCTAssertEqual(moment(3), 0, accuracy: 0.05)
        XCTAssertEqual(moment(4), 3, accuracy: 0.06)   // the normal's kurtosis
        // Probability masses within 1 and 2 standard deviations: 0.6827 and 0.9545.
        XCTAssertEqual(Double(v.filter { abs($0) < 1 }.count) / count, 0.6827, accuracy: 0.004)
        XCTAssertEqual(Double(v.filter { abs($0) < 2 }.count) / count, 0.9545, accuracy: 0.002)
        // Truncated at 2 and shifted: bounded, with the truncated normal's standard deviation.
        z.withUnsafeMutableBufferPointer { g.fillNormal($0.baseAddress!, count: n, mean: 3, stddev: 0.5, bound: 2) }
        let t = z.map { (Double($0) - 3) / 0.5 }
        XCTAssertLessThanOrEqual(t.map(abs).max() ?? 9, 2 + 1e-5)
        XCTAssertEqual(t.reduce(0, +) / count, 0, accuracy: 0.01)
        XCTAssertEqual((t.map { $0 * $0 }.reduce(0, +) / count).squareRoot(), 0.87962566, accuracy: 0.005)
    }

    func testSetRandomSeedGivesTheSameInitialWeights() throws {
        setRandomSeed(21)
        let a = try Sequential([Dense(5, inputShape: [3])]).getWeights()
        setRandomSeed(21)
        let b = try Sequential([Dense(5, inputShape: [3])]).getWeights()
        XCTAssertEqual(a, b)
        setRandomSeed(22)
        XCTAssertNotEqual(try Sequential([Dense(5, inputShape: [3])]).getWeights(), a)
    }
}
