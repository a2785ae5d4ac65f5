#if canImport(Glibc)
import Glibc
#endif

/// The sizes of a multi-head dot-product attention: queries `[batch, t, heads, dk]`, keys
/// `[batch, s, heads, dk]`, values `[batch, s, heads, dv]` (Keras's `(B, T, N, H)` layout, the
/// projections' own output: no transpose), probabilities `[batch, heads, t, s]`.
struct AttentionDims {
    let batch: Int, heads: Int, t: Int, s: Int, dk: Int, dv: Int

    var pairs: Int { batch * heads }
    /// Multiply-adds of one (sequence, head) pair's forward products: the unit of parallel work.
    var workPerPair: Int { t * s * (dk + dv) }

    /// Where the (sequence, head) pair's query, key, value and output rows, probability block
    /// and mask block start.
    @inline(__always)
    func offsets(_ pair: Int) -> (q: Int, k: Int, v: Int, out: Int, p: Int, mask: Int) {
        let b = pair / heads, h = pair % heads
        return (b * t * heads * dk + h * dk, b * s * heads * dk + h * dk, b * s * heads * dv + h * dv,
                b * t * heads * dv + h * dv, pair * t * s, b * t * s)
    }
}

extension Kernels {
    /// `probs[b, h] = softmax(scale · q[b, :, h] · k[b, :, h]ᵀ)` over the keys (only where
    /// `mask[b]`, `[t, s]`, is above 0.5; a row with none kept is zeros) and
    /// `out[b, :, h] = probs[b, h] · v[b, :, h]`, one (sequence, head) pair at a time while its
    /// blocks are in L1, the pairs split across cores.
    static func dotProductAttention(_ d: AttentionDims, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                    v: UnsafePointer<Float>, mask: UnsafePointer<Float>?, scale: Float,
                                    probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let qs = d.heads * d.dk, vs = d.heads * d.dv
        Parallel.forEachPart(d.pairs, parts: Parallel.partCount(rows: d.pairs, width: d.workPerPair)) { _, pairs in
            let keysT = UnsafeMutablePointer<Float>.allocate(capacity: d.dk * d.s)
            defer { keysT.deallocate() }
            for pair in pairs {
                let o = d.offsets(pair), p = probs + o.p
                transposeBlock(k + o.k, rows: d.s, cols: d.dk, ld: qs, into: keysT)
                stridedGemm(q + o.q, rowStride: qs, colStride: 1, keysT, ldb: d.s, p, ldc: d.s,
                            m: d.t, n: d.s, k: d.dk, alpha: scale)
                if let mask {
                    maskedSoftmaxRows(p, mask: mask + o.mask, p, rows: d.t, cols: d.s, uniformWhenEmpty: false)
                } else {
                    softmaxRowsInPlace(p, rows: d.t, cols: d.s)
                }
                stridedGemm(p, rowStride: d.s, colStride: 1, v + o.v, ldb: vs, out + o.out, ldc: vs,
                            m: d.t, n: d.dv, k: d.s, alpha: 1)
            }
        }
    }

    /// Gradients of ``dotProductAttention(_:q:k:v:mask:scale:probs:out:)`` from the upstream of
    /// its output (`dOut`, `[batch, t, heads, dv]`) and/or of its probabilities (`dProbs`):
    /// `dP = dOut · vᵀ + dProbs`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dq = scale · dS · k`,
    /// `dk = scale · dSᵀ · q`, and `dv = Pᵀ · dOut` (written only when `dOut` is given). Every
    /// gradient is written, not added to.
    static func dotProductAttentionBackward(_ d: AttentionDims, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                            v: UnsafePointer<Float>, probs: UnsafePointer<Float>, scale: Float,
                                            dOut: UnsafePointer<Float>?, dProbs: UnsafePointer<Float>?,
                                            dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                            dv: UnsafeMutablePointer<Float>?) {
        let qs = d.heads * d.dk, vs = d.heads * d.dv
        Parallel.forEachPart(d.pairs, parts: Parallel.partCount(rows: d.pairs, width: 2 * d.workPerPair)) { _, pairs in
            let valuesT = UnsafeMutablePointer<Float>.allocate(capacity: d.dv * d.s)
            let ds = UnsafeMutablePointer<Float>.allocate(capacity: d.t * d.s)
            defer { valuesT.deallocate(); ds.deallocate() }
            for pair in pairs {
                let o = d.offsets(pair), p = probs + o.p
                if let dProbs { ds.update(from: dProbs + o.p, count: d.t * d.s) }
                if let dOut {
                    transposeBlock(v + o.v, rows: d.s, cols: d.dv, ld: vs, into: valuesT)
                    stridedGemm(dOut + o.out, rowStride: vs, colStride: 1, valuesT, ldb: d.s, ds, ldc: d.s,
                                m: d.t, n: d.s, k: d.dv, alpha: 1, accumulate: dProbs != nil)
                }
                softmaxBackwardRowsInPlace(ds, probs: p, rows: d.t, cols: d.s)
                stridedGemm(ds, rowStride: d.s, colStride: 1, k + o.k, ldb: qs, dq + o.q, ldc: qs,
                            m: d.t, n: d.dk, k: d.s, alpha: scale)
                stridedGemm(ds, rowStride: 1, colStride: d.s, q + o.q, ldb: qs, dk + o.k, ldc: qs,
                            m: d.s, n: d.dk, k: d.t, alpha: scale)
                if let dOut, let dv {
                    stridedGemm(p, rowStride: 1, colStride: d.s, dOut + o.out, ldb: vs, dv + o.v, ldc: vs,
                                m: d.s, n: d.dv, k: d.t, alpha: 1)
                }
            }
        }
    }

