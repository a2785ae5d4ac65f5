extension Ops {
    /// Batched matrix product over the leading axes: `a` is `[batch..., m, k]` (or
    /// `[batch..., k, m]` with `transposeA`), `b` is `[batch..., k, n]` (or `[batch..., n, k]`
    /// with `transposeB`), with equal batch axes. Keras: `ops.matmul` on stacks of matrices,
    /// with `ops.swapaxes` folded into the product.
    public static func batchMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard a.rank >= 2, a.rank == b.rank, a.shape.dropLast(2) == b.shape.dropLast(2) else {
            throw KerasError.shapeMismatch("batchMatmul: cannot multiply stacks of shapes \(a.shape) and \(b.shape)")
        }
        let r = a.rank
        let (m, ka) = transposeA ? (a.shape[r - 1], a.shape[r - 2]) : (a.shape[r - 2], a.shape[r - 1])
        let (kb, n) = transposeB ? (b.shape[r - 1], b.shape[r - 2]) : (b.shape[r - 2], b.shape[r - 1])
        guard ka == kb else {
            throw KerasError.shapeMismatch("batchMatmul: inner dimensions differ for shapes \(a.shape) and \(b.shape) (transposeA: \(transposeA), transposeB: \(transposeB))")
        }
        let batch = a.shape.dropLast(2).reduce(1, *), k = ka
        let out = Tensor.uninitialized(Array(a.shape.dropLast(2)) + [m, n])
        Kernels.batchedGemm(a.data, transA: transposeA, b.data, transB: transposeB, out.data, batch: batch, m: m, n: n, k: k)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            // d(op(A)) = G · op(B)ᵀ, d(op(B)) = op(A)ᵀ · G, each transposed back when op transposes.
            if t.tracks(a) {
                let da = Tensor.uninitialized(a.shape)
                if transposeA {
                    Kernels.batchedGemm(b.data, transA: transposeB, g.data, transB: true, da.data, batch: batch, m: k, n: m, k: n)
                } else {
                    Kernels.batchedGemm(g.data, transA: false, b.data, transB: !transposeB, da.data, batch: batch, m: m, n: k, k: n)
                }
                t.accumulate(a, da)
            }
            if t.tracks(b) {
                let db = Tensor.uninitialized(b.shape)
                if transposeB {
                    Kernels.batchedGemm(g.data, transA: true, a.data, transB: transposeA, db.data, batch: batch, m: n, n: k, k: m)
                } else {
                    Kernels.batchedGemm(a.data, transA: !transposeA, g.data, transB: false, db.data, batch: batch, m: k, n: n, k: m)
                }
                t.accumulate(b, db)
            }
        }
    }

    /// Softmax over the last axis where `mask` (broadcastable to `x`, nonzero or above 0.5 to
    /// keep) allows, 0 elsewhere, in one op: Keras's `Softmax()(x, mask=mask)` (`where(mask, x,
    /// -1e9)`, softmax, then zeros where masked). A row with nothing kept is all zeros, or
    /// uniform with `uniformWhenEmpty` (Keras's `Attention`, which subtracts 1e9 instead).
    public static func maskedSoftmax(_ x: Tensor, mask: Tensor?, uniformWhenEmpty: Bool = false) throws -> Tensor {
        guard let mask else { return try softmax(x, axis: -1) }
        guard x.rank >= 1, mask.rank <= x.rank, Kernels.broadcastShape(mask.shape, x.shape) == x.shape else {
            throw KerasError.shapeMismatch("maskedSoftmax: a mask of shape \(mask.shape) does not broadcast to scores of shape \(x.shape)")
        }
        let full = mask.shape == x.shape ? mask : Kernels.broadcastTo(mask.detached, x.shape)
        let cols = x.shape[x.rank - 1], rows = x.count / Swift.max(cols, 1)
        let out = Tensor.uninitialized(x.shape)
        Kernels.maskedSoftmaxRows(x.data, mask: full.data, out.data, rows: rows, cols: cols, uniformWhenEmpty: uniformWhenEmpty)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            Kernels.softmaxBackward(output: out.data, upstream: g.data, into: dx.data, outer: rows, n: cols, inner: 1)
            t.accumulate(x, dx)
        }
    }
}

