extension Ops {
    /// Per-sample categorical cross-entropy over `axis`, as Keras computes it: probabilities
    /// are renormalised and clipped to `[ε, 1 - ε]`. A softmax output (which carries its logits)
    /// takes the fused op, ``softmaxCrossentropy(_:logits:)``'s path.
    public static func categoricalCrossentropy(_ yTrue: Tensor, _ yPred: Tensor, fromLogits: Bool = false,
                                               axis: Int = -1) throws -> Tensor {
        guard yTrue.shape == yPred.shape, yPred.shape.last != nil else {
            throw KerasError.shapeMismatch("categorical_crossentropy: targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
        }
        let a = try normalizedAxis("categorical_crossentropy", axis, rank: yPred.rank)
        if fromLogits {
            return try negative(sum(yTrue * logSoftmax(yPred, axis: a), axis: a))
        }
        if a == yPred.rank - 1, let tape = softmaxLogitsTape(yPred) {
            return softmaxCrossentropy(yTrue.detached, probabilities: yPred, logits: yPred.logitsNode, tape: tape)
        }
        let normalized = try yPred / sum(yPred, axis: a, keepDims: true)
        let clipped = clip(normalized, kerasEpsilon, 1 - kerasEpsilon)
        return try negative(sum(yTrue * log(clipped), axis: a))
    }

    /// Cross-entropy of `softmax(logits)` over the last axis against `yTrue` (one-hot or soft
    /// targets), as Keras computes it for a softmax output (probabilities clipped to
    /// `[ε, 1 - ε]`), with the fused gradient `softmax(logits) Σy - y` into the logits: one op,
    /// no softmax Jacobian.
    public static func softmaxCrossentropy(_ yTrue: Tensor, logits: Tensor) throws -> Tensor {
        guard yTrue.shape == logits.shape, let k = logits.shape.last, k > 0 else {
            throw KerasError.shapeMismatch("softmaxCrossentropy: targets of shape \(yTrue.shape) do not match logits of shape \(logits.shape)")
        }
        let p = Tensor.uninitialized(logits.shape)
        Kernels.softmaxRows(logits.data, p.data, rows: logits.count / k, cols: k)
        return softmaxCrossentropy(yTrue.detached, probabilities: p, logits: logits.node, tape: recording(logits))
    }

    /// The tape on which `p` is a softmax output whose logits are recorded, if any.
    static func softmaxLogitsTape(_ p: Tensor) -> GradientTape? {
        guard p.logitsNode >= 0, let tape = recording(p) else { return nil }
        return tape
    }

    /// The fused node: values from the probabilities `p = softmax(logits)`, gradient into the
    /// logits' tape node. The backward reads `y` and `p` through the tensors, keeping them alive.
    static func softmaxCrossentropy(_ y: Tensor, probabilities p: Tensor, logits: Int32, tape: GradientTape?) -> Tensor {
        let k = p.shape.last ?? 1, rows = p.count / Swift.max(k, 1)
        let out = Tensor.uninitialized(Array(p.shape.dropLast()))
        Kernels.crossentropyRows(y.data, p.data, into: out.data, rows: rows, classes: k)
        guard let tape else { return out }
        return tape.record(out) { g, t in
            let dz = Tensor.uninitialized(p.shape)
            Kernels.softmaxCrossentropyBackward(y.data, p.data, upstream: g.data, into: dz.data, rows: rows, classes: k)
            t.accumulate(node: logits, dz)
        }
    }

    /// Sparse cross-entropy of rows of class probabilities `p` against checked integer labels,
    /// 0 where `mask` is 0. A softmax output on the tape takes the fused path (gradient
    /// `p - onehot` into its logits); with no tape, the values alone (renormalised as Keras does);
    /// nil otherwise (the caller takes the one-hot path).
    static func sparseCrossentropy(_ labels: Tensor, probabilities p: Tensor, classes k: Int, mask: Tensor?) -> Tensor? {
        let tape = softmaxLogitsTape(p)
        guard tape != nil || recording(p) == nil else { return nil }
        let rows = p.count / k
        let out = Tensor.uninitialized(Array(p.shape.dropLast()))
        Kernels.sparseCrossentropyRows(labels.data, p.data, mask: mask.map { UnsafePointer($0.data) }, into: out.data,
                                       rows: rows, classes: k, renormalize: tape == nil)
        guard let tape else { return out }
        let logits = p.logitsNode
        return tape.record(out) { g, t in
            let dz = Tensor.uninitialized(p.shape)
            Kernels.sparseSoftmaxCrossentropyBackward(labels.data, p.data, mask: mask.map { UnsafePointer($0.data) },
                                                      upstream: g.data, into: dz.data, rows: rows, classes: k)
            t.accumulate(node: logits, dz)
        }
    }
}
