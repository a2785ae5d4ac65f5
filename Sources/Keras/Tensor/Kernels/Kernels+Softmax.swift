#if canImport(Glibc)
import Glibc
#endif

extension Kernels {
    /// Softmax over the middle axis of `outer × n × inner`: contiguous rows when `inner` is 1
    /// (``softmaxRows(_:_:rows:cols:)``), strided otherwise.
    static func softmax(_ px: UnsafePointer<Float>, _ py: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int) {
        if inner == 1 { softmaxRows(px, py, rows: outer, cols: n); return }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var m = -Float.infinity
                for k in 0..<n { m = Swift.max(m, px[base + k * inner]) }
                var s: Float = 0
                for k in 0..<n { let e = expf(px[base + k * inner] - m); py[base + k * inner] = e; s += e }
                let inv = 1 / s
                for k in 0..<n { py[base + k * inner] *= inv }
            }
        }
    }

    /// The softmax Jacobian-vector product `dx = y * (g - sum(g * y))` over the middle axis.
    static func softmaxBackward(output py: UnsafePointer<Float>, upstream pg: UnsafePointer<Float>,
                                into pd: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var dot: Float = 0
                for k in 0..<n { dot += pg[base + k * inner] * py[base + k * inner] }
                for k in 0..<n { let j = base + k * inner; pd[j] = py[j] * (pg[j] - dot) }
            }
        }
    }

    /// Softmax of each contiguous row of `rows × cols`: `exp(x - max) / sum`. The exponentials
    /// of the whole block are taken at once, eight lanes at a time (see ``expInPlace(_:count:)``).
    static func softmaxRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let px = x + r * cols, py = y + r * cols
            var m = -Float.infinity
            for k in 0..<cols { m = Swift.max(m, px[k]) }
            for k in 0..<cols { py[k] = px[k] - m }
        }
        expInPlace(y, count: rows * cols)
        for r in 0..<rows {
            let py = y + r * cols
            var s: Float = 0
            for k in 0..<cols { s += py[k] }
            let inv = 1 / s
            for k in 0..<cols { py[k] *= inv }
        }
    }

    /// `p[i] = exp(p[i])`, eight lanes at a time, to within 2 ulp of `expf` (Cephes's `expf`:
    /// `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`, a polynomial for `exp(r)`, and `2ⁿ` built in the
    /// exponent bits). NaN stays NaN and overflow gives infinity, as with `expf`; results below
    /// about 2e-38 (x < -87) are flushed to zero instead of going subnormal.
    static func expInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
        eightLanes(p, count: count, exp8)
    }

    @inline(__always)
    static func exp8(_ v: SIMD8<Float>) -> SIMD8<Float> {
        // Clamping keeps n in -126...128; a NaN lane fails both tests and stays NaN.
        var x = v
        x.replace(with: -87.33654, where: x .< -87.33654)
        x.replace(with: 88.722_84, where: x .> 88.722_84)
        // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves n in the low mantissa bits
        // (no float-to-int conversion, which is slow for SIMD types; toolchain.md §7).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        // r = x - n·ln 2, with ln 2 split in two so that n·ln2_hi is exact.
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        var y = SIMD8<Float>(repeating: 1.987_569_15e-4)
        y = y * r + 1.398_199_95e-3
        y = y * r + 8.333_451_9e-3
        y = y * r + 4.166_579_59e-2
        y = y * r + 1.666_666_55e-1
        y = y * r + 5.000_000_12e-1
        y = y * (r * r) + r + 1
        // 2ⁿ as 2·2ⁿ⁻¹: the low bits of `shifted` hold n + 0x400000, and n - 1 + 127 goes into
        // the exponent field, so n = 128 still overflows to infinity and n = -126 gives zero.
        let n32 = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let half = unsafeBitCast((n32 &+ 126) &<< 23, to: SIMD8<Float>.self)
        return y * half * 2
    }
}