extension Ops {
    /// Multi-head scaled dot-product attention in one op: `query` `[B, T, heads, dk]`, `key`
    /// `[B, S, heads, dk]`, `value` `[B, S, heads, dv]` (the layout the projections produce) give
    /// the output `[B, T, heads, dv]` and the probabilities `[B, heads, T, S]`,
    /// `softmax(scale · q · kᵀ)` over the keys where `mask` (`[B, T, S]`, shared by the heads,
    /// above 0.5 to keep) allows; a row with no key kept is zeros, as `Softmax(mask=…)` gives.
    /// Keras: `ops.dot_product_attention` with `mask`, returning the probabilities as well. Both
    /// results are differentiable; the backward recomputes nothing but `dOut · vᵀ`.
    public static func dotProductAttention(query q: Tensor, key k: Tensor, value v: Tensor, scale: Float,
                                           mask: Tensor? = nil) throws -> (output: Tensor, probabilities: Tensor) {
        guard q.rank == 4, k.rank == 4, v.rank == 4, k.shape[0] == q.shape[0], v.shape[0] == q.shape[0],
              k.shape[1] == v.shape[1], k.shape[2] == q.shape[2], v.shape[2] == q.shape[2], k.shape[3] == q.shape[3] else {
            throw KerasError.shapeMismatch("dotProductAttention: query \(q.shape), key \(k.shape) and value \(v.shape) must be [batch, positions, heads, features] with equal batch and heads, equal key and value positions and equal query and key features")
        }
        let d = AttentionDims(batch: q.shape[0], heads: q.shape[2], t: q.shape[1], s: k.shape[1], dk: q.shape[3], dv: v.shape[3])
        return try attention(d, [q, k, v], q: (0, 0), k: (1, 0), v: (2, 0), scale: scale, mask: mask)
    }

    /// ``dotProductAttention(query:key:value:scale:mask:)`` of a self-attention whose three
    /// projections are one tensor `qkv` `[B, T, heads · (2 · keyDim + valueDim)]`: each position's
    /// row holds its query heads, then its key heads, then its value heads (the product of the
    /// input with the three kernels side by side), read in place; its gradient is one tensor of
    /// the same layout, so the projection's backward is one product too.
    public static func dotProductAttention(packed qkv: Tensor, heads: Int, keyDim: Int, valueDim: Int, scale: Float,
                                           mask: Tensor? = nil) throws -> (output: Tensor, probabilities: Tensor) {
        let row = heads * (2 * keyDim + valueDim)
        guard qkv.rank == 3, heads > 0, keyDim > 0, valueDim > 0, qkv.shape[2] == row else {
            throw KerasError.shapeMismatch("dotProductAttention: packed projections of shape \(qkv.shape) must be [batch, positions, heads · (2 · keyDim + valueDim)] = [batch, positions, \(row)] for \(heads) heads, keyDim \(keyDim) and valueDim \(valueDim)")
        }
        let d = AttentionDims(batch: qkv.shape[0], heads: heads, t: qkv.shape[1], s: qkv.shape[1], dk: keyDim, dv: valueDim,
                              rows: (row, row, row))
        return try attention(d, [qkv], q: (0, 0), k: (0, heads * keyDim), v: (0, 2 * heads * keyDim), scale: scale, mask: mask)
    }

    /// The attention of `d` reading the query, key and value of `sources[i]` from element
    /// `offset` on (each given as `(i, offset)`); every source gets its gradient as one tensor.
    private static func attention(_ d: AttentionDims, _ sources: [Tensor], q: (Int, Int), k: (Int, Int), v: (Int, Int),
                                  scale: Float, mask: Tensor?) throws -> (output: Tensor, probabilities: Tensor) {
        if let mask, mask.shape != [d.batch, d.t, d.s] {
            throw KerasError.shapeMismatch("dotProductAttention: mask of shape \(mask.shape) must be [batch, query positions, key positions] = \([d.batch, d.t, d.s])")
        }
        let out = Tensor.uninitialized([d.batch, d.t, d.heads, d.dv]), probs = Tensor.uninitialized([d.batch, d.heads, d.t, d.s])
        Kernels.dotProductAttention(d, q: sources[q.0].data + q.1, k: sources[k.0].data + k.1, v: sources[v.0].data + v.1,
                                    mask: mask.map { UnsafePointer($0.data) }, scale: scale, probs: probs.data, out: out.data)
        guard let tape = GradientTape.active, sources.contains(where: { tape.tracks($0) }) else { return (out, probs) }
        // Each result's upstream reaches the sources through its own node. Without the output's
        // upstream no value gradient is made: a source holding nothing else gets none, one that
        // also holds queries or keys gets zeros there.
        let backward = { (dOut: Tensor?, dProbs: Tensor?, t: GradientTape) in
            let grads = sources.indices.map { i -> Tensor? in
                if dOut == nil && i == v.0 && i != q.0 && i != k.0 { return nil }
                return dOut == nil && i == v.0 ? Tensor(shape: sources[i].shape, repeating: 0) : Tensor.uninitialized(sources[i].shape)
            }
            guard let dq = grads[q.0], let dk = grads[k.0] else { return }
            Kernels.dotProductAttentionBackward(d, q: sources[q.0].data + q.1, k: sources[k.0].data + k.1, v: sources[v.0].data + v.1,
                                                probs: probs.data, scale: scale, dOut: dOut.map { UnsafePointer($0.data) },
                                                dProbs: dProbs.map { UnsafePointer($0.data) }, dq: dq.data + q.1, dk: dk.data + k.1,
                                                dv: grads[v.0].map { $0.data + v.1 })
            for (source, grad) in zip(sources, grads) { if let grad { t.accumulate(source, grad) } }
        }
        return (tape.record(out) { g, t in backward(g, nil, t) }, tape.record(probs) { g, t in backward(nil, g, t) })
    }
}
