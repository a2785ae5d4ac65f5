extension MultiHeadAttention {
    /// Attention over `axes` only (Keras's `attention_axes`, e.g. `[2]` on `[B, A, C, F]`
    /// inputs): the other positional axes act as batch axes, the scores are a softmax over the
    /// key positions of `axes` jointly, and they come out as `[B, others..., heads, axes of the
    /// query..., axes of the value...]` (Keras's einsum layout).
    func attendOverAxes(_ axes: [Int], query: Tensor, value: Tensor, key: Tensor,
                        training: Bool) throws -> (output: Tensor, scores: Tensor) {
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
        let scores = try Ops.maskedSoftmax(Ops.batchMatmul(q, k, transposeB: true), mask: nil)
        let weights = training && dropout > 0 ? try (dropoutLayer ?? Dropout(dropout, seed: seed)).callEager(single: scores, training: true) : scores
        let permutedShape = perm.map { p in p == n + 2 ? valueDim : p == n + 1 ? numHeads : query.shape[p] }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        var mixed = try Ops.transpose(Ops.reshape(Ops.batchMatmul(weights, v), permutedShape), inverse)
        if let gateDense { mixed = try Ops.multiply(mixed, gateDense.callEager(single: query, training: training)) }
        let output = try outputDense.callEager(single: mixed, training: training)
        let scoreShape = [query.shape[0]] + others.map { query.shape[$0] } + [numHeads] + axes.map { query.shape[$0] } + axes.map { value.shape[$0] }
        return (output, try Ops.reshape(scores, scoreShape))
    }
}
