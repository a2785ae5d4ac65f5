import XCTest
@testable import Keras

/// `Ops.dotProductAttention` (MultiHeadAttention's fused core) against the same attention built
/// from separate ops (transposes, `batchMatmul`, `maskedSoftmax`): results and tape gradients
/// through both outputs, with and without masks, at sizes that hit every kernel tail and at one
/// large enough to split across cores; finite differences; shape errors.
final class DotProductAttentionTests: XCTestCase {
    /// The reference: `[B, T, H, d]` → `[B, H, T, d]`, scaled scores, masked softmax, mix, back.
    func separateOps(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float, mask: Tensor?) throws -> (Tensor, Tensor) {
        let perm = [0, 2, 1, 3]
        let m = mask.map { $0.viewing([q.shape[0], 1, q.shape[1], k.shape[1]]) }
        let probs = try Ops.maskedSoftmax(Ops.batchMatmul(Ops.transpose(Ops.affine(q, scale: scale), perm),
                                                          Ops.transpose(k, perm), transposeB: true), mask: m)
        return (try Ops.transpose(Ops.batchMatmul(probs, Ops.transpose(v, perm)), perm), probs)
    }

    /// Compares results and the gradients of `Σ out ⊙ R₁ + Σ probs ⊙ R₂` for q, k and v.
    func compare(b: Int, h: Int, t: Int, s: Int, dk: Int, dv: Int, mask: Tensor? = nil, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let q = GradientCheck.random([b, t, h, dk], seed: 1), k = GradientCheck.random([b, s, h, dk], seed: 2)
        let v = GradientCheck.random([b, s, h, dv], seed: 3)
        let r1 = GradientCheck.random([b, t, h, dv], seed: 4), r2 = GradientCheck.random([b, h, t, s], seed: 5)
        let scale = 1 / Float(dk).squareRoot()
        func run(_ f: (Tensor, Tensor, Tensor) throws -> (Tensor, Tensor)) throws -> [Tensor] {
            let tape = GradientTape()
            let (xs, results, loss) = try tape.record { () throws -> ([Tensor], [Tensor], Tensor) in
                let xs = [q, k, v].map { tape.watch($0) }
                let (out, probs) = try f(xs[0], xs[1], xs[2])
                return (xs, [out, probs], try Ops.add(Ops.sum(Ops.multiply(out, r1)), Ops.sum(Ops.multiply(probs, r2))))
            }
            return results + (try tape.gradient(of: loss, with: xs))
        }
        let fused = try run { try Ops.dotProductAttention(query: $0, key: $1, value: $2, scale: scale, mask: mask) }
        let reference = try run { try separateOps($0, $1, $2, scale: scale, mask: mask) }
        for (i, label) in ["output", "probabilities", "dq", "dk", "dv"].enumerated() {
            XCTAssertEqual(fused[i].shape, reference[i].shape, "\(what) \(label) shape", file: file, line: line)
            assertClose(fused[i].scalars, reference[i].scalars, atol: 1e-5, rtol: 1e-4, "\(what) \(label)", file: file, line: line)
        }
    }

    func testMatchesSeparateOpsAtOddSizes() throws {
        // t = 7 and s = 9, dv = 10: the four-row blocks, the single rows and the column tails.
        try compare(b: 2, h: 3, t: 7, s: 9, dk: 5, dv: 10, "unmasked")
        // Every fifth key dropped, and sequence 1's query 2 sees no key at all (zeros).
        let mask = try Tensor(shape: [2, 7, 9], scalars: (0..<126).map { i in
            i % 5 == 4 || (i / 63 == 1 && (i % 63) / 9 == 2) ? 0 : 1
        })
        try compare(b: 2, h: 3, t: 7, s: 9, dk: 5, dv: 10, mask: mask, "masked")
        let (_, probs) = try Ops.dotProductAttention(query: GradientCheck.random([2, 7, 3, 5]), key: GradientCheck.random([2, 9, 3, 5]),
                                                     value: GradientCheck.random([2, 9, 3, 10]), scale: 1, mask: mask)
        XCTAssertEqual(Array(probs.scalars[(3 * 7 + 2) * 9 ..< (3 * 7 + 3) * 9]), [Float](repeating: 0, count: 9))
    }

    func testMatchesSeparateOpsAtTheBenchShapeSplitAcrossCores() throws {
        // 64 × 64 × (16 + 16) multiply-adds per pair reach Parallel.threshold: the pairs split.
        XCTAssertGreaterThan(Parallel.partCount(rows: 16, width: AttentionDims(batch: 4, heads: 4, t: 64, s: 64, dk: 16, dv: 16).workPerPair),
                             Parallel.cores > 1 ? 1 : 0)
        try compare(b: 4, h: 4, t: 64, s: 64, dk: 16, dv: 16, "bench shape")
    }

    func testGradientsByFiniteDifferences() throws {
        let q = GradientCheck.random([2, 3, 2, 4], seed: 7), k = GradientCheck.random([2, 5, 2, 4], seed: 8)
        let v = GradientCheck.random([2, 5, 2, 3], seed: 9)
        let mask = try Tensor(shape: [2, 3, 5], scalars: (0..<30).map { $0 % 4 == 3 ? 0 : 1 })
        try GradientCheck.check([q, k, v], "dotProductAttention output") { xs in
            try Ops.dotProductAttention(query: xs[0], key: xs[1], value: xs[2], scale: 0.5, mask: mask).output
        }
        try GradientCheck.check([q, k, v], "dotProductAttention probabilities") { xs in
            try Ops.dotProductAttention(query: xs[0], key: xs[1], value: xs[2], scale: 0.5).probabilities
        }
    }

    func testShapeErrorsNameTheOp() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let e as KerasError { return e.message } catch { return "\(error)" }
            return ""
        }
        let q = Tensor(shape: [2, 3, 2, 4]), k = Tensor(shape: [2, 5, 2, 4]), v = Tensor(shape: [2, 5, 2, 3])
        var m = message { _ = try Ops.dotProductAttention(query: q, key: Tensor(shape: [2, 5, 2, 3]), value: v, scale: 1) }
        XCTAssertTrue(m.contains("dotProductAttention") && m.contains("[2, 5, 2, 3]"), m)
        m = message { _ = try Ops.dotProductAttention(query: q, key: k, value: Tensor(shape: [2, 4, 2, 3]), scale: 1) }
        XCTAssertTrue(m.contains("dotProductAttention") && m.contains("value"), m)
        m = message { _ = try Ops.dotProductAttention(query: q, key: k, value: v, scale: 1, mask: Tensor(shape: [2, 5, 3])) }
        XCTAssertTrue(m.contains("dotProductAttention") && m.contains("mask"), m)
    }
}
