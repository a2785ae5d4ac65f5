import XCTest
@testable import Keras

/// `Ops.dotProductAttention` (MultiHeadAttention's fused core) against the same attention built
/// from separate ops (transposes, `batchMatmul`, `maskedSoftmax`): results and tape gradients
/// through both outputs, with and without masks, at sizes that hit every kernel tail and at one
/// large enough to split across cores; the packed self-attention form (one `[q | k | v]` tensor)
/// against the separate one; finite differences; shape errors.
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

    /// `qkv` `[b, t, h·(2·dk + dv)]` cut into the query, key and value `[b, t, h, d]` it packs.
    func unpacked(_ qkv: Tensor, h: Int, dk: Int, dv: Int) throws -> [Tensor] {
        let b = qkv.shape[0], t = qkv.shape[1], row = qkv.shape[2], x = qkv.scalars
        var parts: [Tensor] = []
        for (start, d) in [(0, dk), (h * dk, dk), (2 * h * dk, dv)] {
            var values: [Float] = []
            for r in 0..<(b * t) { values += x[(r * row + start)..<(r * row + start + h * d)] }
            parts.append(try Tensor(shape: [b, t, h, d], scalars: values))
        }
        return parts
    }

    /// The packed op against the separate one on the three parts it reads: results and the
    /// gradient of `qkv` (the three gradients side by side), through the output and the
    /// probabilities together, and through the probabilities alone (no value gradient: zeros).
    func comparePacked(b: Int, h: Int, t: Int, dk: Int, dv: Int, mask: Tensor? = nil, _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let qkv = GradientCheck.random([b, t, h * (2 * dk + dv)], seed: 11), parts = try unpacked(qkv, h: h, dk: dk, dv: dv)
        let r1 = GradientCheck.random([b, t, h, dv], seed: 4), r2 = GradientCheck.random([b, h, t, t], seed: 5)
        let scale = 1 / Float(dk).squareRoot()
        for withOutput in [true, false] {
            func loss(_ out: Tensor, _ probs: Tensor) throws -> Tensor {
                let p = try Ops.sum(Ops.multiply(probs, r2))
                return withOutput ? try Ops.add(Ops.sum(Ops.multiply(out, r1)), p) : p
            }
            let tape = GradientTape()
            let (x, packed, packedLoss) = try tape.record { () throws -> (Tensor, (output: Tensor, probabilities: Tensor), Tensor) in
                let x = tape.watch(qkv)
                let r = try Ops.dotProductAttention(packed: x, heads: h, keyDim: dk, valueDim: dv, scale: scale, mask: mask)
                return (x, r, try loss(r.output, r.probabilities))
            }
            let dPacked = try tape.gradient(of: packedLoss, with: [x])[0]
            let separate = GradientTape()
            let (xs, reference, referenceLoss) = try separate.record { () throws -> ([Tensor], (output: Tensor, probabilities: Tensor), Tensor) in
                let xs = parts.map { separate.watch($0) }
                let r = try Ops.dotProductAttention(query: xs[0], key: xs[1], value: xs[2], scale: scale, mask: mask)
                return (xs, r, try loss(r.output, r.probabilities))
            }
            let grads = try separate.gradient(of: referenceLoss, with: xs)
            let joined = try Ops.concatenate(zip(grads, [dk, dk, dv]).map { g, d in try Ops.reshape(g, [b, t, h * d]) }, axis: -1)
            let label = "\(what)\(withOutput ? "" : " (probabilities only)")"
            assertClose(packed.output.scalars, reference.output.scalars, atol: 1e-6, rtol: 1e-5, "\(label) output", file: file, line: line)
            assertClose(packed.probabilities.scalars, reference.probabilities.scalars, atol: 1e-6, rtol: 1e-5, "\(label) probabilities", file: file, line: line)
            XCTAssertEqual(dPacked.shape, qkv.shape, "\(label) gradient shape", file: file, line: line)
            assertClose(dPacked.scalars, joined.scalars, atol: 1e-6, rtol: 1e-5, "\(label) gradient", file: file, line: line)
        }
    }

    func testPackedProjectionsMatchSeparateOnes() throws {
        try comparePacked(b: 2, h: 3, t: 7, dk: 5, dv: 4, "odd sizes")
        let mask = try Tensor(shape: [2, 7, 7], scalars: (0..<98).map { $0 % 5 == 4 ? 0 : 1 })
        try comparePacked(b: 2, h: 3, t: 7, dk: 5, dv: 4, mask: mask, "masked")
        try comparePacked(b: 4, h: 4, t: 64, dk: 16, dv: 16, "bench shape")
    }

    func testPackedGradientsByFiniteDifferences() throws {
        let qkv = GradientCheck.random([2, 3, 2 * (2 * 4 + 3)], seed: 12)
        let mask = try Tensor(shape: [2, 3, 3], scalars: (0..<18).map { $0 % 4 == 3 ? 0 : 1 })
        try GradientCheck.check([qkv], "dotProductAttention(packed:) output") { xs in
            try Ops.dotProductAttention(packed: xs[0], heads: 2, keyDim: 4, valueDim: 3, scale: 0.5, mask: mask).output
        }
        try GradientCheck.check([qkv], "dotProductAttention(packed:) probabilities") { xs in
            try Ops.dotProductAttention(packed: xs[0], heads: 2, keyDim: 4, valueDim: 3, scale: 0.5).probabilities
        }
    }

    /// The AVX2 kernels (``Kernels/nativeAttention``) against the Swift and OpenBLAS ones on the
    /// same inputs: probabilities, output and every gradient, through the output's upstream, the
    /// probabilities' upstream and both, with and without a mask; at the bench shape, at sizes
    /// that leave every row and column tail (one- and two-vector, masked), and in packed rows.
    func testNativeKernelsMatchTheSwiftOnes() throws {
        try XCTSkipUnless(Kernels.nativeAttention, "the CPU has no AVX2 + FMA")
        let cases: [(AttentionDims, Bool, String)] = [
            (AttentionDims(batch: 2, heads: 4, t: 64, s: 64, dk: 16, dv: 16), false, "bench shape"),
            (AttentionDims(batch: 2, heads: 3, t: 7, s: 9, dk: 5, dv: 10), false, "odd sizes"),
            (AttentionDims(batch: 1, heads: 2, t: 13, s: 17, dk: 8, dv: 29), false, "tails of one and two vectors"),
            (AttentionDims(batch: 2, heads: 2, t: 6, s: 6, dk: 3, dv: 7, rows: (26, 26, 26)), true, "packed rows"),
        ]
        for (d, packed, what) in cases {
            // Packed: one `[b, t, q | k | v]` source and one gradient of that layout.
            let sizes = packed ? [d.batch * d.t * d.qRow] : [d.batch * d.t * d.qRow, d.batch * d.s * d.kRow, d.batch * d.s * d.vRow]
            let sources = sizes.enumerated().map { GradientCheck.random([$1], seed: 50 + UInt64($0)) }
            let starts = packed ? [(0, 0), (0, d.heads * d.dk), (0, 2 * d.heads * d.dk)] : [(0, 0), (1, 0), (2, 0)]
            let dOut = GradientCheck.random([d.batch * d.t * d.heads * d.dv], seed: 55)
            let dProbs = GradientCheck.random([d.pairs * d.t * d.s], seed: 56)
            let mask = try Tensor(shape: [d.batch * d.t * d.s], scalars: (0..<(d.batch * d.t * d.s)).map { $0 % 5 == 3 ? 0 : 1 })
            for masked in [false, true] {
                for (withOut, withProbs) in [(true, false), (false, true), (true, true)] {
                    var results: [[Float]] = []
                    for native in [true, false] {
                        let probs = Tensor(shape: [d.pairs * d.t * d.s]), out = Tensor(shape: [d.batch * d.t * d.heads * d.dv])
                        let grads = sources.map { Tensor(shape: $0.shape, repeating: 7) }
                        func at(_ list: [Tensor], _ i: Int) -> UnsafeMutablePointer<Float> { list[starts[i].0].data + starts[i].1 }
                        Kernels.dotProductAttention(d, q: at(sources, 0), k: at(sources, 1), v: at(sources, 2),
                                                    mask: masked ? UnsafePointer(mask.data) : nil, scale: 0.3,
                                                    probs: probs.data, out: out.data, native: native)
                        Kernels.dotProductAttentionBackward(d, q: at(sources, 0), k: at(sources, 1), v: at(sources, 2),
                                                            probs: probs.data, scale: 0.3,
                                                            dOut: withOut ? UnsafePointer(dOut.data) : nil,
                                                            dProbs: withProbs ? UnsafePointer(dProbs.data) : nil,
                                                            dq: at(grads, 0), dk: at(grads, 1), dv: withOut ? at(grads, 2) : nil,
                                                            native: native)
                        results.append(probs.scalars + out.scalars + grads.flatMap(\.scalars))
                    }
                    let label = "\(what)\(masked ? ", masked" : "") (output upstream \(withOut), probabilities upstream \(withProbs))"
                    var worst: Float = 0
                    for (a, c) in zip(results[0], results[1]) { worst = max(worst, abs(a - c) / max(1, abs(c))) }
                    XCTAssertLessThanOrEqual(worst, 1e-5, "\(label): AVX2 and Swift kernels differ")
                    XCTAssertGreaterThan(results[0].map(abs).max() ?? 0, 0, label)
                }
            }
        }
    }

    /// Finite differences at sizes where the AVX2 products take full 16-column tiles, four-row
    /// blocks and masked tails of both widths (s = 17, dv = 9).
    func testNativeGradientsByFiniteDifferences() throws {
        let q = GradientCheck.random([1, 5, 2, 16], seed: 61), k = GradientCheck.random([1, 17, 2, 16], seed: 62)
        let v = GradientCheck.random([1, 17, 2, 9], seed: 63)
        try GradientCheck.check([q, k, v], "dotProductAttention output, native sizes") { xs in
            try Ops.dotProductAttention(query: xs[0], key: xs[1], value: xs[2], scale: 0.25).output
        }
        try GradientCheck.check([q, k, v], "dotProductAttention probabilities, native sizes") { xs in
            try Ops.dotProductAttention(query: xs[0], key: xs[1], value: xs[2], scale: 0.25).probabilities
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
        m = message { _ = try Ops.dotProductAttention(packed: Tensor(shape: [2, 3, 21]), heads: 2, keyDim: 4, valueDim: 3, scale: 1) }
        XCTAssertTrue(m.contains("dotProductAttention") && m.contains("[2, 3, 21]") && m.contains("22"), m)
        m = message { _ = try Ops.dotProductAttention(packed: Tensor(shape: [2, 3, 22]), heads: 2, keyDim: 4, valueDim: 3, scale: 1,
                                                      mask: Tensor(shape: [2, 3, 4])) }
        XCTAssertTrue(m.contains("dotProductAttention") && m.contains("mask"), m)
    }
}
