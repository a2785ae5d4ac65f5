/// A layer computing `x · kernel + bias` per output channel, the kernel's last axis being the
/// output channels (Dense, a convolution), into which a BatchNormalization after it can fold.
protocol BatchNormalizationFoldable: Layer {
    var kernel: Variable? { get }
    var bias: Variable? { get }
    /// The axis of the output channels in an output of `rank`; nil when the layer cannot fold
    /// (an activation, a transposed convolution).
    func foldableChannelAxis(rank: Int) -> Int?
    /// The layer's output with `kernel` and `bias` in place of its weights.
    func linearCall(_ x: Tensor, kernel: Tensor, bias: Tensor?) throws -> Tensor
}

/// One BatchNormalization folded into the Dense or convolution before it: at inference the pair
/// runs as that layer with the kernel's output channels scaled by `s = gamma / √(moving_variance + ε)`
/// and the bias `(bias − moving_mean) · s + beta`. The folded weights are computed on first use
/// and again whenever one of the six weights they come from was written (``Variable/version``).
final class FoldedBatchNormalization {
    let layer: BatchNormalizationFoldable
    let bn: BatchNormalization
    /// The graph nodes of the two calls.
    let layerNode: ObjectIdentifier, bnNode: ObjectIdentifier
    private var stamp: [(ObjectIdentifier, UInt64)] = []
    private var kernel: Tensor?, bias: Tensor?

    init(layer: BatchNormalizationFoldable, bn: BatchNormalization, layerNode: ObjectIdentifier, bnNode: ObjectIdentifier) {
        self.layer = layer
        self.bn = bn
        self.layerNode = layerNode
        self.bnNode = bnNode
    }

    /// Whether the folded weights are computed (for tests).
    var isComputed: Bool { kernel != nil }

    /// The pair's output for the layer's input `x`; nil when the weights no longer fit (the
    /// caller then runs both layers).
    func call(_ x: Tensor) throws -> Tensor? {
        guard let (k, b) = foldedWeights() else { return nil }
        return try layer.linearCall(x, kernel: k, bias: b)
    }

    private func foldedWeights() -> (Tensor, Tensor)? {
        guard let kernel = layer.kernel, let mean = bn.movingMean, let variance = bn.movingVariance else { return nil }
        let sources = [kernel, layer.bias, bn.gamma, bn.beta, mean, variance]
        let current = sources.map { v in v.map { (ObjectIdentifier($0), $0.version) } ?? (ObjectIdentifier(self), 0) }
        if let k = self.kernel, let b = self.bias, current.elementsEqual(stamp, by: { $0 == $1 }) { return (k, b) }
        let c = mean.shape.first ?? 0
        guard c > 0, kernel.shape.last == c, variance.shape == [c], layer.bias.map({ $0.shape == [c] }) ?? true else { return nil }
        let gamma = bn.gamma?.storedValue.data, beta = bn.beta?.storedValue.data
        let m = mean.storedValue.data, v = variance.storedValue.data, eps = Float(bn.epsilon)
        let s = Tensor.uninitialized([c]), newBias = Tensor.uninitialized([c])
        for i in 0..<c {
            s.data[i] = (gamma?[i] ?? 1) / (v[i] + eps).squareRoot()
            newBias.data[i] = ((layer.bias?.storedValue.data[i] ?? 0) - m[i]) * s.data[i] + (beta?[i] ?? 0)
        }
        let k = kernel.storedValue, newKernel = Tensor.uninitialized(k.shape)
        for j in 0..<k.count { newKernel.data[j] = k.data[j] * s.data[j % c] }
        self.kernel = newKernel
        self.bias = newBias
        stamp = current
        return (newKernel, newBias)
    }
}

/// The BatchNormalizations of a model's graph that fold into the layer before them at inference:
/// those whose only input is the output of a ``BatchNormalizationFoldable`` layer, that output
/// feeding nothing else (no other layer, not a model output), the normalized axis being that
/// layer's output channels. A Dense or convolution with an activation does not fold.
final class InferenceFolding {
    /// The folds by the graph node of the layer before the BatchNormalization.
    private(set) var byLayerNode: [ObjectIdentifier: FoldedBatchNormalization] = [:]
    /// The folds by the layer before the BatchNormalization (Sequential, where each layer runs once).
    private(set) var byLayer: [ObjectIdentifier: FoldedBatchNormalization] = [:]

    var isEmpty: Bool { byLayerNode.isEmpty }

    init(order: [GraphNode], outputs: [KerasTensor]) {
        var consumers: [ObjectIdentifier: Int] = [:]
        for n in order { for t in n.inputs { if let p = t.node { consumers[ObjectIdentifier(p), default: 0] += 1 } } }
        for t in outputs { if let p = t.node { consumers[ObjectIdentifier(p), default: 0] += 1 } }
        for n in order {
            guard let bn = n.layer as? BatchNormalization, bn.built, n.inputs.count == 1, n.inputs[0].tensorIndex == 0,
                  let p = n.inputs[0].node, consumers[ObjectIdentifier(p)] == 1,
                  let layer = p.layer as? BatchNormalizationFoldable, p.outputShapes.count == 1,
                  // A test step collects activity penalties from each layer's own output.
                  bn.activityRegularizer == nil, p.layer.activityRegularizer == nil else { continue }
            let rank = p.outputShape.count
            guard let channelAxis = layer.foldableChannelAxis(rank: rank), (bn.axis < 0 ? bn.axis + rank : bn.axis) == channelAxis else { continue }
            let fold = FoldedBatchNormalization(layer: layer, bn: bn, layerNode: ObjectIdentifier(p), bnNode: ObjectIdentifier(n))
            byLayerNode[fold.layerNode] = fold
            byLayer[ObjectIdentifier(layer)] = fold
        }
    }
}

extension Model {
    /// The folds to use for a forward pass: nil in training or while a tape records (the
    /// gradients need both layers), else the graph's folds, found once per graph.
    /// A graph without folds (every MLP) answers from the cache before asking for the tape, a
    /// thread-local lookup that costs a quarter of a one-row predict.
    func inferenceFolds(training: Bool) -> InferenceFolding? {
        guard !training else { return nil }
        let folds: InferenceFolding
        if let cached = inferenceFolding {
            folds = cached
        } else {
            folds = InferenceFolding(order: executionOrder, outputs: outputs)
            inferenceFolding = folds
        }
        guard !folds.isEmpty, GradientTape.active == nil else { return nil }
        return folds
    }
}

extension Dense: BatchNormalizationFoldable {
    func foldableChannelAxis(rank: Int) -> Int? { activationFunction == .linear ? rank - 1 : nil }

    func linearCall(_ x: Tensor, kernel: Tensor, bias: Tensor?) throws -> Tensor {
        try Ops.dense(x, kernel: kernel, bias: bias)
    }
}

extension BaseConv: BatchNormalizationFoldable {
    func foldableChannelAxis(rank: Int) -> Int? {
        guard !Self.isTransposed, activationFunction == .linear else { return nil }
        return dataFormat == .channelsFirst ? 1 : rank - 1
    }

    func linearCall(_ x: Tensor, kernel: Tensor, bias: Tensor?) throws -> Tensor {
        try convolve(x, kernel: kernel, bias: bias)
    }
}
