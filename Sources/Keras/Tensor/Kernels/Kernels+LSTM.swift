import CHDF5Shim

extension Kernels {
    /// Whether the recurrent step kernels run in AVX2 + FMA (`kernels.c` in CHDF5Shim): the
    /// LSTM and GRU (reset_after) gate math, forward and backward, and the per-step products of a sequence whose gate
    /// width is a multiple of 8. Swift's `SIMD8<Float>` compiles to two SSE halves without FMA
    /// for the baseline x86-64 target, so the gate math costs twice the per-step product there;
    /// and OpenBLAS repacks the recurrent kernel on every call of a 32×128×32 step product.
    static let nativeRecurrentSteps = sk_cpu_has_avx2_fma() != 0

    /// `C = A·B` (`+ C` with `accumulate`) for row-major `A` `(m, k)`, `B` `(k, n)`, `n` a multiple
    /// of 8, in AVX2 + FMA (only where ``nativeRecurrentSteps``).
    @inline(__always)
    static func nativeStepGemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                               m: Int, n: Int, k: Int, accumulate: Bool) {
        sk_sgemm_nn(m, n, k, a, b, c, accumulate ? 1 : 0)
    }

    /// ``lstmForward(_:cPrev:c:ac:h:rows:units:)`` in AVX2 + FMA (only where ``nativeRecurrentSteps``):
    /// the same Cephes approximations eight lanes at a time, products fused, so the last bits may
    /// differ from the Swift kernel's.
    @inline(__always)
    static func nativeLSTMForward(_ z: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                  ac: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, units: Int) {
        sk_lstm_forward(z, cPrev, c, ac, h, rows, units)
    }

    /// ``lstmBackward(_:ac:cPrev:dh:dc:dz:rows:units:)`` in AVX2 + FMA (only where ``nativeRecurrentSteps``).
    @inline(__always)
    static func nativeLSTMBackward(_ a: UnsafePointer<Float>, ac: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                   dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>,
                                   rows: Int, units: Int) {
        sk_lstm_backward(a, ac, cPrev, dh, dc, dz, rows, units)
    }

    /// ``gruForward(_:rec:e:hPrev:h:rows:units:)`` in AVX2 + FMA (only where ``nativeRecurrentSteps``).
    @inline(__always)
    static func nativeGRUForward(_ z: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>, e: UnsafeMutablePointer<Float>,
                                 hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, units: Int) {
        sk_gru_forward(z, rec, e, hPrev, h, rows, units)
    }

    /// ``gruBackward(_:e:hPrev:dh:dx:dr:rows:units:)`` in AVX2 + FMA (only where ``nativeRecurrentSteps``).
    @inline(__always)
    static func nativeGRUBackward(_ a: UnsafePointer<Float>, e: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                  dh: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dr: UnsafeMutablePointer<Float>,
                                  rows: Int, units: Int) {
        sk_gru_backward(a, e, hPrev, dh, dx, dr, rows, units)
    }
}

/// The gate math of an LSTM step with Keras's default activations (sigmoid gates, tanh cell),
/// eight units at a time in registers: one pass over a row instead of one per gate and
/// activation. Each element is computed with the same operations in the same order as the
/// general path of ``RecurrentSequence`` (which calls ``ElementwiseActivation``), so both give
/// bit-identical results.
extension Kernels {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Forward: `z` `(rows, 4u)` holds the pre-activations of gates i, f, c, o and receives
    /// their activations; `c = f·cPrev + i·g`, `ac = tanh(c)`, `h = o·ac` (`(rows, u)` each).
    /// `u` is a multiple of 8.
    static func lstmForward(_ z: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                            ac: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, units u: Int) {
        for b in 0..<rows {
            let row = z + b * 4 * u, s = b * u
            for j in stride(from: 0, to: u, by: 8) {
                let i = sigmoid8(load(row + j)), f = sigmoid8(load(row + u + j))
                let g = tanh8(load(row + 2 * u + j)), o = sigmoid8(load(row + 3 * u + j))
                store(i, row + j); store(f, row + u + j); store(g, row + 2 * u + j); store(o, row + 3 * u + j)
                let cv = f * load(cPrev + s + j) + i * g
                let a = tanh8(cv)
                store(cv, c + s + j); store(a, ac + s + j); store(o * a, h + s + j)
            }
        }
    }

    /// Backward: from the activated gates `a` `(rows, 4u)`, `ac`, `cPrev` and the state
    /// gradients `dh`, `dc` `(rows, u)`, the pre-activation gate gradients into `dz` `(rows, 4u)`;
    /// `dc` becomes the gradient of `cPrev`. `u` is a multiple of 8.
    static func lstmBackward(_ a: UnsafePointer<Float>, ac: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                             dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dz: UnsafeMutablePointer<Float>,
                             rows: Int, units u: Int) {
        for b in 0..<rows {
            let row = a + b * 4 * u, drow = dz + b * 4 * u, s = b * u
            for j in stride(from: 0, to: u, by: 8) {
                let i = load(row + j), f = load(row + u + j), g = load(row + 2 * u + j), o = load(row + 3 * u + j)
                let dhv = load(dh + s + j), acv = load(ac + s + j)
                let dcv = load(dc + s + j) + (dhv * o) * (1 - acv * acv)
                store(((dcv * g) * i) * (1 - i), drow + j)
                store(((dcv * load(cPrev + s + j)) * f) * (1 - f), drow + u + j)
                store((dcv * i) * (1 - g * g), drow + 2 * u + j)
                store(((dhv * acv) * o) * (1 - o), drow + 3 * u + j)
                store(dcv * f, dc + s + j)
            }
        }
    }
}
