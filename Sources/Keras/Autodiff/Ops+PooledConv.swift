/// A convolution and the max pooling after it as one op (``Kernels/directConvMaxPool(_:_:bias:_:filters:relu:into:argmax:)``),
/// with or without a BatchNormalization in training between them, for the first layer of an
/// image model: `Sequential` runs a `Conv2D` → (`BatchNormalization` →) `MaxPooling2D` run of
/// layers through them when they apply.
extension Ops {
    /// `maxPool(conv(x, kernel, bias, activation))` with the pool's strides equal to its size and
    /// no padding, computed without storing the convolution's output; nil when the fused kernel
    /// does not apply (the caller then runs ``conv(_:kernel:bias:strides:padding:dilation:groups:activation:)``
    /// and ``maxPool(_:poolSize:strides:padding:)``, which also report any bad argument): a
    /// reduction over more than ``Kernels/directConvLimit`` inputs, an activation other than relu
    /// or linear, overlapping or padded pooling windows, or an input whose gradient is recorded.
    /// The outputs equal the two ops'; the kernel and bias gradients up to the order of Float sums.
    static func convMaxPool(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: [Int], padding: ConvPadding,
                            dilation: [Int], activation: ElementwiseActivation,
                            poolSize: [Int], poolStrides: [Int], poolPadding: ConvPadding) -> Tensor? {
        guard let (p, f) = pooledConvGeometry(x, kernel: kernel, bias: bias, strides: strides, padding: padding, dilation: dilation,
                                              activation: activation, poolSize: poolSize, poolStrides: poolStrides,
                                              poolPadding: poolPadding) else { return nil }
        let relu = activation == .relu, r = x.rank - 2
        let out = Tensor.uninitialized([p.batch] + [p.output.0, p.output.1, p.output.2].suffix(r) + [f])
        // One byte per output: the index of its maximum in the pooling window.
        let argmax = Tensor.uninitialized([(out.count + 3) / 4])
        Kernels.directConvMaxPool(x.data, kernel.data, bias: bias?.data, p, filters: f, relu: relu, into: out.data,
                                  argmax: UnsafeMutableRawPointer(argmax.data))
        guard let tape = GradientTape.active, tape.tracks(kernel) || (bias.map(tape.tracks) ?? false) else { return out }
        return tape.record(out) { up, t in
            let dk = t.tracks(kernel) ? Tensor.uninitialized(kernel.shape) : nil
            let db = bias.flatMap { t.tracks($0) ? Tensor.uninitialized([f]) : nil }
            let dw = dk ?? Tensor.uninitialized(kernel.shape)
            Kernels.directConvMaxPoolBackward(x.data, upstream: up.data, output: out.data, argmax: UnsafeRawPointer(argmax.data),
                                              relu: relu, p, filters: f, kernel: dw.data, bias: db?.data)
            if let dk { t.accumulate(kernel, dk) }
            if let bias, let db { t.accumulate(bias, db) }
        }
    }

