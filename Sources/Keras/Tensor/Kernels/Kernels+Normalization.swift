#if canImport(Glibc)
import Glibc
#endif

/// Row normalization (layer and RMS normalization): each of `rows` rows of `cols` floats is
/// normalized on its own; the per-row statistics are kept for the backward pass.
extension Kernels {
    /// The layout and options shared by the forward and backward row-normalization kernels.
    struct RowNormalization {
        let rows: Int
        let cols: Int
        let epsilon: Float
        /// Subtract the row mean (layer normalization); otherwise divide by the root mean square.
        let centered: Bool
    }

    /// `out = (x − mean)·rstd·gamma + beta` per row with `rstd = 1/√(var + ε)` (centered), or
    /// `out = x·rstd·gamma` with `rstd = 1/√(mean(x²) + ε)`; mean and variance in one pass
    /// (sums in Double). Writes each row's mean (0 when not centered) and `rstd`.
    static func normalizeRows(_ x: UnsafePointer<Float>, _ n: RowNormalization,
                              gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
                              out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                              rstd: UnsafeMutablePointer<Float>) {
        let cols = n.cols
        guard cols > 0 else { return }
        // Chunks of elements; a row belongs to the chunk that holds its first element.
        Parallel.forEachChunk(n.rows * cols) { range in
            let lo = (range.lowerBound + cols - 1) / cols, hi = (range.upperBound + cols - 1) / cols
            for r in lo..<hi {
                let px = x + r * cols, py = out + r * cols
                var s = 0.0, s2 = 0.0
                for j in 0..<cols {
                    let v = Double(px[j])
                    s += v
                    s2 += v * v
                }
                let m = n.centered ? s / Double(cols) : 0
                let second = s2 / Double(cols) - m * m
                let inv = 1 / (Float(Swift.max(second, 0)) + n.epsilon).squareRoot()
                let mf = Float(m)
                mean[r] = mf
                rstd[r] = inv
                switch (gamma, beta) {
                case let (g?, b?): for j in 0..<cols { py[j] = (px[j] - mf) * inv * g[j] + b[j] }
                case let (g?, nil): for j in 0..<cols { py[j] = (px[j] - mf) * inv * g[j] }
                case let (nil, b?): for j in 0..<cols { py[j] = (px[j] - mf) * inv + b[j] }
                case (nil, nil): for j in 0..<cols { py[j] = (px[j] - mf) * inv }
                }
            }
        }
    }

    /// The vector-Jacobian product of ``normalizeRows``: with `x̂ = (x − mean)·rstd` and
    /// `ĝ = upstream·gamma`, `dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))` (centered) or
    /// `rstd·(ĝ − x̂·mean(ĝ·x̂))`; `dgamma = Σ_rows upstream·x̂`, `dbeta = Σ_rows upstream`.
    /// Each of `dx`, `dgamma`, `dbeta` is written only when given (overwritten, not added to).
    static func normalizeRowsBackward(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: RowNormalization,
                                      gamma: UnsafePointer<Float>?, mean: UnsafePointer<Float>,
                                      rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                      dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?) {
        let cols = n.cols
        dgamma?.initialize(repeating: 0, count: cols)
        dbeta?.initialize(repeating: 0, count: cols)
        let scale = 1 / Double(Swift.max(cols, 1))
        for r in 0..<n.rows {
            let px = x + r * cols, pg = g + r * cols
            let m = mean[r], inv = rstd[r]
            if let dgamma { for j in 0..<cols { dgamma[j] += pg[j] * (px[j] - m) * inv } }
            if let dbeta { for j in 0..<cols { dbeta[j] += pg[j] } }
            guard let dx else { continue }
            var sg = 0.0, sgx = 0.0
            for j in 0..<cols {
                let gh = pg[j] * (gamma?[j] ?? 1)
                sg += Double(gh)
                sgx += Double(gh * (px[j] - m) * inv)
            }
            let a = n.centered ? Float(sg * scale) : 0, b = Float(sgx * scale)
            let pd = dx + r * cols
            for j in 0..<cols {
                let gh = pg[j] * (gamma?[j] ?? 1)
                pd[j] = inv * (gh - a - (px[j] - m) * inv * b)
            }
        }
    }
}
