/// A convolution and the max pooling after it, with or without a BatchNormalization between
/// them, run as one fused op (``Ops/convMaxPool(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``,
/// ``Ops/convBatchNormMaxPool(_:kernel:bias:strides:padding:dilation:activation:scale:offset:epsilon:poolSize:poolStrides:poolPadding:)``)
/// when nothing else sees the convolution's output: ``PooledConvFusion`` asks ``fusedLayers(_:)``
/// once per graph, and models ``pooledCall(_:then:)`` or ``normalizedPooledCall(_:_:then:training:)`` on each call.
extension BaseConv {
    /// How many of the layers `next` (those after this one) can run fused with it: 1 for a max
    /// pooling right after it, 2 for a BatchNormalization over the channels then a max pooling,
    /// else 0. This layer must be a channels-last, ungrouped, non-transposed convolution with a
    /// relu or linear activation, the pooling a channels-last max pooling of the same rank whose
    /// windows do not overlap (strides equal to the pool size, `valid` padding).
    func fusedLayers(_ next: ArraySlice<Layer>) -> Int {
        guard !Self.isTransposed, dataFormat == .channelsLast, groups == 1,
              activationFunction.elementwise == .relu || activationFunction.elementwise == .linear,
              let first = next.first else { return 0 }
        if fusesMaxPool(first) { return 1 }
        guard let bn = first as? BatchNormalization, bn.axis == -1 || bn.axis == Self.spatialRank + 1,
              next.count >= 2, fusesMaxPool(next[next.startIndex + 1]) else { return 0 }
        return 2
    }

    private func fusesMaxPool(_ layer: Layer) -> Bool {
        guard let pool = layer as? BasePooling, type(of: pool).takesMaximum, type(of: pool).spatialRank == Self.spatialRank,
              pool.dataFormat == .channelsLast, pool.padding == .valid, pool.strides == pool.poolSize else { return false }
        return true
    }

    /// The output of this layer and then `next` (a max pooling, ``fusedLayers(_:)`` 1) on `x`
    /// through the fused op, or nil where it does not apply (the caller then runs the two
    /// layers): a layer not yet built, an activity regularizer, an input of the wrong rank, or
    /// what the op declines.
    func pooledCall(_ x: Tensor, then next: Layer) -> Tensor? {
        guard let pool = fusablePooling(x, next), let kernel, let activation = activationFunction.elementwise else { return nil }
        return Ops.convMaxPool(x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding,
                               dilation: dilationRate, activation: activation, poolSize: pool.poolSize,
                               poolStrides: pool.strides, poolPadding: pool.padding)
    }

    /// The output of this layer, `bn` in training and `next` (``fusedLayers(_:)`` 2) on `x`
    /// through the fused op, updating `bn`'s moving statistics; nil where it does not apply
    /// (as ``pooledCall(_:then:)``, and when `bn` runs in inference mode or is not built).
    func normalizedPooledCall(_ x: Tensor, _ bn: BatchNormalization, then next: Layer, training: Bool) -> Tensor? {
        guard bn.built, bn.effectiveTraining(training), bn.activityRegularizer == nil, bn.movingMean?.shape == [filters],
              let pool = fusablePooling(x, next), let kernel, let activation = activationFunction.elementwise,
              let (out, mean, variance) = Ops.convBatchNormMaxPool(
                  x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding, dilation: dilationRate,
                  activation: activation, scale: bn.gamma?.value, offset: bn.beta?.value, epsilon: Float(bn.epsilon),
                  poolSize: pool.poolSize, poolStrides: pool.strides, poolPadding: pool.padding) else { return nil }
        bn.updateMovingStatistics(mean: mean, variance: variance)
        return out
    }

    /// `next` as the max pooling to fuse with on `x`, when both layers are ready for it.
    private func fusablePooling(_ x: Tensor, _ next: Layer) -> BasePooling? {
        guard built, let pool = next as? BasePooling, pool.built, activityRegularizer == nil,
              pool.activityRegularizer == nil, x.rank == Self.spatialRank + 2 else { return nil }
        return pool
    }
}
