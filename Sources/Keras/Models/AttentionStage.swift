import CHDF5Shim

/// The first layers of a functional chain (``Model/planChain(_:inputs:outputs:)``) that a
/// ``StepPlan`` runs before its Dense stack: a `MultiHeadAttention` called as a self-attention on
/// the model's input (`mha([x, x])`: the general step's fused path, its three projections one
/// product, ``Ops/dotProductAttention(packed:heads:keyDim:valueDim:scale:mask:)``) with no mask,
/// no dropout, no gate, no attention scores returned and its default attention axis, then a
/// channels-last `GlobalAveragePooling1D` (mha_epoch's model up to its Dense layer).
struct AttentionFront: PlanFront {
    let attention: MultiHeadAttention
    let pool: GlobalAveragePooling1D
    /// The query, key, value and output projections.
    let projections: [EinsumDense]
    /// Their weights (kernel, then bias if the layer has biases), as read.
    let weights: [Variable]

    var layerCount: Int { 2 }

    /// The front of `layers`, or nil when they do not start with one (or are not built).
    init?(_ layers: [Layer]) {
        guard layers.count > 2, let mha = layers[0] as? MultiHeadAttention, mha.built, mha.builtAxes == [1], mha.keyValueHeads == mha.numHeads,
              let pool = layers[1] as? GlobalAveragePooling1D, pool.dataFormat == .channelsLast, !pool.keepdims,
              mha.dropout == 0, !mha.useGate, !mha.useCausalMask, !mha.returnAttentionScores, mha.slidingWindow == nil,
              mha.activityRegularizer == nil, pool.activityRegularizer == nil,
              let q = mha.queryDense, let k = mha.keyDense, let v = mha.valueDense, let o = mha.outputDense else { return nil }
        var weights: [Variable] = []
        for dense in [q, k, v, o] {
            guard (try? dense.denseOperands()) != nil, let kernel = dense.kernel, mha.useBias == (dense.bias != nil) else { return nil }
            weights.append(kernel)
            if let bias = dense.bias { weights.append(bias) }
        }
        attention = mha
        self.pool = pool
        projections = [q, k, v, o]
        self.weights = weights
    }

    /// The weights of projection `i` in ``weights``: the index of its kernel, and of its bias or -1.
    func weightIndex(_ i: Int) -> (kernel: Int, bias: Int) {
        attention.useBias ? (2 * i, 2 * i + 1) : (i, -1)
    }

    /// True while the projections hold the front's weights.
    func matches() -> Bool {
        for i in 0..<projections.count {
            let w = weightIndex(i), p = projections[i]
            guard p.kernel === weights[w.kernel], w.bias < 0 ? p.bias == nil : p.bias === weights[w.bias] else { return false }
        }
        return attention.queryDense === projections[0] && attention.keyDense === projections[1]
            && attention.valueDense === projections[2] && attention.outputDense === projections[3]
    }

    /// Trainable weights, no regularizer (activity or weight) on the layer or its projections.
    var isPlain: Bool {
        guard attention.trainable, attention.kernelRegularizer == nil, attention.biasRegularizer == nil,
              attention.weightRegularizers.isEmpty else { return false }
        for i in 0..<projections.count {
            let d = projections[i]
            guard d.trainable, d.weightRegularizers.isEmpty, d.activityRegularizer == nil else { return false }
        }
        for i in 0..<weights.count where !weights[i].trainable { return false }
        return true
    }

    func stage(for x: Tensor) -> PlanFrontStage? {
        guard x.rank == 3, x.shape[1] > 0 else { return nil }
        guard let a = SelfAttentionStage(self, batch: x.shape[0], steps: x.shape[1], features: x.shape[2]) else { return nil }
        return AttentionFrontStage(a, GlobalAveragePoolingStage(rows: x.shape[0], steps: x.shape[1], channels: a.width))
    }
}

/// A ``AttentionFront`` in a ``StepPlan``: its ``SelfAttentionStage`` then its
/// ``GlobalAveragePoolingStage``.
final class AttentionFrontStage: PlanFrontStage {
    let attention: SelfAttentionStage
    let pool: GlobalAveragePoolingStage

