import Foundation
import XCTest
@testable import Keras

/// The fast kernels of the training step against plain reference loops, and the fused sparse
/// cross-entropy against the one-hot path it replaces.
final class FastKernelsTests: XCTestCase {
    typealias G = GradientCheck

    func testGemmIgnoresGarbageInTheOutputWhenBetaIsZero() {
        let (m, n, k) = (5, 7, 3)
        let a = G.random([m, k], seed: 81), b = G.random([k, n], seed: 82)
        let c = Tensor(shape: [m, n], repeating: .nan)
        Kernels.gemm(a.data, transA: false, b.data, transB: false, c.data, m: m, n: n, k: k)
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += a.data[i * k + p] * b.data[p * n + j] }
                XCTAssertEqual(c.data[i * n + j], s, accuracy: 1e-5)
            }
        }
    }

    func testDenseWithBiasMatchesMatmulPlusBias() throws {
        let x = G.random([4, 6], seed: 83), w = G.random([6, 5], seed: 84), b = G.random([5], seed: 85)
        let fused = try Ops.dense(x, kernel: w, bias: b)
        let plain = try Ops.matmul(x, w) + b
        XCTAssertTrue(fused.isClose(to: plain, atol: 1e-6, rtol: 1e-6), "\(fused) vs \(plain)")
    }

    func testSoftmaxRowsMatchesReference() {
        let (rows, cols) = (4, 9)
        let x = G.random([rows, cols], seed: 86)
        let y = Tensor(shape: [rows, cols])
        Kernels.softmaxRows(x.data, y.data, rows: rows, cols: cols)
        for r in 0..<rows {
            let row = (0..<cols).map { Double(x.data[r * cols + $0]) }
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for j in 0..<cols { XCTAssertEqual(y.data[r * cols + j], Float(e[j] / s), accuracy: 1e-6) }
        }
    }

    func testVectorExpMatchesExpfToTwoUlpAndKeepsItsSpecialValues() {
        var xs: [Float] = stride(from: Float(-86.9), through: 88.5, by: 0.173).map { $0 }
        xs += [0, -0.0, 1e-8, -1e-8, 0.3465736, -0.3465736, 88.72, -86.9]
        var ys = xs
        ys.withUnsafeMutableBufferPointer { Kernels.expInPlace($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(xs, ys) {
            let e = expf(x)
            XCTAssertLessThanOrEqual(abs(y - e), 2 * e.ulp, "exp(\(x)): \(y) vs expf \(e)")
        }
        // The tail (count not a multiple of eight) and the values expf gives at the edges.
        var special: [Float] = [.nan, -.infinity, .infinity, 89, -200, 0, 1, 2, -1, 3, 4]
        special.withUnsafeMutableBufferPointer { Kernels.expInPlace($0.baseAddress!, count: $0.count) }
        XCTAssertTrue(special[0].isNaN)
        XCTAssertEqual(special[1], 0)
        XCTAssertEqual(special[2], .infinity)
        XCTAssertEqual(special[3], .infinity)
        XCTAssertEqual(special[4], 0)
        XCTAssertEqual(special[5], 1)
        for (v, x) in zip(special[6...], [Float(1), 2, -1, 3, 4]) { XCTAssertEqual(v, expf(x), accuracy: 2 * expf(x).ulp) }
    }

    func testSoftmaxRowsOfNaNAndVeryNegativeLogits() throws {
        let x = try Tensor(shape: [2, 3], scalars: [0, -200, .nan, 1, -1000, 2])
        let y = Tensor(shape: [2, 3])
        Kernels.softmaxRows(x.data, y.data, rows: 2, cols: 3)
        XCTAssertTrue((0..<3).allSatisfy { y.data[$0].isNaN }, "a NaN logit makes its whole row NaN")
        XCTAssertEqual(y.data[4], 0)
        XCTAssertEqual(y.data[3] + y.data[5], 1, accuracy: 1e-6)
    }

    func testColumnSumsAddRowsInOrder() {
        for (rows, cols) in [(1, 1), (3, 7), (128, 100), (5, 16), (2, 9)] {
            let x = G.random([rows, cols], seed: 87)
            let out = Tensor(shape: [cols], repeating: .nan)
            Kernels.columnSums(x.data, rows: rows, cols: cols, into: out.data)
            for j in 0..<cols {
                var s: Float = 0
                for r in 0..<rows { s += x.data[r * cols + j] }
                XCTAssertEqual(out.data[j], s, "column \(j) of \(rows)x\(cols)")
            }
        }
    }

    func testHasNonFiniteFindsNaNInEveryChunkOfALargeTensor() {
        let n = Parallel.threshold * 3 + 5
        let t = Tensor(shape: [n], repeating: 1)
        XCTAssertFalse(t.hasNonFinite)
        for position in [0, n / 3, n / 2, n - 1] {
            t.data[position] = .infinity
            XCTAssertTrue(t.hasNonFinite, "inf at \(position) of \(n)")
            t.data[position] = 1
        }
    }

    func testHasNonFiniteFindsNaNAndInfinityInTheVectorBodyAndTheTail() {
        for n in [1, 15, 16, 17, 40] {
            for position in [0, n / 2, n - 1] {
                let t = Tensor(shape: [n], repeating: 1)
                XCTAssertFalse(t.hasNonFinite)
                t.data[position] = .nan
                XCTAssertTrue(t.hasNonFinite, "NaN at \(position) of \(n)")
                t.data[position] = -.infinity
                XCTAssertTrue(t.hasNonFinite, "-inf at \(position) of \(n)")
            }
        }
    }

    /// Loss values and logits gradients of the sparse loss on a softmax, fused or not.
    private func sparseLossAndGradient(_ labels: Tensor, _ logits: Tensor, ignoreClass: Int? = nil,
                                       hideSoftmax: Bool) throws -> (Tensor, Tensor) {
        let loss = SparseCategoricalCrossentropy(ignoreClass: ignoreClass)
        let tape = GradientTape()
        let (w, value) = try tape.record { () throws -> (Tensor, Tensor) in
            let w = tape.watch(logits)
            let p = try Ops.softmax(w)
            return (w, try loss(labels, hideSoftmax ? p * 1 : p))
        }
        return (value, try tape.gradient(of: value, with: [w])[0])
    }

    func testFusedSparseCrossentropyMatchesTheOneHotPath() throws {
        let logits = G.random([6, 4], seed: 87)
        let labels = Tensor([0, 3, 1, 2, 3, 0])
        for ignore in [nil, 3] as [Int?] {
            let (fused, gFused) = try sparseLossAndGradient(labels, logits, ignoreClass: ignore, hideSoftmax: false)
            let (plain, gPlain) = try sparseLossAndGradient(labels, logits, ignoreClass: ignore, hideSoftmax: true)
            XCTAssertTrue(fused.isClose(to: plain, atol: 1e-6, rtol: 1e-6), "\(fused) vs \(plain)")
            XCTAssertTrue(gFused.isClose(to: gPlain, atol: 1e-6, rtol: 1e-4), "\(gFused) vs \(gPlain)")
        }
    }

    func testSparseCrossentropyValuesWithoutATapeMatchTheOneHotFormula() throws {
        let p = try Ops.softmax(G.random([5, 3], seed: 88))
        let labels = Tensor([2, 0, 1, 1, 0])
        let values = try SparseCategoricalCrossentropy().perSample(labels, p)
        for r in 0..<5 {
            let row = (0..<3).map { p.data[r * 3 + $0] }
            let q = Swift.min(Swift.max(row[Int(labels.data[r])] / row.reduce(0, +), kerasEpsilon), 1 - kerasEpsilon)
            XCTAssertEqual(values.data[r], -logf(q), accuracy: 1e-6)
        }
    }
}