    /// `into[c · rows + r] = x[r · ld + c]`: a `rows × cols` block with row stride `ld`, transposed
    /// into a contiguous `cols × rows` one.
    static func transposeBlock(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, into: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * ld
            for c in 0..<cols { into[c * rows + r] = row[c] }
        }
    }

    /// `C = alpha · A · B`, or `C += alpha · A · B` with `accumulate`, for the small blocks of
    /// attention: `A(i, p) = a[i · rowStride + p · colStride]` (a transposed A swaps the
    /// strides), `B` and `C` row-major with leading dimensions `ldb` and `ldc`. Four rows by
    /// eight columns of C stay in registers while the `k` products are added in order.
    static func stridedGemm(_ a: UnsafePointer<Float>, rowStride rs: Int, colStride cs: Int,
                            _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
                            m: Int, n: Int, k: Int, alpha: Float, accumulate: Bool = false) {
        @inline(__always) func put(_ acc: SIMD8<Float>, _ at: UnsafeMutablePointer<Float>) {
            let raw = UnsafeMutableRawPointer(at)
            let old = accumulate ? raw.loadUnaligned(as: SIMD8<Float>.self) : SIMD8<Float>()
            raw.storeBytes(of: old + alpha * acc, as: SIMD8<Float>.self)
        }
        var j = 0
        while j + 8 <= n {
            var i = 0
            while i + 4 <= m {
                var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0
                var pa = a + i * rs, pb = b + j
                for _ in 0..<k {
                    let row = UnsafeRawPointer(pb).loadUnaligned(as: SIMD8<Float>.self)
                    c0 += pa[0] * row
                    c1 += pa[rs] * row
                    c2 += pa[2 * rs] * row
                    c3 += pa[3 * rs] * row
                    pa += cs
                    pb += ldb
                }
                let pc = c + i * ldc + j
                put(c0, pc)
                put(c1, pc + ldc)
                put(c2, pc + 2 * ldc)
                put(c3, pc + 3 * ldc)
                i += 4
            }
            while i < m {
                var acc = SIMD8<Float>()
                var pa = a + i * rs, pb = b + j
                for _ in 0..<k {
                    acc += pa[0] * UnsafeRawPointer(pb).loadUnaligned(as: SIMD8<Float>.self)
                    pa += cs
                    pb += ldb
                }
                put(acc, c + i * ldc + j)
                i += 1
            }
            j += 8
        }
        guard j < n else { return }
        for i in 0..<m {
            for jj in j..<n {
                var s: Float = 0
                for p in 0..<k { s += a[i * rs + p * cs] * b[p * ldb + jj] }
                c[i * ldc + jj] = (accumulate ? c[i * ldc + jj] : 0) + alpha * s
            }
        }
    }

    /// Softmax of each contiguous row of `rows × cols` in place, eight lanes at a time.
    static func softmaxRowsInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let row = p + r * cols
            let m = reduceLanes(row, count: cols, padding: -.infinity) { pointwiseMax($0, $1) }.max()
            eightLanes(row, count: cols) { exp8($0 - m) }
            let inv = 1 / reduceLanes(row, count: cols, padding: 0, +).sum()
            eightLanes(row, count: cols) { $0 * inv }
        }
    }

    /// The softmax Jacobian-vector product of each row in place: `g = y ⊙ (g − Σ g ⊙ y)`.
    static func softmaxBackwardRowsInPlace(_ g: UnsafeMutablePointer<Float>, probs y: UnsafePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let pg = g + r * cols, py = y + r * cols
            var acc = SIMD8<Float>()
            var j = 0
            while j + 8 <= cols {
                acc += UnsafeRawPointer(pg + j).loadUnaligned(as: SIMD8<Float>.self)
                    * UnsafeRawPointer(py + j).loadUnaligned(as: SIMD8<Float>.self)
                j += 8
            }
            var dot = acc.sum()
            for jj in j..<cols { dot += pg[jj] * py[jj] }
            for jj in 0..<cols { pg[jj] = py[jj] * (pg[jj] - dot) }
        }
    }

    /// Folds `count` floats eight lanes at a time with `combine`, the tail padded with `padding`.
    @inline(__always)
    static func reduceLanes(_ p: UnsafePointer<Float>, count: Int, padding: Float,
                            _ combine: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> SIMD8<Float> {
        var acc = SIMD8<Float>(repeating: padding)
        var i = 0
        while i + 8 <= count {
            acc = combine(acc, UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        guard i < count else { return acc }
        var tail = SIMD8<Float>(repeating: padding)
        for j in 0..<(count - i) { tail[j] = p[i + j] }
        return combine(acc, tail)
    }
}
