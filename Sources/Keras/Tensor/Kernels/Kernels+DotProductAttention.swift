#if canImport(Glibc)
import Glibc
#endif
import CBLAS
import CHDF5Shim

/// The sizes of a multi-head dot-product attention: queries `[batch, t, heads, dk]`, keys
/// `[batch, s, heads, dk]`, values `[batch, s, heads, dv]` (Keras's `(B, T, N, H)` layout, the
/// projections' own output: no transpose), probabilities `[batch, heads, t, s]`. Each position's
/// query, key and value rows may sit in wider rows (`qRow`, `kRow`, `vRow` floats apart): the
/// three projections of a self-attention made as one product, `[batch, t, q | k | v]`.
struct AttentionDims {
    let batch: Int, heads: Int, t: Int, s: Int, dk: Int, dv: Int
    let qRow: Int, kRow: Int, vRow: Int

    init(batch: Int, heads: Int, t: Int, s: Int, dk: Int, dv: Int, rows: (q: Int, k: Int, v: Int)? = nil) {
        self.batch = batch
        self.heads = heads
        self.t = t
        self.s = s
        self.dk = dk
        self.dv = dv
        (qRow, kRow, vRow) = rows ?? (heads * dk, heads * dk, heads * dv)
    }

    var pairs: Int { batch * heads }
    /// Multiply-adds of one (sequence, head) pair's forward products: the unit of parallel work.
    var workPerPair: Int { t * s * (dk + dv) }

    /// Where the (sequence, head) pair's query, key, value and output rows, probability block
    /// and mask block start.
    @inline(__always)
    func offsets(_ pair: Int) -> (q: Int, k: Int, v: Int, out: Int, p: Int, mask: Int) {
        let b = pair / heads, h = pair % heads
        return (b * t * qRow + h * dk, b * s * kRow + h * dk, b * s * vRow + h * dv,
                b * t * heads * dv + h * dv, pair * t * s, b * t * s)
    }
}

extension Kernels {
    /// Whether the per-pair products and softmax of ``dotProductAttention(_:q:k:v:mask:scale:probs:out:scratch:native:)``
    /// and its backward run in AVX2 + FMA (`kernels.c` in CHDF5Shim; the same CPUID check as
    /// ``nativeRecurrentSteps``). A pair's products are `64×16·16×64` at the bench's shape, where
    /// OpenBLAS's fixed cost (zeroing C for `beta = 0`, packing both operands) was a quarter of
    /// an epoch and the softmax's SSE exponentials another tenth; the native kernels read the
    /// projections in place with their row strides and only transpose the `s × d` key or value
    /// block that a product reads across.
    static let nativeAttention = nativeRecurrentSteps