    init(_ attention: SelfAttentionStage, _ pool: GlobalAveragePoolingStage) {
        self.attention = attention
        self.pool = pool
    }

    var width: Int { attention.width }
    var output: UnsafePointer<Float> { UnsafePointer(pool.output.data) }
    var tests: Bool { true }
    var weightCount: Int { attention.gradients.count }
    func gradient(of v: Variable) -> Tensor? { attention.gradient(of: v) }

    func forward(_ x: UnsafePointer<Float>, training: Bool) -> UnsafePointer<Float> {
        pool.forward(attention.forward(x))
        return output
    }

    func backward(_ x: UnsafePointer<Float>, upstream: UnsafePointer<Float>) {
        pool.backward(upstream, into: attention.outputGradient.data)
        attention.backward(x, upstream: UnsafePointer(attention.outputGradient.data), rowsRepeat: true)
    }
}

/// A self-attention `MultiHeadAttention` in a ``StepPlan`` for batches of `[batch, steps,
/// features]`: the general step's fused path on buffers kept from step to step — the three
/// projections as one product with their kernels (and biases) side by side (as
/// `packedProjections` joins them, copied each step), ``Kernels/dotProductAttention(_:q:k:v:mask:scale:probs:out:scratch:native:)``
/// reading them in place, the output projection; backward the same kernels as `Ops.dense`'s and
/// `Ops.dotProductAttention`'s VJPs, the joined kernel's gradient split as the concatenation's
/// VJP splits it — so that the step's values are the general step's bit for bit.
final class SelfAttentionStage {
    let front: AttentionFront
    /// Floats per position of the output.
    let width: Int
    private let dims: AttentionDims
    private let rows: Int, features: Int, packedWidth: Int, mixedWidth: Int
    private let scale: Float
    /// The joined projection's kernel `[features, packedWidth]` and bias, their gradients.
    private let packedKernel: Tensor, packedBias: Tensor?
    private let packedKernelGradient: Tensor, packedBiasGradient: Tensor?
    /// The projections `[rows, packedWidth]`, the probabilities, the heads' output `[rows, mixedWidth]`,
    /// the output `[rows, width]`, and their gradients.
    private let packed: Tensor, probabilities: Tensor, mixed: Tensor
    let output: Tensor
    private let packedGradient: Tensor, mixedGradient: Tensor
    let outputGradient: Tensor
    /// The kernels' scratch, per part of the pairs.
    private let forwardScratch: UnsafeMutablePointer<Float>, backwardScratch: UnsafeMutablePointer<Float>
    /// The output projection's kernel transposed, `[width, mixedWidth]`, for its input gradient
    /// from one row per sequence (``backward(_:upstream:rowsRepeat:)``).
    private let outputKernelTransposed: Tensor
    /// The gradients of ``AttentionFront/weights``, in its order.
    let gradients: [Tensor]

    init?(_ front: AttentionFront, batch: Int, steps: Int, features: Int) {
        let mha = front.attention
        guard let q = mha.queryDense, let k = mha.keyDense, let v = mha.valueDense, let o = mha.outputDense,
              let qk = q.kernel, let kk = k.kernel, let vk = v.kernel, let ok = o.kernel,
              qk.storedValue.count == features * mha.numHeads * mha.keyDim, kk.storedValue.count == qk.storedValue.count,
              vk.storedValue.count == features * mha.numHeads * mha.valueDim,
              let operands = try? o.denseOperands(), operands.kernel.shape[0] == mha.numHeads * mha.valueDim,
              ok.storedValue.count == operands.kernel.count else { return nil }
        self.front = front
        let heads = mha.numHeads
        rows = batch * steps
        self.features = features
        packedWidth = heads * (2 * mha.keyDim + mha.valueDim)
        mixedWidth = heads * mha.valueDim
        width = operands.kernel.shape[1]
        scale = 1 / Float(mha.keyDim).squareRoot()
        dims = AttentionDims(batch: batch, heads: heads, t: steps, s: steps, dk: mha.keyDim, dv: mha.valueDim,
                             rows: (packedWidth, packedWidth, packedWidth))
        packedKernel = Tensor.uninitialized([features, packedWidth])
        packedKernelGradient = Tensor.uninitialized([features, packedWidth])
        packedBias = mha.useBias ? Tensor.uninitialized([packedWidth]) : nil
        packedBiasGradient = mha.useBias ? Tensor.uninitialized([packedWidth]) : nil
        packed = Tensor.uninitialized([rows, packedWidth])
        packedGradient = Tensor.uninitialized([rows, packedWidth])
        probabilities = Tensor.uninitialized([batch, heads, steps, steps])
        mixed = Tensor.uninitialized([rows, mixedWidth])
        mixedGradient = Tensor.uninitialized([rows, mixedWidth])
        output = Tensor.uninitialized([rows, width])
        outputGradient = Tensor.uninitialized([rows, width])
        let parts = Kernels.attentionScratchParts(dims)
        forwardScratch = .allocate(capacity: Swift.max(1, parts * Kernels.attentionScratch(dims, backward: false)))
        backwardScratch = .allocate(capacity: Swift.max(1, parts * Kernels.attentionScratch(dims, backward: true)))
        outputKernelTransposed = Tensor.uninitialized([width, mixedWidth])
        gradients = front.weights.map { Tensor.uninitialized($0.shape) }
    }

