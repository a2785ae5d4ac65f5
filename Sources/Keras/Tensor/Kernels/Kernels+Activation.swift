/// Sigmoid and tanh eight lanes at a time (for the gates of the recurrent kernels and every
/// fused activation), built on ``exp8(_:)`` as Cephes builds them on `expf`: within a few ulp of
/// glibc's `expf`-based `sigmoidf` and of `tanhf`. NaN stays NaN; ±infinity gives the limits.
extension Kernels {
    /// `p[i] = 1 / (1 + exp(-p[i]))` for `count` elements.
    static func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
        eightLanes(p, count: count, sigmoid8)
    }

    /// `p[i] = tanh(p[i])` for `count` elements.
    static func tanhInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) {
        eightLanes(p, count: count, tanh8)
    }

    /// Applies `f` to `count` floats eight at a time, the tail through a padded vector.
    @inline(__always)
    static func eightLanes(_ p: UnsafeMutablePointer<Float>, count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(p + i)
            raw.storeBytes(of: f(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
            i += 8
        }
        guard i < count else { return }
        var tail = SIMD8<Float>(repeating: 0)
        for k in 0..<(count - i) { tail[k] = p[i + k] }
        let y = f(tail)
        for k in 0..<(count - i) { p[i + k] = y[k] }
    }

    /// `1 / (1 + exp(-x))`: no cancellation on either side (exp(-x) only grows the denominator).
    @inline(__always)
    static func sigmoid8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp8(-x))
    }

    /// Cephes's `tanhf`: `x + x³·P(x²)` below |x| = 0.625, else `1 − 2 / (exp(2|x|) + 1)`, with
    /// the sign of `x`.
    @inline(__always)
    static func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let signBit = SIMD8<UInt32>(repeating: 0x8000_0000)
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(bits & ~signBit, to: SIMD8<Float>.self)
        var large = 1 - 2 / (exp8(a + a) + 1)
        let z = a * a
        var p = SIMD8<Float>(repeating: -5.704_988_727_45e-3)
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        large.replace(with: p * z * a + a, where: a .< 0.625)
        return unsafeBitCast(unsafeBitCast(large, to: SIMD8<UInt32>.self) | (bits & signBit), to: SIMD8<Float>.self)
    }
}
