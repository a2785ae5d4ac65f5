/// Keras's abs-max int8 quantization (`keras.quantizers.abs_max_quantize`) and the integer
/// matrix product of a quantized Dense.
extension Kernels {
    /// Keras's `backend.epsilon()`, added to the abs-max so that a zero row gets a finite scale.
    static let quantizeEpsilon: Float = 1e-7

    /// The int8 value of `x · scale`: rounded half to even and clipped to ±127, as Keras's
    /// `clip(round(x * scale), -127, 127)`; a NaN becomes 0.
    @inline(__always)
    static func quantizedValue(_ x: Float, _ scale: Float) -> Float {
        let v = (x * scale).rounded(.toNearestOrEven)
        return v.isNaN ? 0 : Swift.min(Swift.max(v, -127), 127)
    }

    /// The abs-max scale `127 / (max |x| + epsilon)` of `count` values `stride` apart.
    @inline(__always)
    static func absMaxScale(_ x: UnsafePointer<Float>, count: Int, stride: Int) -> Float {
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(x[i * stride])) }
        return 127 / (m + quantizeEpsilon)
    }

    /// Quantizes each of `m` rows of width `k` over its own abs-max (Keras's input quantizer,
    /// `AbsMaxQuantizer()(x, axis=-1)`): the int8 values (as floats) into `q`, the scales into
    /// `scales`.
    static func absMaxQuantizeRows(_ x: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>,
                                   scales: UnsafeMutablePointer<Float>, rows m: Int, width k: Int) {
        for r in 0..<m {
            let row = x + r * k, out = q + r * k
            let s = absMaxScale(row, count: k, stride: 1)
            scales[r] = s
            for i in 0..<k { out[i] = quantizedValue(row[i], s) }
        }
    }

    /// The product `y = a · b` of integer-valued matrices (`a` m×k, `b` k×n, entries in ±127),
    /// exactly as Keras's int8 matmul with int32 accumulation: through float32 GEMM while every
    /// partial sum stays below 2^24 (then exact), in Int32 beyond.
    static func integerMatmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                              m: Int, n: Int, k: Int) {
        if k * 127 * 127 < 1 << 24 {
            gemm(a, transA: false, b, transB: false, y, m: m, n: n, k: k)
            return
        }
        var acc = [Int32](repeating: 0, count: n)
        acc.withUnsafeMutableBufferPointer { acc in
            for r in 0..<m {
                for j in 0..<n { acc[j] = 0 }
                for p in 0..<k {
                    let av = Int32(a[r * k + p])
                    if av == 0 { continue }
                    let brow = b + p * n
                    for j in 0..<n { acc[j] &+= av &* Int32(brow[j]) }
                }
                for j in 0..<n { y[r * n + j] = Float(acc[j]) }
            }
        }
    }
}