    /// `maxPool(batchNormalizationTraining(conv(x, kernel, bias, activation)))` over the last
    /// axis, as ``convMaxPool(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``
    /// (nil where that is, or where `scale` or `offset` does not have one value per filter),
    /// with the batch's mean and variance for the moving statistics (summed as the convolution's
    /// rows are stored, equal to the separate ops' up to the order of Float sums). The convolution's output is
    /// stored once; the normalized tensor and the full-size gradients never are (``Kernels/affineMaxPool(_:_:_:_:channels:into:argmax:keeping:)``).
    static func convBatchNormMaxPool(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: [Int], padding: ConvPadding,
                                     dilation: [Int], activation: ElementwiseActivation, scale: Tensor?, offset: Tensor?,
                                     epsilon: Float, poolSize: [Int], poolStrides: [Int],
                                     poolPadding: ConvPadding) -> (output: Tensor, mean: Tensor, variance: Tensor)? {
        guard let (p, f) = pooledConvGeometry(x, kernel: kernel, bias: bias, strides: strides, padding: padding, dilation: dilation,
                                              activation: activation, poolSize: poolSize, poolStrides: poolStrides,
                                              poolPadding: poolPadding),
              scale.map({ $0.shape == [f] }) ?? true, offset.map({ $0.shape == [f] }) ?? true else { return nil }
        let relu = activation == .relu, r = x.rank - 2
        let y = Tensor.uninitialized([p.batch] + [p.conv.output.0, p.conv.output.1, p.conv.output.2].suffix(r) + [f])
        let layout = Kernels.ChannelLayout(y.shape, axis: y.rank - 1)
        let mean = Tensor.uninitialized([f]), variance = Tensor.uninitialized([f])
        Kernels.directConv(x.data, kernel.data, bias: bias?.data, p.conv, filters: f, relu: relu, into: y.data,
                           moments: (mean.data, variance.data))
        // Per channel: 1/σ, then y·a + b with a = γ/σ, b = β − mean·a, as batchNormalizationTraining.
        let rstd = Tensor.uninitialized([f]), a = Tensor.uninitialized([f]), b = Tensor.uninitialized([f])
        Kernels.batchNormAffine(mean: mean.data, variance: variance.data, epsilon: epsilon, scale: scale.map { UnsafePointer($0.data) },
                                offset: offset.map { UnsafePointer($0.data) }, channels: f, rstd: rstd.data, a: a.data, b: b.data)
        let out = Tensor.uninitialized([p.batch] + [p.output.0, p.output.1, p.output.2].suffix(r) + [f])
        let argmax = Tensor.uninitialized([(out.count + 3) / 4])
        let tape = GradientTape.active.flatMap { tape in
            tape.tracks(kernel) || (bias.map(tape.tracks) ?? false) || (scale.map(tape.tracks) ?? false)
                || (offset.map(tape.tracks) ?? false) ? tape : nil
        }
        // y at each maximum, for the backward's sums (pooled-size).
        let kept = tape.map { _ in Tensor.uninitialized(out.shape) }
        Kernels.affineMaxPool(y.data, a.data, b.data, p, channels: f, into: out.data, argmax: UnsafeMutableRawPointer(argmax.data),
                              keeping: kept?.data)
        guard let tape, let kept else { return (out, mean, variance) }
        let recorded = tape.record(out) { up, t in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * f) { buffer in
                guard let sums = buffer.baseAddress else { return }
                // Σg and Σg·(y − mean) over the pooled outputs (the gradient is zero elsewhere).
                Kernels.channelSums(Kernels.ChannelLayout(out.shape, axis: out.rank - 1), up.data, kept.data, shift: mean.data,
                                    into: sums, sums + f)
                // dy = a·g + q·y + r, with batch statistics (as batchNormalizationTraining's VJP).
                let q = Tensor.uninitialized([f]), rr = Tensor.uninitialized([f])
                let dScale = Tensor.uninitialized([f]), dOffset = Tensor.uninitialized([f])
                Kernels.batchNormBackward(sums: sums, channels: f, count: layout.perChannel, a: a.data, mean: mean.data,
                                          rstd: rstd.data, q: q.data, r: rr.data, dScale: dScale.data, dOffset: dOffset.data)
                let dk = t.tracks(kernel) ? Tensor.uninitialized(kernel.shape) : nil
                let db = bias.flatMap { t.tracks($0) ? Tensor.uninitialized([f]) : nil }
                if dk != nil || db != nil {
                    let dw = dk ?? Tensor.uninitialized(kernel.shape)
                    Kernels.directConvBatchNormBackward(x.data, upstream: up.data, argmax: UnsafeRawPointer(argmax.data),
                                                        output: y.data, a: a.data, q: q.data, r: rr.data, relu: relu, p,
                                                        filters: f, kernel: dw.data, bias: db?.data)
                    if let dk { t.accumulate(kernel, dk) }
                    if let bias, let db { t.accumulate(bias, db) }
                }
                if let scale, t.tracks(scale) { t.accumulate(scale, dScale) }
                if let offset, t.tracks(offset) { t.accumulate(offset, dOffset) }
            }
        }
        return (recorded, mean, variance)
    }

    /// The fused geometry and the filter count of a convolution then a max pooling, or nil where
    /// the fused kernels do not apply (see ``convMaxPool(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``;
    /// a ``StepPlan`` asks it too, so that it fuses exactly where the general step does).
    static func pooledConvGeometry(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: [Int], padding: ConvPadding,
                                           dilation: [Int], activation: ElementwiseActivation, poolSize: [Int],
                                           poolStrides: [Int], poolPadding: ConvPadding) -> (Kernels.PooledConvGeometry, Int)? {
        let r = x.rank - 2
        guard r >= 1, kernel.rank == r + 2, activation == .relu || activation == .linear, poolPadding == .valid,
              poolStrides == poolSize, poolSize.count == r else { return nil }
        let cin = x.shape[r + 1], f = kernel.shape[r + 1]
        guard kernel.shape[r] == cin, f > 0, bias.map({ $0.shape == [f] }) ?? true,
              kernel.shape.prefix(r).reduce(cin, *) <= Kernels.directConvLimit else { return nil }
        if let tape = GradientTape.active, tape.tracks(x) { return nil }
        guard let g = try? windowGeometry("conv", input: x.shape, window: Array(kernel.shape.prefix(r)), strides: strides,
                                          dilation: dilation, padding: padding),
              let pg = try? windowGeometry("max_pool", input: windowOutputShape(g, rank: r, channels: f), window: poolSize,
                                           strides: poolSize, dilation: poolSize.map { _ in 1 }, padding: .valid),
              let p = Kernels.PooledConvGeometry(conv: g, pooling: pg) else { return nil }
        return (p, f)
    }
}
