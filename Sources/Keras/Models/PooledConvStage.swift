/// The first layers of a `Sequential` image model that a ``StepPlan`` runs before its Dense
/// stack: a channels-last convolution that the general step runs fused with the max pooling
/// after it, with or without a BatchNormalization between them (``PooledConvFusion``:
/// ``Ops/convMaxPool(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``
/// or ``Ops/convBatchNormMaxPool(_:kernel:bias:strides:padding:dilation:activation:scale:offset:epsilon:poolSize:poolStrides:poolPadding:)``),
/// a channels-last `Flatten`, and optionally a `Dropout` over the whole input: the MNIST
/// convnet of keras.io up to its first Dense layer, when it has one convolution.
struct PooledConvFront: PlanFront {
    let conv: BaseConv
    let batchNorm: BatchNormalization?
    let pool: BasePooling
    let flatten: Flatten
    let dropout: Dropout?
    let kernel: Variable
    let bias: Variable?

    /// The number of the model's layers it covers.
    var layerCount: Int { (batchNorm == nil ? 3 : 4) + (dropout == nil ? 0 : 1) }

    /// The front of `layers`, or nil when they do not start with one (or are not built).
    init?(_ layers: [Layer]) {
        guard layers.count > 3, let conv = layers[0] as? BaseConv, conv.built, let kernel = conv.kernel,
              conv.useBias == (conv.bias != nil), conv.activationFunction.elementwise != nil else { return nil }
        let span = conv.fusedLayers(layers[1...])
        guard span == 1 || span == 2, layers.count > span + 2, let pool = layers[span] as? BasePooling, pool.built,
              let flatten = layers[span + 1] as? Flatten, flatten.dataFormat == .channelsLast else { return nil }
        let batchNorm = span == 2 ? layers[1] as? BatchNormalization : nil
        if span == 2 {
            guard let bn = batchNorm, bn.built, bn.movingMean?.shape == [conv.filters], bn.movingVariance?.shape == [conv.filters],
                  bn.gamma.map({ $0.shape == [conv.filters] }) ?? true, bn.beta.map({ $0.shape == [conv.filters] }) ?? true
            else { return nil }
        }
        self.conv = conv
        self.batchNorm = batchNorm
        self.pool = pool
        self.flatten = flatten
        dropout = (layers[span + 2] as? Dropout).flatMap { $0.noiseShape == nil ? $0 : nil }
        self.kernel = kernel
        bias = conv.bias
    }

    /// True while the convolution still holds the front's weights.
    func matches() -> Bool { conv.kernel === kernel && conv.bias === bias }

    func stage(for x: Tensor) -> PlanFrontStage? { PooledConvStage(self, x: x) }

    /// True when every layer of the front trains as the plan does: trainable weights (a frozen
    /// BatchNormalization runs in inference mode, unfused), no regularizer (activity or weight).
    var isPlain: Bool {
        guard conv.trainable, kernel.trainable, bias?.trainable ?? true, conv.weightRegularizers.isEmpty,
              conv.activityRegularizer == nil, pool.activityRegularizer == nil, flatten.activityRegularizer == nil,
              dropout?.activityRegularizer == nil else { return false }
        if let bn = batchNorm {
            guard bn.trainable, bn.gamma?.trainable ?? true, bn.beta?.trainable ?? true, bn.weightRegularizers.isEmpty,
                  bn.activityRegularizer == nil else { return false }
        }
        return true
    }
}

/// A ``PooledConvFront`` in a ``StepPlan`` for batches of one shape: the fused convolution and
/// max pooling of `Ops.convMaxPool` (or, with a BatchNormalization, of `Ops.convBatchNormMaxPool`
/// and the layer's moving-statistics update) and their kernel, bias, gamma and beta gradients
/// from the pooled gradient, and the dropout mask drawn as `Dropout` draws it (from the same
/// generator, in the same order) then applied as `Ops.multiply` applies it, through the same
/// kernels on buffers kept from step to step, so that the step's values are the general step's
/// bit for bit.
final class PooledConvStage: PlanFrontStage {
    let front: PooledConvFront
    /// Floats per sample of the output (the Dense stack's input width).
    let width: Int
    let kernelGradient: Tensor
    let biasGradient: Tensor?
    private let geometry: Kernels.PooledConvGeometry
    private let filters: Int
    private let relu: Bool
    private let count: Int
    private let pooled: Tensor
    /// One byte per pooled output: where in its window the maximum was.
    private let argmax: Tensor
    /// With a Dropout: its mask, its output and the pooled output's gradient.
    private let mask: Tensor?
    private let dropped: Tensor?
    private let pooledGradient: Tensor?
    /// With a BatchNormalization: its buffers.
    private let norm: Normalized?
    /// The last ``forward(_:training:)``'s output.
    private(set) var output: UnsafePointer<Float>

