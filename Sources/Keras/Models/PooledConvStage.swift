/// The first layers of a `Sequential` image model that a ``StepPlan`` runs before its Dense
/// stack: a channels-last convolution that the general step runs fused with the max pooling
/// after it (``PooledConvFusion`` without a BatchNormalization, ``Ops/convMaxPool(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``),
/// a channels-last `Flatten`, and optionally a `Dropout` over the whole input: the MNIST convnet
/// of keras.io up to its first Dense layer, when it has one convolution.
struct PooledConvFront {
    let conv: BaseConv
    let pool: BasePooling
    let flatten: Flatten
    let dropout: Dropout?
    let kernel: Variable
    let bias: Variable?

    /// The number of the model's layers it covers.
    var layerCount: Int { dropout == nil ? 3 : 4 }

    /// The front of `layers`, or nil when they do not start with one (or are not built).
    init?(_ layers: [Layer]) {
        guard layers.count > 3, let conv = layers[0] as? BaseConv, conv.built, conv.fusedLayers(layers[1...]) == 1,
              let pool = layers[1] as? BasePooling, pool.built, let flatten = layers[2] as? Flatten,
              flatten.dataFormat == .channelsLast, let kernel = conv.kernel, conv.useBias == (conv.bias != nil),
              conv.activationFunction.elementwise != nil else { return nil }
        self.conv = conv
        self.pool = pool
        self.flatten = flatten
        dropout = (layers[3] as? Dropout).flatMap { $0.noiseShape == nil ? $0 : nil }
        self.kernel = kernel
        bias = conv.bias
    }

    /// True while the convolution still holds the front's weights.
    func matches() -> Bool { conv.kernel === kernel && conv.bias === bias }

    /// True when every layer of the front trains as the plan does: trainable weights, no
    /// regularizer (activity or weight).
    var isPlain: Bool {
        guard conv.trainable, kernel.trainable, bias?.trainable ?? true, conv.weightRegularizers.isEmpty,
              conv.activityRegularizer == nil, pool.activityRegularizer == nil, flatten.activityRegularizer == nil,
              dropout?.activityRegularizer == nil else { return false }
        return true
    }
}

/// A ``PooledConvFront`` in a ``StepPlan`` for batches of one shape: the fused convolution and
/// max pooling of `Ops.convMaxPool` and its kernel and bias gradients from the pooled gradient
/// (``Kernels/directConvMaxPool(_:_:bias:_:filters:relu:into:argmax:)`` and its backward), and
/// the dropout mask drawn as `Dropout` draws it (from the same generator, in the same order)
/// then applied as `Ops.multiply` applies it, on buffers kept from step to step, so that the
/// step's values are the general step's bit for bit.
final class PooledConvStage {
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
    /// The last ``forward(_:training:)``'s output.
    private(set) var output: UnsafePointer<Float>

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
        output = UnsafePointer(pooled.data)
    }

    /// The gradient buffer of `v`, when it is one of the stage's weights.
    func gradient(of v: Variable) -> Tensor? {
        if v === front.kernel { return kernelGradient }
        if let bias = front.bias, v === bias { return biasGradient }
        return nil
    }

    /// The stage's output for the batch `x` (in training with the Dropout applied).
    func forward(_ x: UnsafePointer<Float>, training: Bool) -> UnsafePointer<Float> {
        Kernels.directConvMaxPool(x, front.kernel.storedValue.data, bias: front.bias.map { UnsafePointer($0.storedValue.data) },
                                  geometry, filters: filters, relu: relu, into: pooled.data,
                                  argmax: UnsafeMutableRawPointer(argmax.data))
        output = UnsafePointer(pooled.data)
        guard training, let dropout = front.dropout, let mask, let dropped else { return output }
        fillDropoutMask(mask.data, count: count, rate: dropout.rate, dropout.generator ?? RandomGenerator.current)
        let p = pooled.data, m = mask.data, d = dropped.data
        for i in 0..<count { d[i] = p[i] * m[i] }
        output = UnsafePointer(d)
        return output
    }

    /// The kernel and bias gradients from `upstream`, the gradient of the last ``forward(_:training:)``'s output.
    func backward(_ x: UnsafePointer<Float>, upstream: UnsafePointer<Float>) {
        var up = upstream
        if let mask, let pooledGradient {
            let m = mask.data, g = pooledGradient.data
            for i in 0..<count { g[i] = upstream[i] * m[i] }
            up = UnsafePointer(g)
        }
        Kernels.directConvMaxPoolBackward(x, upstream: up, output: pooled.data, argmax: UnsafeRawPointer(argmax.data),
                                          relu: relu, geometry, filters: filters, kernel: kernelGradient.data,
                                          bias: biasGradient?.data)
    }
}
