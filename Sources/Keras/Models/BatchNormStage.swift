/// A `BatchNormalization` over the features of a ``DenseStack`` in a ``StepPlan`` for batches of
/// `rows` rows: the training forward of `Ops.batchNormalizationTraining` (the batch's moments,
/// ``Kernels/batchNormAffine(mean:variance:epsilon:scale:offset:channels:rstd:a:b:)``, the
/// affine map), the layer's moving-statistics update, and the VJP
/// with batch statistics (``Kernels/batchNormBackward(sums:channels:count:a:mean:rstd:q:r:dScale:dOffset:)``),
/// on buffers kept from step to step, so that the step's values are the general step's bit for bit.
final class BatchNormStage {
    let layer: BatchNormalization
    private let layout: Kernels.ChannelLayout
    private let channels: Int
    private let mean: Tensor, variance: Tensor, rstd: Tensor, a: Tensor, b: Tensor, q: Tensor, r: Tensor
    /// The gradients of gamma and beta (when the layer has them).
    let scaleGradient: Tensor?
    let offsetGradient: Tensor?
    /// `Σg` then `Σg·(x − mean)` per channel.
    private let sums: UnsafeMutablePointer<Double>

    init(_ layer: BatchNormalization, rows: Int, channels: Int) {
        self.layer = layer
        layout = Kernels.ChannelLayout([rows, channels], axis: 1)
        self.channels = channels
        mean = Tensor.uninitialized([channels])
        variance = Tensor.uninitialized([channels])
        rstd = Tensor.uninitialized([channels])
        a = Tensor.uninitialized([channels])
        b = Tensor.uninitialized([channels])
        q = Tensor.uninitialized([channels])
        r = Tensor.uninitialized([channels])
        scaleGradient = layer.gamma.map { Tensor.uninitialized($0.shape) }
        offsetGradient = layer.beta.map { Tensor.uninitialized($0.shape) }
        sums = .allocate(capacity: 2 * Swift.max(channels, 1))
    }

    deinit { sums.deallocate() }

    /// The gradient buffer of `v`, when it is one of the layer's trainable weights.
    func gradient(of v: Variable) -> Tensor? {
        if let gamma = layer.gamma, v === gamma { return scaleGradient }
        if let beta = layer.beta, v === beta { return offsetGradient }
        return nil
    }

    /// Normalizes `x` with its batch statistics into `out`, and updates the moving statistics.
    func forward(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        Kernels.channelMoments(x, layout, mean: mean.data, variance: variance.data)
        Kernels.batchNormAffine(mean: mean.data, variance: variance.data, epsilon: Float(layer.epsilon),
                                scale: layer.gamma.map { UnsafePointer($0.storedValue.data) },
                                offset: layer.beta.map { UnsafePointer($0.storedValue.data) }, channels: channels,
                                rstd: rstd.data, a: a.data, b: b.data)
        Kernels.channelAffine(layout, x, a.data, b.data, plus: nil, into: out)
        layer.updateMovingStatistics(mean: mean.data, variance: variance.data)
    }

    /// The gradient of `x` (the last ``forward(_:into:)``'s input) into `dx`, and those of gamma
    /// and beta, from the upstream gradient `g`.
    func backward(_ x: UnsafePointer<Float>, upstream g: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        Kernels.channelSums(layout, g, x, shift: mean.data, into: sums, sums + channels)
        Kernels.batchNormBackward(sums: sums, channels: channels, count: layout.perChannel, a: a.data, mean: mean.data,
                                  rstd: rstd.data, q: q.data, r: r.data, dScale: scaleGradient?.data, dOffset: offsetGradient?.data)
        Kernels.channelAffine(layout, g, a.data, r.data, plus: (x, q: UnsafePointer(q.data)), into: dx)
    }
}