    /// The BatchNormalization's buffers: the convolution's whole output, the batch moments, the
    /// affine map and its backward coefficients, the gradients of gamma and beta.
    private final class Normalized {
        let convolved: Tensor, kept: Tensor
        let mean: Tensor, variance: Tensor, rstd: Tensor, a: Tensor, b: Tensor, q: Tensor, r: Tensor
        let scaleGradient: Tensor?, offsetGradient: Tensor?
        let perChannel: Int
        let pooledLayout: Kernels.ChannelLayout
        let sums: UnsafeMutablePointer<Double>

        init(_ bn: BatchNormalization, _ p: Kernels.PooledConvGeometry, filters f: Int, pooled: Int) {
            convolved = Tensor.uninitialized([p.batch * p.conv.outputsPerSample * f])
            kept = Tensor.uninitialized([pooled])
            mean = Tensor.uninitialized([f]); variance = Tensor.uninitialized([f]); rstd = Tensor.uninitialized([f])
            a = Tensor.uninitialized([f]); b = Tensor.uninitialized([f]); q = Tensor.uninitialized([f]); r = Tensor.uninitialized([f])
            scaleGradient = bn.gamma.map { Tensor.uninitialized($0.shape) }
            offsetGradient = bn.beta.map { Tensor.uninitialized($0.shape) }
            perChannel = p.batch * p.conv.outputsPerSample
            pooledLayout = Kernels.ChannelLayout([pooled / Swift.max(f, 1), f], axis: 1)
            sums = .allocate(capacity: 2 * Swift.max(f, 1))
        }

        deinit { sums.deallocate() }
    }

    /// The stage for batches shaped as `x`, or nil where the general step would not fuse the
    /// convolution with its pooling (``Ops/pooledConvGeometry(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``).
    init?(_ front: PooledConvFront, x: Tensor) {
        let conv = front.conv, pool = front.pool
        guard x.rank == type(of: conv).spatialRank + 2, let activation = conv.activationFunction.elementwise,
              let (p, f) = Ops.pooledConvGeometry(x, kernel: front.kernel.storedValue, bias: front.bias?.storedValue,
                                                  strides: conv.strides, padding: conv.padding, dilation: conv.dilationRate,
                                                  activation: activation, poolSize: pool.poolSize, poolStrides: pool.strides,
                                                  poolPadding: pool.padding) else { return nil }
        self.front = front
        geometry = p
        filters = f
        relu = activation == .relu
        width = p.outputsPerSample * f
        let count = p.batch * p.outputsPerSample * f
        self.count = count
        kernelGradient = Tensor.uninitialized(front.kernel.shape)
        biasGradient = front.bias.map { Tensor.uninitialized($0.shape) }
        let pooled = Tensor.uninitialized([count])
        self.pooled = pooled
        argmax = Tensor.uninitialized([(count + 3) / 4])
        let drops = front.dropout.map { $0.rate > 0 } ?? false
        mask = drops ? Tensor.uninitialized([count]) : nil
        dropped = drops ? Tensor.uninitialized([count]) : nil
        pooledGradient = drops ? Tensor.uninitialized([count]) : nil
        norm = front.batchNorm.map { Normalized($0, p, filters: f, pooled: count) }
        output = UnsafePointer(pooled.data)
    }

    /// True when the plan's test steps may run this stage: without a BatchNormalization (in
    /// inference the general step runs the three layers one by one).
    var tests: Bool { norm == nil }