    deinit {
        forwardScratch.deallocate()
        backwardScratch.deallocate()
    }

    /// The gradient buffer of `v`, when it is one of the layer's weights.
    func gradient(of v: Variable) -> Tensor? {
        for i in 0..<front.weights.count where front.weights[i] === v { return gradients[i] }
        return nil
    }

    /// Projection `i` (query, key, value, output): its kernel, bias and the index of its kernel's
    /// gradient; for the first three, their columns in the joined kernel (offset and width).
    private func projection(_ i: Int) -> (kernel: Variable, bias: Variable?, gradient: Int, offset: Int, width: Int) {
        let w = front.weightIndex(i), qk = dims.heads * dims.dk
        return (front.weights[w.kernel], w.bias < 0 ? nil : front.weights[w.bias], w.kernel, i * qk, i == 2 ? mixedWidth : qk)
    }

    /// The layer's output `[rows, width]` for the batch `x` `[rows, features]`.
    func forward(_ x: UnsafePointer<Float>) -> UnsafeMutablePointer<Float> {
        // The kernels side by side (`concatenate(axis: 1)`), then the biases.
        let f = features, n = packedWidth, pk = packedKernel.data
        for i in 0..<3 {
            let p = projection(i), src = p.kernel.storedValue.data
            for r in 0..<f { (pk + r * n + p.offset).update(from: src + r * p.width, count: p.width) }
            if let pb = packedBias?.data, let b = p.bias { (pb + p.offset).update(from: b.storedValue.data, count: p.width) }
        }
        Kernels.dense(x, kernel: pk, bias: packedBias.map { UnsafePointer($0.data) }, into: packed.data, rows: rows,
                      inputs: f, units: n, activation: .linear)
        let qkv = UnsafePointer(packed.data), d = dims
        Kernels.dotProductAttention(d, q: qkv, k: qkv + d.heads * d.dk, v: qkv + 2 * d.heads * d.dk, mask: nil, scale: scale,
                                    probs: probabilities.data, out: mixed.data, scratch: forwardScratch)
        let out = projection(3)
        Kernels.dense(mixed.data, kernel: out.kernel.storedValue.data, bias: out.bias.map { UnsafePointer($0.storedValue.data) },
                      into: output.data, rows: rows, inputs: mixedWidth, units: width, activation: .linear)
        return output.data
    }