    /// `probs[b, h] = softmax(scale · q[b, :, h] · k[b, :, h]ᵀ)` over the keys (only where
    /// `mask[b]`, `[t, s]`, is above 0.5; a row with none kept is zeros) and
    /// `out[b, :, h] = probs[b, h] · v[b, :, h]`, one (sequence, head) pair at a time while its
    /// blocks are in cache, the pairs split across cores; in AVX2 + FMA with `native`. The
    /// scratch of each part (``attentionScratch(_:backward:native:)`` floats) is allocated per
    /// call, or taken from `scratch` (``attentionScratchParts(_:)`` parts: a step plan's buffer).
    static func dotProductAttention(_ d: AttentionDims, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                    v: UnsafePointer<Float>, mask: UnsafePointer<Float>?, scale: Float,
                                    probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                                    scratch: UnsafeMutablePointer<Float>? = nil, native: Bool = nativeAttention) {
        /// The fan-out's context (nothing is allocated to share it with the partner thread).
        struct Pass {
            let d: AttentionDims, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
            let mask: UnsafePointer<Float>?, scale: Float, probs: UnsafeMutablePointer<Float>
            let out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?, native: Bool
        }
        let pass = Pass(d: d, q: q, k: k, v: v, mask: mask, scale: scale, probs: probs, out: out, scratch: scratch, native: native)
        withUnsafePointer(to: pass) { pass in forEachPairs(d, work: d.workPerPair, context: pass) { context, part, pairs in
            let a = context.assumingMemoryBound(to: Pass.self).pointee
            let d = a.d, q = a.q, k = a.k, v = a.v, mask = a.mask, scale = a.scale, probs = a.probs, out = a.out
            let scratch = a.scratch, native = a.native
            let vs = d.heads * d.dv, size = attentionScratch(d, backward: false, native: native)
            // The key block transposed, `[dk, s]`: the scores' product reads it row by row.
            let kt = scratch.map { $0 + part * size } ?? UnsafeMutablePointer<Float>.allocate(capacity: size)
            defer { if scratch == nil { kt.deallocate() } }
            for pair in pairs {
                let o = d.offsets(pair), p = probs + o.p
                if native {
                    sk_transpose(d.s, d.dk, k + o.k, d.kRow, kt)
                    sk_gemm_strided(d.t, d.s, d.dk, scale, q + o.q, d.qRow, 1, kt, d.s, p, d.s, 0)
                } else {
                    blockGemm(q + o.q, lda: d.qRow, k + o.k, ldb: d.kRow, transB: true, p, ldc: d.s, m: d.t, n: d.s, k: d.dk, alpha: scale)
                }
                if let mask {
                    maskedSoftmaxRows(p, mask: mask + o.mask, p, rows: d.t, cols: d.s, uniformWhenEmpty: false)
                } else if native {
                    sk_softmax_rows(p, d.t, d.s)
                } else {
                    softmaxRowsInPlace(p, rows: d.t, cols: d.s)
                }
                if native {
                    sk_gemm_strided(d.t, d.dv, d.s, 1, p, d.s, 1, v + o.v, d.vRow, out + o.out, vs, 0)
                } else {
                    blockGemm(p, lda: d.s, v + o.v, ldb: d.vRow, out + o.out, ldc: vs, m: d.t, n: d.dv, k: d.s)
                }
            }
        } }
    }

