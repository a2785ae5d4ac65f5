import CHDF5Shim
import XCTest

/// Adam's AVX2 update (`sk_adam_update` in kernels.c), with and without AMSGrad's `vhat` slot,
/// gives the bits of the scalar loop it replaced: each operation rounded on its own in float32,
/// no fused multiply-add, the maximum as `Swift.max(vhat, v)` picks it (a NaN `v` keeps `vhat`).
final class AdamKernelTests: XCTestCase {
    /// The scalar loop of Adam.swift, one element at a time.
    private func scalarAdam(_ w: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float],
                            _ vhat: inout [Float]?, c1: Float, c2: Float, alpha: Float, eps: Float) {
        for i in w.indices {
            m[i] += (g[i] - m[i]) * c1
            v[i] += (g[i] * g[i] - v[i]) * c2
            if vhat != nil {
                vhat![i] = Swift.max(vhat![i], v[i])
                w[i] -= m[i] * alpha / (vhat![i].squareRoot() + eps)
            } else {
                w[i] -= m[i] * alpha / (v[i].squareRoot() + eps)
            }
        }
    }

    func testKernelHasTheScalarLoopsBits() throws {
        try XCTSkipIf(sk_cpu_has_avx2_fma() == 0, "the CPU has no AVX2 + FMA: the scalar loop runs")
        var state: UInt64 = 20261207   // a fixed LCG: the same numbers each run
        let uniform = { () -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int((state >> 33) % 2001) - 1000) / 1000
        }
        for amsgrad in [false, true] {
            for n in [1, 7, 8, 37] {
                let normal = { (scale: Float) in (0..<n).map { _ in uniform() * scale } }
                var w = normal(1), g = normal(1), m = normal(0.1)
                var v = normal(0.01).map(abs)
                var vhat: [Float]? = amsgrad ? normal(0.01).map(abs) : nil
                if n == 37 {
                    g[3] = .nan                                   // v turns NaN: vhat keeps its value
                    if amsgrad { vhat![5] = .nan }                // stays NaN
                    g[9] = 0; v[9] = 0; if amsgrad { vhat![9] = -0.0 }   // equal zeros: v's sign wins
                }
                var (rw, rm, rv, rvhat) = (w, m, v, vhat)
                for step in 0..<3 {
                    let c1: Float = 0.1, c2: Float = 0.5, alpha = 0.01 * Float(step + 1), eps: Float = 1e-7
                    w.withUnsafeMutableBufferPointer { wp in m.withUnsafeMutableBufferPointer { mp in
                        v.withUnsafeMutableBufferPointer { vp in g.withUnsafeBufferPointer { gp in
                            if vhat != nil {
                                vhat!.withUnsafeMutableBufferPointer { hp in
                                    sk_adam_update(wp.baseAddress, gp.baseAddress, mp.baseAddress, vp.baseAddress,
                                                   hp.baseAddress, n, c1, c2, alpha, eps)
                                }
                            } else {
                                sk_adam_update(wp.baseAddress, gp.baseAddress, mp.baseAddress, vp.baseAddress,
                                               nil, n, c1, c2, alpha, eps)
                            }
                        } }
                    } }
                    scalarAdam(&rw, g, &rm, &rv, &rvhat, c1: c1, c2: c2, alpha: alpha, eps: eps)
                }
                let bits = { (a: [Float]) in a.map(\.bitPattern) }
                XCTAssertEqual(bits(w), bits(rw), "w, n \(n), amsgrad \(amsgrad)")
                XCTAssertEqual(bits(m), bits(rm), "m, n \(n), amsgrad \(amsgrad)")
                XCTAssertEqual(bits(v), bits(rv), "v, n \(n), amsgrad \(amsgrad)")
                XCTAssertEqual(vhat.map(bits), rvhat.map(bits), "vhat, n \(n)")
            }
        }
    }
}