    /// The weights' gradients from `upstream`, the gradient of the last ``forward(_:)``'s output.
    /// `rowsRepeat`: the rows of `upstream` are the same at every step of a sequence (a
    /// `GlobalAveragePooling1D` follows), so where the output projection's input gradient runs in
    /// place (each element one FMA chain, whatever its row) it and the attention's `dOut · vᵀ`
    /// compute one row per sequence (or pair) and copy it, with the bits of the whole products:
    /// 16.8 of mha_epoch's 126 million multiply-adds a step.
    func backward(_ x: UnsafePointer<Float>, upstream: UnsafePointer<Float>, rowsRepeat: Bool = false) {
        let out = projection(3), d = dims
        // The input gradient `upstream · kernelᵀ` as `denseBackward` computes it in place (on the
        // kernel transposed), for the first row of each sequence.
        let oneRow = rowsRepeat && d.t > 1 && Kernels.transposesKernel(rows: rows, inputs: mixedWidth, units: width)
        Kernels.denseBackward(x: mixed.data, kernel: out.kernel.storedValue.data, output: output.data, upstream: upstream,
                              activation: .linear, dz: nil, kernelGradient: gradients[out.gradient].data,
                              biasGradient: out.bias == nil ? nil : gradients[out.gradient + 1].data,
                              inputGradient: oneRow ? nil : mixedGradient.data, rows: rows, inputs: mixedWidth, units: width)
        if oneRow {
            let kt = outputKernelTransposed.data, dm = mixedGradient.data, mw = mixedWidth, seq = d.t * mw
            sk_transpose(mw, width, out.kernel.storedValue.data, width, kt)
            sk_gemm_strided(d.batch, mw, width, 1, upstream, d.t * width, 1, kt, mw, dm, seq, 0)
            for b in 0..<d.batch {
                let first = dm + b * seq
                for t in 1..<d.t { (first + t * mw).update(from: first, count: mw) }
            }
        }
        let qkv = UnsafePointer(packed.data), g = packedGradient.data, kOffset = d.heads * d.dk
        Kernels.dotProductAttentionBackward(d, q: qkv, k: qkv + kOffset, v: qkv + 2 * kOffset, probs: probabilities.data,
                                            scale: scale, dOut: UnsafePointer(mixedGradient.data), dProbs: nil, dq: g,
                                            dk: g + kOffset, dv: g + 2 * kOffset, scratch: backwardScratch,
                                            dOutRowsRepeat: oneRow)
        Kernels.denseBackward(x: x, kernel: packedKernel.data, output: packed.data, upstream: g, activation: .linear, dz: nil,
                              kernelGradient: packedKernelGradient.data, biasGradient: packedBiasGradient?.data,
                              inputGradient: nil, rows: rows, inputs: features, units: packedWidth)
        // The concatenation's VJP: each projection's columns.
        let f = features, n = packedWidth, pk = UnsafePointer(packedKernelGradient.data)
        for i in 0..<3 {
            let p = projection(i), dst = gradients[p.gradient].data
            for r in 0..<f { (dst + r * p.width).update(from: pk + r * n + p.offset, count: p.width) }
            if let pb = packedBiasGradient?.data, p.bias != nil {
                gradients[p.gradient + 1].data.update(from: pb + p.offset, count: p.width)
            }
        }
    }
}

/// A channels-last `GlobalAveragePooling1D` without a mask in a ``StepPlan``: `Ops.mean` over the
/// steps as the general step runs it (`Kernels.sumToShape`'s sum from zero in step order, then
/// `· (1 / steps) + 0`), and its VJP (`g · (1 / steps)` broadcast over the steps).
final class GlobalAveragePoolingStage {
    private let rows: Int, steps: Int, channels: Int
    let output: Tensor

    init(rows: Int, steps: Int, channels: Int) {
        self.rows = rows
        self.steps = steps
        self.channels = channels
        output = Tensor.uninitialized([rows, channels])
    }

    /// Averages `x` `[rows, steps, channels]` over the steps into ``output``.
    func forward(_ x: UnsafePointer<Float>) {
        let c = channels, y = output.data, scale = 1 / Float(steps)
        y.initialize(repeating: 0, count: rows * c)
        for b in 0..<rows {
            let d = y + b * c
            for t in 0..<steps {
                let s = x + (b * steps + t) * c
                for j in 0..<c { d[j] += s[j] }
            }
            for j in 0..<c { d[j] = d[j] * scale + 0 }
        }
    }

    /// The gradient of the input `[rows, steps, channels]` from `g`, the output's.
    func backward(_ g: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let c = channels, scale = 1 / Float(steps)
        for b in 0..<rows {
            let first = dx + b * steps * c
            for j in 0..<c { first[j] = g[b * c + j] * scale }
            for t in 1..<Swift.max(steps, 1) { (first + t * c).update(from: first, count: c) }
        }
    }
}
