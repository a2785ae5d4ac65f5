/// Batch normalization as one fused op: one pass for the batch statistics, one for
/// `x · a + b` per channel, and a closed-form VJP (one reduction pass, one pass for `dx`).
extension Ops {
    /// Normalizes `x` over every axis but `axis` with the given per-channel `mean` and
    /// `variance`, then scales by `scale` and shifts by `offset` (all of shape `(channels,)`).
    /// Keras: `ops.batch_normalization(x, mean, variance, axis, offset, scale, epsilon)`.
    public static func batchNormalization(_ x: Tensor, mean: Tensor, variance: Tensor, axis: Int,
                                          offset: Tensor? = nil, scale: Tensor? = nil, epsilon: Float = 1e-3) throws -> Tensor {
        let l = try channelLayout(x, axis: axis)
        for (label, t) in [("mean", mean), ("variance", variance), ("offset", offset), ("scale", scale)] {
            try checkPerChannel(label, t, x, axis: axis, l)
        }
        return fusedBatchNormalization(x, l, mean: mean, variance: variance, epsilon: epsilon, offset: offset, scale: scale,
                                       given: (mean, variance))
    }

    /// Normalizes `x` with its own per-channel mean and (biased) variance over every axis but
    /// `axis`, then scales and shifts: BatchNormalization in training. The gradient flows through
    /// the statistics (closed form); the returned `mean` and `variance` (shape `(channels,)`, for
    /// the moving statistics) are not differentiable.
    public static func batchNormalizationTraining(_ x: Tensor, axis: Int, offset: Tensor? = nil, scale: Tensor? = nil,
                                                  epsilon: Float = 1e-3) throws -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let l = try channelLayout(x, axis: axis)
        try checkPerChannel("offset", offset, x, axis: axis, l)
        try checkPerChannel("scale", scale, x, axis: axis, l)
        let mean = Tensor.uninitialized([l.channels]), variance = Tensor.uninitialized([l.channels])
        Kernels.channelMoments(x.data, l, mean: mean.data, variance: variance.data)
        let out = fusedBatchNormalization(x, l, mean: mean, variance: variance, epsilon: epsilon, offset: offset, scale: scale,
                                          given: nil)
        return (out, mean, variance)
    }

    /// The layout of `x` around `axis`.
    private static func channelLayout(_ x: Tensor, axis: Int) throws -> Kernels.ChannelLayout {
        let a = axis < 0 ? axis + x.rank : axis
        guard a >= 0 && a < x.rank else {
            throw KerasError.invalidArgument("batchNormalization: axis \(axis) is out of bounds for an input of shape \(x.shape)")
        }
        return Kernels.ChannelLayout(x.shape, axis: a)
    }

    /// Throws unless the per-channel tensor `t` (when given) has shape `(channels,)`.
    private static func checkPerChannel(_ label: String, _ t: Tensor?, _ x: Tensor, axis: Int, _ l: Kernels.ChannelLayout) throws {
        if let t, t.shape.count != 1 || t.shape[0] != l.channels {
            throw KerasError.shapeMismatch("batchNormalization: \(label) of shape \(t.shape) does not fit axis \(axis) of an input of shape \(x.shape) (expected (\(l.channels),))")
        }
    }

    /// `x · a + b` per channel with `rstd = 1 / √(variance + epsilon)`, `a = rstd · scale`,
    /// `b = offset − mean · a` (``Kernels/batchNormAffine(mean:variance:epsilon:scale:offset:channels:rstd:a:b:)``),
    /// and its VJP: with batch statistics (`given` nil) `dx = a · (g − mean(g) − x̂ · mean(g · x̂))`,
    /// else `dx = a · g` plus the gradients of the given mean and variance.
    private static func fusedBatchNormalization(_ x: Tensor, _ l: Kernels.ChannelLayout, mean: Tensor, variance: Tensor,
                                                epsilon: Float, offset: Tensor?, scale: Tensor?,
                                                given: (mean: Tensor, variance: Tensor)?) -> Tensor {
        let channels = l.channels
        let rstd = Tensor.uninitialized([channels]), a = Tensor.uninitialized([channels]), b = Tensor.uninitialized([channels])
        Kernels.batchNormAffine(mean: mean.data, variance: variance.data, epsilon: epsilon, scale: scale.map { UnsafePointer($0.data) },
                                offset: offset.map { UnsafePointer($0.data) }, channels: channels, rstd: rstd.data, a: a.data, b: b.data)
        let out = Tensor.uninitialized(x.shape)
        withExtendedLifetime((x, out, a, b)) {
            Kernels.channelAffine(l, x.data, a.data, b.data, plus: nil, into: out.data)
        }
        guard let tape = GradientTape.active else { return out }
        let tracked = { (t: Tensor?) in t.map(tape.tracks) ?? false }
        guard tape.tracks(x) || tracked(scale) || tracked(offset) || tracked(given?.mean) || tracked(given?.variance) else { return out }
        return tape.record(out) { g, t in
            withExtendedLifetime((g, x, a, mean, rstd)) {
                batchNormalizationBackward(g, t, x, l, a: a, mean: mean, rstd: rstd, offset: offset, scale: scale, given: given)
            }
        }
    }

    /// The VJP of ``fusedBatchNormalization(_:_:mean:variance:epsilon:offset:scale:given:)`` for upstream `g`
    /// (the caller keeps the tensors alive).
    private static func batchNormalizationBackward(_ g: Tensor, _ t: GradientTape, _ x: Tensor, _ l: Kernels.ChannelLayout,
                                                   a: Tensor, mean: Tensor, rstd: Tensor, offset: Tensor?, scale: Tensor?,
                                                   given: (mean: Tensor, variance: Tensor)?) {
        let channels = l.channels
        let pa = a.data, pm = mean.data, pr = rstd.data
        // Σ g and Σ g·x̂ = rstd · Σ g·(x − mean) per channel (on the stack when small).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(2 * channels, 1)) { buffer in
            guard let sums = buffer.baseAddress else { return }
            Kernels.channelSums(l, g.data, x.data, shift: pm, into: sums, sums + channels)
            let sumG: (Int) -> Float = { Float(sums[$0]) }
            let sumGX: (Int) -> Float = { Float(sums[channels + $0] * Double(pr[$0])) }
            if t.tracks(x) {
                // dx = a·g + q·x + r with batch statistics, else a·g.
                let q = perChannel(channels) { _ in 0 }, r = perChannel(channels) { _ in 0 }
                if given == nil {
                    Kernels.batchNormBackward(sums: sums, channels: channels, count: l.perChannel, a: pa, mean: pm, rstd: pr,
                                              q: q.data, r: r.data, dScale: nil, dOffset: nil)
                }
                let dx = Tensor.uninitialized(x.shape)
                withExtendedLifetime((q, r, dx)) {
                    Kernels.channelAffine(l, g.data, pa, r.data, plus: (UnsafePointer(x.data), q: UnsafePointer(q.data)), into: dx.data)
                }
                t.accumulate(x, dx)
            }
            if let scale, t.tracks(scale) { t.accumulate(scale, perChannel(channels, sumGX)) }
            if let offset, t.tracks(offset) { t.accumulate(offset, perChannel(channels, sumG)) }
            if let given, t.tracks(given.mean) { t.accumulate(given.mean, perChannel(channels) { -pa[$0] * sumG($0) }) }
            if let given, t.tracks(given.variance) {
                t.accumulate(given.variance, perChannel(channels) { c in -0.5 * (scale?.data[c] ?? 1) * pr[c] * pr[c] * sumGX(c) })
            }
        }
    }

    /// A `(channels,)` tensor of `value(c)`.
    private static func perChannel(_ channels: Int, _ value: (Int) -> Float) -> Tensor {
        let t = Tensor.uninitialized([channels])
        for c in 0..<channels { t.data[c] = value(c) }
        return t
    }
}
