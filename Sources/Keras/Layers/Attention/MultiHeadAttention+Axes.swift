extension MultiHeadAttention {
    /// Attention over `axes` only (Keras's `attention_axes`, e.g. `[2]` on `[B, A, C, F]`
    /// inputs): the other positional axes act as batch axes, the scores are a softmax over the
    /// key positions of `axes` jointly, and they come out as `[B, others..., heads, axes of the
    /// query..., axes of the value...]` (Keras's einsum layout).
    func attendOverAxes(_ axes: [Int], query: Tensor, value: Tensor, key: Tensor, masks: (Tensor?, Tensor?, Tensor?),
                        attentionMask: Tensor?, useCausalMask: Bool, training: Bool) throws -> (output: Tensor, scores: Tensor) {
        guard let queryDense, let keyDense, let valueDense, let outputDense else {
            throw KerasError.invalidState("MultiHeadAttention '\(name)' is not built")
        }
        let n = query.rank - 2
        let others = (1...n).filter { !axes.contains($0) }
        guard others.allSatisfy({ query.shape[$0] == value.shape[$0] }) else {
            throw KerasError.shapeMismatch("MultiHeadAttention '\(name)': with attention_axes \(axes), query \(query.shape) and value \(value.shape) must be equal on the other axes \(others)")
        }
        // [B, positions..., heads, d] → [B, others..., heads, axes..., d] → [B·others, heads, axes, d]
        let perm = [0] + others + [n + 1] + axes + [n + 2]
        let batch = others.reduce(query.shape[0]) { $0 * query.shape[$1] }
        func heads(_ x: Tensor, _ input: Tensor, _ d: Int) throws -> Tensor {
            try Ops.reshape(Ops.transpose(x, perm), [batch, numHeads, axes.reduce(1) { $0 * input.shape[$1] }, d])
        }
        let q = try heads(Ops.affine(queryDense.callEager(single: query, training: training), scale: 1 / Float(keyDim).squareRoot()), query, keyDim)
        let k = try heads(keyDense.callEager(single: key, training: training), value, keyDim)
        let v = try heads(valueDense.callEager(single: value, training: training), value, valueDim)
        let scoreShape = [query.shape[0]] + others.map { query.shape[$0] } + [numHeads] + axes.map { query.shape[$0] } + axes.map { value.shape[$0] }
        let mask = try axesMask(axes.count, query: query, value: value, masks: masks, attentionMask: attentionMask,
                                useCausalMask: useCausalMask, scoreShape: scoreShape)
        let scores = try Ops.maskedSoftmax(Ops.batchMatmul(q, k, transposeB: true), mask: mask?.viewing(Array(q.shape.dropLast()) + [k.shape[2]]))
        let weights = training && dropout > 0 ? try (dropoutLayer ?? Dropout(dropout, seed: seed)).callEager(single: scores, training: true) : scores
        let permutedShape = perm.map { p in p == n + 2 ? valueDim : p == n + 1 ? numHeads : query.shape[p] }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        var mixed = try Ops.transpose(Ops.reshape(Ops.batchMatmul(weights, v), permutedShape), inverse)
        if let gateDense { mixed = try Ops.multiply(mixed, gateDense.callEager(single: query, training: training)) }
        let output = try outputDense.callEager(single: mixed, training: training)
        return (output, try Ops.reshape(scores, scoreShape))
    }

    /// Keras's mask for attention over `count` axes, broadcast to the scores `[B, others...,
    /// heads, axes of the query..., axes of the value...]`; nil when nothing masks. As Keras's
    /// `_compute_attention_mask` and `_masked_softmax`: the query's Keras mask gains a trailing
    /// axis, the value's and key's one before their last, the causal and sliding-window masks are
    /// `[1, T, S]` over axis 1 of the query and value, all are ANDed with numpy broadcasting with
    /// `attention_mask`, and the result gains unit axes at `-2·count - 1` up to the scores' rank.
    private func axesMask(_ count: Int, query: Tensor, value: Tensor, masks: (Tensor?, Tensor?, Tensor?),
                          attentionMask: Tensor?, useCausalMask: Bool, scoreShape: [Int]) throws -> Tensor? {
        var parts: [Tensor] = []
        if let q = masks.0 { parts.append(q.detached.viewing(q.shape + [1])) }
        for m in [masks.1, masks.2].compactMap({ $0 }) where m.rank >= 1 {
            var shape = m.shape
            shape.insert(1, at: shape.count - 1)
            parts.append(m.detached.viewing(shape))
        }
        if useCausalMask || slidingWindow != nil {
            let t = query.shape[1], s = value.shape[1]
            let band = Tensor(shape: [1, t, s])
            for i in 0..<t {
                for j in 0..<s where (!useCausalMask || j <= i) && (slidingWindow.map { abs(i - j) < $0 } ?? true) {
                    band.data[i * s + j] = 1
                }
            }
            parts.append(band)
        }
        if let attentionMask { parts.append(attentionMask.detached) }
        guard var mask = parts.first else { return nil }
        let who = "MultiHeadAttention '\(name)'"
        for p in parts.dropFirst() {
            guard let shape = Kernels.broadcastShape(mask.shape, p.shape) else {
                throw KerasError.shapeMismatch("\(who): with attention_axes, the masks of shapes \(mask.shape) and \(p.shape) do not broadcast together")
            }
            mask = Kernels.broadcast(mask, p, shape: shape) { a, b in a > 0.5 && b > 0.5 ? 1 : 0 }
        }
        var shape = mask.shape
        while shape.count < scoreShape.count && shape.count >= 2 * count { shape.insert(1, at: shape.count - 2 * count) }
        guard Kernels.broadcastShape(shape, scoreShape) == scoreShape else {
            throw KerasError.shapeMismatch("\(who): the attention mask of shape \(mask.shape) does not broadcast to the attention scores \(scoreShape) (attention_axes)")
        }
        return Kernels.broadcastTo(mask.viewing(shape), scoreShape)
    }
}
