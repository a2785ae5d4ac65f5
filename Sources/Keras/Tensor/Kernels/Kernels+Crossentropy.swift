#if canImport(Glibc)
import Glibc
#endif

/// Cross-entropy over rows of `k` class probabilities, as Keras computes it for probabilities
/// (clipped to `[ε, 1 - ε]`), and its gradient into the logits of a softmax.
extension Kernels {
    /// `out[r] = -Σ_j y[r, j] log(clip(p[r, j]))`; a zero target adds exactly nothing.
    static func crossentropyRows(_ py: UnsafePointer<Float>, _ pp: UnsafePointer<Float>,
                                 into out: UnsafeMutablePointer<Float>, rows: Int, classes k: Int) {
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<k {
                let y = py[r * k + j]
                if y == 0 { continue }
                let q = Swift.min(Swift.max(pp[r * k + j], kerasEpsilon), 1 - kerasEpsilon)
                s -= y * logf(q)
            }
            out[r] = s
        }
    }

    /// The slope Keras's loss takes through `clip(q, ε, 1 - ε)` (jax's `minimum(maximum(...))`):
    /// 1 inside, 0 outside, ½ on a bound (jax splits a tie's gradient). A saturated softmax
    /// row, whose target probability is clipped, gets no gradient in Keras.
    @inline(__always)
    static func clipSlope(_ q: Float) -> Float {
        if q > kerasEpsilon && q < 1 - kerasEpsilon { return 1 }
        return q == kerasEpsilon || q == 1 - kerasEpsilon ? 0.5 : 0
    }

    /// The gradient into the logits of `softmax` followed by ``crossentropyRows(_:_:into:rows:classes:)``:
    /// `dz[r, j] = g[r] (p[r, j] Σ_i y'[r, i] - y'[r, j])` with `y' = y · clipSlope(p / Σp)`,
    /// as Keras's `p / Σp`, clip and log differentiate (`p - y` for unclipped one-hot rows).
    static func softmaxCrossentropyBackward(_ py: UnsafePointer<Float>, _ pp: UnsafePointer<Float>,
                                            upstream pg: UnsafePointer<Float>, into pd: UnsafeMutablePointer<Float>,
                                            rows: Int, classes k: Int) {
        for r in 0..<rows {
            var psum: Float = 0
            for j in 0..<k { psum += pp[r * k + j] }
            var ysum: Float = 0
            for j in 0..<k where py[r * k + j] != 0 { ysum += py[r * k + j] * clipSlope(pp[r * k + j] / psum) }
            let gr = pg[r]
            for j in 0..<k {
                let y = py[r * k + j]
                let kept = y == 0 ? 0 : y * clipSlope(pp[r * k + j] / psum)
                pd[r * k + j] = gr * (pp[r * k + j] * ysum - kept)
            }
        }
    }

    /// Sets `out[r, label[r]] = 1` in a zeroed `rows × k` block, skipping rows whose `mask` is 0.
    static func oneHot(_ labels: UnsafePointer<Float>, mask pm: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
                       rows: Int, classes k: Int) {
        for r in 0..<rows where pm.map({ $0[r] != 0 }) ?? true { out[r * k + Int(labels[r])] = 1 }
    }

    /// `out[r] = -log(clip(p[r, label[r]]))`, or with `renormalize` `-log(clip(p[r, label] / Σ_j p[r, j]))`
    /// (Keras on probabilities that need not sum to 1); 0 where `mask` is 0. Labels are checked
    /// by the caller.
    static func sparseCrossentropyRows(_ labels: UnsafePointer<Float>, _ pp: UnsafePointer<Float>,
                                       mask pm: UnsafePointer<Float>?, into po: UnsafeMutablePointer<Float>,
                                       rows: Int, classes k: Int, renormalize: Bool) {
        for r in 0..<rows {
            if let pm, pm[r] == 0 { po[r] = 0; continue }
            var q = pp[r * k + Int(labels[r])]
            if renormalize {
                var s: Float = 0
                for j in 0..<k { s += pp[r * k + j] }
                q /= s
            }
            po[r] = -logf(Swift.min(Swift.max(q, kerasEpsilon), 1 - kerasEpsilon))
        }
    }

    /// The gradient into the logits of `softmax` followed by sparse cross-entropy:
    /// `g[r] c (p[r] - onehot(label[r]))` with `c = clipSlope(p[r, label] / Σp[r])` (Keras
    /// clips the label's probability: a saturated row gets none), zero rows where `mask` is 0.
    static func sparseSoftmaxCrossentropyBackward(_ labels: UnsafePointer<Float>, _ pp: UnsafePointer<Float>,
                                                  mask pm: UnsafePointer<Float>?, upstream pg: UnsafePointer<Float>,
                                                  into pd: UnsafeMutablePointer<Float>, rows: Int, classes k: Int) {
        for r in 0..<rows {
            let row = pd + r * k
            if let pm, pm[r] == 0 { row.initialize(repeating: 0, count: k); continue }
            let label = Int(labels[r])
            var psum: Float = 0
            for j in 0..<k { psum += pp[r * k + j] }
            let gr = pg[r] * clipSlope(pp[r * k + label] / psum)
            for j in 0..<k { row[j] = gr * pp[r * k + j] }
            row[label] = gr * (pp[r * k + label] - 1)
        }
    }
}