    /// The gradient buffer of `v`, when it is one of the stage's weights.
    func gradient(of v: Variable) -> Tensor? {
        if v === front.kernel { return kernelGradient }
        if let bias = front.bias, v === bias { return biasGradient }
        if let gamma = front.batchNorm?.gamma, v === gamma { return norm?.scaleGradient }
        if let beta = front.batchNorm?.beta, v === beta { return norm?.offsetGradient }
        return nil
    }

    /// The number of the stage's weights with a gradient buffer.
    var weightCount: Int {
        (biasGradient == nil ? 1 : 2) + (norm?.scaleGradient == nil ? 0 : 1) + (norm?.offsetGradient == nil ? 0 : 1)
    }

    /// The stage's output for the batch `x` (in training with the Dropout applied).
    func forward(_ x: UnsafePointer<Float>, training: Bool) -> UnsafePointer<Float> {
        let w = UnsafePointer(front.kernel.storedValue.data), bias = front.bias.map { UnsafePointer($0.storedValue.data) }
        if let norm, let bn = front.batchNorm {
            // As Ops.convBatchNormMaxPool, then the layer's moving-statistics update.
            Kernels.directConv(x, w, bias: bias, geometry.conv, filters: filters, relu: relu, into: norm.convolved.data,
                               moments: (norm.mean.data, norm.variance.data))
            Kernels.batchNormAffine(mean: norm.mean.data, variance: norm.variance.data, epsilon: Float(bn.epsilon),
                                    scale: bn.gamma.map { UnsafePointer($0.storedValue.data) },
                                    offset: bn.beta.map { UnsafePointer($0.storedValue.data) }, channels: filters,
                                    rstd: norm.rstd.data, a: norm.a.data, b: norm.b.data)
            Kernels.affineMaxPool(norm.convolved.data, norm.a.data, norm.b.data, geometry, channels: filters, into: pooled.data,
                                  argmax: UnsafeMutableRawPointer(argmax.data), keeping: norm.kept.data)
            bn.updateMovingStatistics(mean: norm.mean.data, variance: norm.variance.data)
        } else {
            Kernels.directConvMaxPool(x, w, bias: bias, geometry, filters: filters, relu: relu, into: pooled.data,
                                      argmax: UnsafeMutableRawPointer(argmax.data))
        }
        output = UnsafePointer(pooled.data)
        guard training, let dropout = front.dropout, let mask, let dropped else { return output }
        fillDropoutMask(mask.data, count: count, rate: dropout.rate, layerDrawKey(dropout.seedGenerator))
        let p = pooled.data, m = mask.data, d = dropped.data
        for i in 0..<count { d[i] = p[i] * m[i] }
        output = UnsafePointer(d)
        return output
    }

    /// The weight gradients from `upstream`, the gradient of the last ``forward(_:training:)``'s output.
    func backward(_ x: UnsafePointer<Float>, upstream: UnsafePointer<Float>) {
        var up = upstream
        if let mask, let pooledGradient {
            let m = mask.data, g = pooledGradient.data
            for i in 0..<count { g[i] = upstream[i] * m[i] }
            up = UnsafePointer(g)
        }
        guard let norm else {
            Kernels.directConvMaxPoolBackward(x, upstream: up, output: pooled.data, argmax: UnsafeRawPointer(argmax.data),
                                              relu: relu, geometry, filters: filters, kernel: kernelGradient.data,
                                              bias: biasGradient?.data)
            return
        }
        Kernels.channelSums(norm.pooledLayout, up, norm.kept.data, shift: norm.mean.data, into: norm.sums, norm.sums + filters)
        Kernels.batchNormBackward(sums: norm.sums, channels: filters, count: norm.perChannel, a: norm.a.data, mean: norm.mean.data,
                                  rstd: norm.rstd.data, q: norm.q.data, r: norm.r.data, dScale: norm.scaleGradient?.data,
                                  dOffset: norm.offsetGradient?.data)
        Kernels.directConvBatchNormBackward(x, upstream: up, argmax: UnsafeRawPointer(argmax.data), output: norm.convolved.data,
                                            a: norm.a.data, q: norm.q.data, r: norm.r.data, relu: relu, geometry,
                                            filters: filters, kernel: kernelGradient.data, bias: biasGradient?.data)
    }
}
