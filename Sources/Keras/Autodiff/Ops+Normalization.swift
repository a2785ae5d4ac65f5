/// Normalization ops: layer, RMS and L2 normalization. Layer and RMS normalization are fused
/// (one pass for the statistics, a VJP over whole rows, no per-element tape nodes).
extension Ops {
    /// Normalizes `x` to zero mean and unit variance over `axes`, then scales by `gamma` and
    /// shifts by `beta` (shaped like the normalized axes, in increasing order).
    /// Keras: `ops.layer_normalization(x, gamma, beta, axis, epsilon)`.
    public static func layerNormalization(_ x: Tensor, gamma: Tensor? = nil, beta: Tensor? = nil,
                                          axes: [Int] = [-1], epsilon: Float = 1e-3) throws -> Tensor {
        try normalizeOverAxes("layerNormalization", x, gamma: gamma, beta: beta, axes: axes, epsilon: epsilon, centered: true)
    }

    /// `x · rsqrt(mean(x²) + ε) · scale` over `axes`. Keras: `ops.rms_normalization(x, scale, axis, epsilon)`.
    public static func rmsNormalization(_ x: Tensor, scale: Tensor? = nil, axes: [Int] = [-1],
                                        epsilon: Float = 1e-7) throws -> Tensor {
        try normalizeOverAxes("rmsNormalization", x, gamma: scale, beta: nil, axes: axes, epsilon: epsilon, centered: false)
    }

    /// `x · min(rsqrt(Σ x²), 1/ε)` over `axes`: L2 normalization.
    /// Keras: `ops.normalize(x, axis, order=2, epsilon)`.
    public static func l2Normalize(_ x: Tensor, axes: [Int] = [-1], epsilon: Float = 1e-7) throws -> Tensor {
        let sumSquares = try sum(square(x), axes: try normalizedAxes("l2Normalize", axes, rank: x.rank), keepDims: true)
        let inverse = pow(sumSquares, -0.5)
        return try multiply(x, minimum(inverse, Tensor(shape: inverse.shape, repeating: 1 / epsilon)))
    }

    /// Moves `axes` to the end when they are not the trailing ones, normalizes the trailing
    /// block with the fused kernel, and moves them back.
    private static func normalizeOverAxes(_ op: String, _ x: Tensor, gamma: Tensor?, beta: Tensor?,
                                          axes: [Int], epsilon: Float, centered: Bool) throws -> Tensor {
        let a = try normalizedAxes(op, axes, rank: x.rank)
        guard !a.isEmpty else { throw KerasError.invalidArgument("\(op): no axis to normalize over") }
        let normalizedShape = a.map { x.shape[$0] }
        for (label, w) in [("gamma", gamma), ("beta", beta)] {
            if let w, w.shape != normalizedShape {
                throw KerasError.shapeMismatch("\(op): \(label) of shape \(w.shape) does not fit axes \(axes) of an input of shape \(x.shape) (expected \(normalizedShape))")
            }
        }
        let others = (0..<x.rank).filter { !a.contains($0) }
        let perm = others + a
        guard perm != Array(0..<x.rank) else {
            return fusedRowNormalization(x, gamma: gamma, beta: beta, epsilon: epsilon, centered: centered, cols: normalizedShape.reduce(1, *))
        }
        var inverse = perm
        for (i, p) in perm.enumerated() { inverse[p] = i }
        let moved = try transpose(x, perm)
        let out = fusedRowNormalization(moved, gamma: gamma, beta: beta, epsilon: epsilon, centered: centered, cols: normalizedShape.reduce(1, *))
        return try transpose(out, inverse)
    }

    /// The fused normalization of each row of `cols` trailing floats, with its VJP.
    private static func fusedRowNormalization(_ x: Tensor, gamma: Tensor?, beta: Tensor?, epsilon: Float,
                                              centered: Bool, cols: Int) -> Tensor {
        let n = Kernels.RowNormalization(rows: cols == 0 ? 0 : x.count / cols, cols: cols, epsilon: epsilon, centered: centered)
        let out = Tensor.uninitialized(x.shape)
        let mean = Tensor.uninitialized([n.rows]), rstd = Tensor.uninitialized([n.rows])
        Kernels.normalizeRows(x.data, n, gamma: gamma?.data, beta: beta?.data, out: out.data, mean: mean.data, rstd: rstd.data)
        guard let tape = GradientTape.active,
              tape.tracks(x) || gamma.map(tape.tracks) == true || beta.map(tape.tracks) == true else { return out }
        return tape.record(out) { g, t in
            let dx = t.tracks(x) ? Tensor.uninitialized(x.shape) : nil
            let dgamma = gamma.flatMap { t.tracks($0) ? Tensor.uninitialized($0.shape) : nil }
            let dbeta = beta.flatMap { t.tracks($0) ? Tensor.uninitialized($0.shape) : nil }
            Kernels.normalizeRowsBackward(g.data, x.data, n, gamma: gamma?.data, mean: mean.data, rstd: rstd.data,
                                          dx: dx?.data, dgamma: dgamma?.data, dbeta: dbeta?.data)
            if let dx { t.accumulate(x, dx) }
            if let gamma, let dgamma { t.accumulate(gamma, dgamma) }
            if let beta, let dbeta { t.accumulate(beta, dbeta) }
        }
    }
}