    /// Gradients of ``dotProductAttention(_:q:k:v:mask:scale:probs:out:scratch:native:)`` from the upstream of
    /// its output (`dOut`, `[batch, t, heads, dv]`) and/or of its probabilities (`dProbs`):
    /// `dP = dOut · vᵀ + dProbs`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dq = scale · dS · k`,
    /// `dk = scale · dSᵀ · q`, and `dv = Pᵀ · dOut` (written only when `dOut` is given). Every
    /// gradient is written, not added to, in the layout (row strides) of its input.
    ///
    /// `dOutRowsRepeat` says that the `t` rows of `dOut` of each sequence are equal (a
    /// `GlobalAveragePooling1D` after the layer: its gradient is the same at every step): natively,
    /// with no `dProbs`, a pair's `dOut · vᵀ` is then computed for its first row and copied to the
    /// others, the bits of the whole product (each element is one FMA chain over `dv`, whatever its row).
    static func dotProductAttentionBackward(_ d: AttentionDims, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                            v: UnsafePointer<Float>, probs: UnsafePointer<Float>, scale: Float,
                                            dOut: UnsafePointer<Float>?, dProbs: UnsafePointer<Float>?,
                                            dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                            dv: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>? = nil,
                                            dOutRowsRepeat: Bool = false, native: Bool = nativeAttention) {
        /// The fan-out's context (nothing is allocated to share it with the partner thread).
        struct Pass {
            let d: AttentionDims, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
            let probs: UnsafePointer<Float>, scale: Float, dOut: UnsafePointer<Float>?, dProbs: UnsafePointer<Float>?
            let dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>?
            let scratch: UnsafeMutablePointer<Float>?, oneRow: Bool, native: Bool
        }
        let pass = Pass(d: d, q: q, k: k, v: v, probs: probs, scale: scale, dOut: dOut, dProbs: dProbs, dq: dq, dk: dk, dv: dv,
                        scratch: scratch, oneRow: dOutRowsRepeat && dProbs == nil && d.t > 1, native: native)
        withUnsafePointer(to: pass) { pass in forEachPairs(d, work: 2 * d.workPerPair, context: pass) { context, part, pairs in
            let a = context.assumingMemoryBound(to: Pass.self).pointee
            let d = a.d, q = a.q, k = a.k, v = a.v, probs = a.probs, scale = a.scale, dOut = a.dOut, dProbs = a.dProbs
            let dq = a.dq, dk = a.dk, dv = a.dv, scratch = a.scratch, oneRow = a.oneRow, native = a.native
            let vs = d.heads * d.dv, size = attentionScratch(d, backward: true, native: native)
            let ds = scratch.map { $0 + part * size } ?? UnsafeMutablePointer<Float>.allocate(capacity: size)
            defer { if scratch == nil { ds.deallocate() } }
            // The value block transposed, `[dv, s]`, for `dOut · vᵀ` natively (after `ds`).
            let vt = ds + d.t * d.s
            for pair in pairs {
                let o = d.offsets(pair), p = probs + o.p
                if let dProbs { ds.update(from: dProbs + o.p, count: d.t * d.s) }
                if native {
                    if let dOut {
                        sk_transpose(d.s, d.dv, v + o.v, d.vRow, vt)
                        if oneRow {
                            sk_gemm_strided(1, d.s, d.dv, 1, dOut + o.out, vs, 1, vt, d.s, ds, d.s, 0)
                            for i in 1..<d.t { (ds + i * d.s).update(from: ds, count: d.s) }
                        } else {
                            sk_gemm_strided(d.t, d.s, d.dv, 1, dOut + o.out, vs, 1, vt, d.s, ds, d.s, dProbs == nil ? 0 : 1)
                        }
                    }
                    sk_softmax_backward_rows(ds, p, d.t, d.s)
                    sk_gemm_strided(d.t, d.dk, d.s, scale, ds, d.s, 1, k + o.k, d.kRow, dq + o.q, d.qRow, 0)
                    // dSᵀ and Pᵀ are read through swapped strides.
                    sk_gemm_strided(d.s, d.dk, d.t, scale, ds, 1, d.s, q + o.q, d.qRow, dk + o.k, d.kRow, 0)
                    if let dOut, let dv {
                        sk_gemm_strided(d.s, d.dv, d.t, 1, p, 1, d.s, dOut + o.out, vs, dv + o.v, d.vRow, 0)
                    }
                    continue
                }
                if let dOut {
                    blockGemm(dOut + o.out, lda: vs, v + o.v, ldb: d.vRow, transB: true, ds, ldc: d.s,
                              m: d.t, n: d.s, k: d.dv, beta: dProbs == nil ? 0 : 1)
                }
                softmaxBackwardRowsInPlace(ds, probs: p, rows: d.t, cols: d.s)
                blockGemm(ds, lda: d.s, k + o.k, ldb: d.kRow, dq + o.q, ldc: d.qRow, m: d.t, n: d.dk, k: d.s, alpha: scale)
                blockGemm(ds, lda: d.s, transA: true, q + o.q, ldb: d.qRow, dk + o.k, ldc: d.kRow, m: d.s, n: d.dk, k: d.t, alpha: scale)
                if let dOut, let dv {
                    blockGemm(p, lda: d.s, transA: true, dOut + o.out, ldb: vs, dv + o.v, ldc: d.vRow, m: d.s, n: d.dv, k: d.t)
                }
            }
        } }
    }

    /// Floats of scratch that one part of ``dotProductAttention(_:q:k:v:mask:scale:probs:out:scratch:native:)``
    /// (the transposed key block) or of its backward (`dS`, then the transposed value block) uses.
    static func attentionScratch(_ d: AttentionDims, backward: Bool, native: Bool = nativeAttention) -> Int {
        backward ? d.t * d.s + (native ? d.dv * d.s : 0) : (native ? d.dk * d.s : 0)
    }

    /// The most parts that the pairs of `d` are split into (one per core at most).
    static func attentionScratchParts(_ d: AttentionDims) -> Int { Swift.max(1, Swift.min(Parallel.cores, d.pairs)) }

    /// Calls `body(context, part, pairs)` with each part's index and slice of the (sequence,
    /// head) pairs, one per core (at most ``attentionScratchParts(_:)``) when `work` multiply-adds
    /// per pair make it pay, OpenBLAS then on one thread in each
    /// (``Parallel/forEachPart(_:parts:context:_:)``).
    private static func forEachPairs(_ d: AttentionDims, work: Int, context: UnsafeRawPointer,
                                     _ body: @escaping Parallel.PartBody) {
        let parts = Parallel.partCount(rows: d.pairs, width: work)
        guard parts > 1 else { return body(context, 0, 0..<d.pairs) }
        Parallel.withSingleThreadedBLAS { Parallel.forEachPart(d.pairs, parts: parts, context: context, body) }
    }

    /// `C = alpha · op(A) · op(B) + beta · C` on blocks inside larger row-major arrays (leading
    /// dimensions `lda`, `ldb`, `ldc`: a head's rows of `[B, T, heads, d]`), straight to OpenBLAS:
    /// a pair's products are below its threading threshold, and no thread count is switched.
    static func blockGemm(_ a: UnsafePointer<Float>, lda: Int, transA: Bool = false, _ b: UnsafePointer<Float>, ldb: Int,
                          transB: Bool = false, _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int,
                          alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Softmax of each contiguous row of `rows × cols` in place, eight lanes at a time.
    static func softmaxRowsInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        let full = cols / 8 * 8
        for r in 0..<rows {
            let row = p + r * cols, raw = UnsafeMutableRawPointer(row)
            var mv = SIMD8<Float>(repeating: -.infinity)
            for j in stride(from: 0, to: full, by: 8) {
                let x = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                mv.replace(with: x, where: x .> mv)
            }
            var m = mv.max()
            for j in full..<cols { m = Swift.max(m, row[j]) }
            var sv = SIMD8<Float>()
            for j in stride(from: 0, to: full, by: 8) {
                let e = exp8(raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) - m)
                raw.storeBytes(of: e, toByteOffset: 4 * j, as: SIMD8<Float>.self)
                sv += e
            }
            var s = sv.sum()
            for j in full..<cols { row[j] = expf(row[j] - m); s += row[j] }
            let inv = 1 / s
            for j in stride(from: 0, to: full, by: 8) {
                raw.storeBytes(of: inv * raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self), toByteOffset: 4 * j, as: SIMD8<Float>.self)
            }
            for j in full..<cols { row[j] *= inv }
        }
    }

    /// The softmax Jacobian-vector product of each row in place: `g = y ⊙ (g − Σ g ⊙ y)`.
    static func softmaxBackwardRowsInPlace(_ g: UnsafeMutablePointer<Float>, probs y: UnsafePointer<Float>, rows: Int, cols: Int) {
        let full = cols / 8 * 8
        for r in 0..<rows {
            let pg = g + r * cols, py = y + r * cols
            let rg = UnsafeMutableRawPointer(pg), ry = UnsafeRawPointer(py)
            var acc = SIMD8<Float>()
            for j in stride(from: 0, to: full, by: 8) {
                acc += rg.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) * ry.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            }
            var dot = acc.sum()
            for j in full..<cols { dot += pg[j] * py[j] }
            for j in stride(from: 0, to: full, by: 8) {
                let gj = rg.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
                rg.storeBytes(of: ry.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) * (gj - dot), toByteOffset: 4 * j, as: SIMD8<Float>.self)
            }
            for j in full..<cols { pg[j] = py[j] * (pg[j] - dot) }
        }
    }
}
