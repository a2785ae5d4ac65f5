extension Ops {
    /// Same elements, new shape; one dimension may be -1. Keras: `ops.reshape`.
    public static func reshape(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
        var target = shape
        let unknown = target.indices.filter { target[$0] == -1 }
        guard unknown.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
            throw KerasError.invalidArgument("reshape: target shape \(shape) may hold at most one -1 and no other negative size")
        }
        if let u = unknown.first {
            let known = target.enumerated().filter { $0.offset != u }.reduce(1) { $0 * $1.element }
            guard known > 0, x.count % known == 0 else {
                throw KerasError.shapeMismatch("reshape: cannot reshape a tensor of shape \(x.shape) (\(x.count) elements) into \(shape)")
            }
            target[u] = x.count / known
        }
        guard target.reduce(1, *) == x.count else {
            throw KerasError.shapeMismatch("reshape: cannot reshape a tensor of shape \(x.shape) (\(x.count) elements) into \(shape)")
        }
        let out = x.detached.viewing(target)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in t.accumulate(x, g.viewing(x.shape)) }
    }

    /// Permutes dimensions. Keras: `ops.transpose`.
    public static func transpose(_ x: Tensor, _ perm: [Int]? = nil) throws -> Tensor {
        let p = perm ?? Array((0..<x.rank).reversed())
        guard p.sorted() == Array(0..<x.rank) else {
            throw KerasError.invalidArgument("transpose: \(p) is not a permutation of the \(x.rank) axes of a tensor of shape \(x.shape)")
        }
        let out = Kernels.permuted(x, p)
        guard let tape = recording(x) else { return out }
        var inverse = p
        for (i, a) in p.enumerated() { inverse[a] = i }
        return tape.record(out) { g, t in t.accumulate(x, Kernels.permuted(g, inverse)) }
    }

    /// Inserts a dimension of size 1 at `axis`.
    public static func expandDims(_ x: Tensor, axis: Int) throws -> Tensor {
        let a = axis < 0 ? axis + x.rank + 1 : axis
        guard a >= 0 && a <= x.rank else {
            throw KerasError.invalidArgument("expandDims: axis \(axis) is out of range for rank \(x.rank)")
        }
        var s = x.shape
        s.insert(1, at: a)
        return try reshape(x, s)
    }

    /// Joins tensors along `axis`. Keras: `ops.concatenate`.
    public static func concatenate(_ xs: [Tensor], axis: Int = -1) throws -> Tensor {
        guard let first = xs.first else { throw KerasError.invalidArgument("concatenate: no tensors given") }
        let a = try normalizedAxes("concatenate", [axis], rank: first.rank)[0]
        for x in xs where x.rank != first.rank || x.shape.enumerated().contains(where: { $0.offset != a && $0.element != first.shape[$0.offset] }) {
            throw KerasError.shapeMismatch("concatenate: shapes \(xs.map(\.shape)) do not match except on axis \(axis)")
        }
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let sizes = xs.map { $0.shape[a] * inner }
        let total = sizes.reduce(0, +)
        var outShape = first.shape
        outShape[a] = xs.reduce(0) { $0 + $1.shape[a] }
        let out = Tensor.uninitialized(outShape)
        Kernels.concatenate(xs.map { UnsafePointer($0.data) }, sizes: sizes, outer: outer, into: out.data)
        guard let tape = GradientTape.active, xs.contains(where: { tape.tracks($0) }) else { return out }
        return tape.record(out) { g, t in
            var start = 0
            for (x, s) in zip(xs, sizes) {
                if t.tracks(x) {
                    let dx = Tensor.uninitialized(x.shape)
                    Kernels.concatenationPart(g.data, start: start, size: s, total: total, outer: outer, into: dx.data)
                    t.accumulate(x, dx)
                }
                start += s
            }
        }
    }

    /// Rows `indices` of the first axis. Keras: `ops.take(x, indices, axis=0)`.
    public static func take(_ x: Tensor, _ indices: [Int]) throws -> Tensor {
        guard x.rank >= 1 else { throw KerasError.invalidArgument("take: needs a tensor of rank 1 or more") }
        let n = x.shape[0]
        let row = x.count / Swift.max(n, 1)
        for i in indices where i < 0 || i >= n {
            throw KerasError.invalidArgument("take: index \(i) is out of range for an axis of length \(n)")
        }
        var outShape = x.shape
        outShape[0] = indices.count
        let out = Tensor.uninitialized(outShape)
        Kernels.gatherRows(x.data, indices, row: row, into: out.data)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor(shape: x.shape, repeating: 0)
            Kernels.scatterAddRows(g.data, indices, row: row, into: dx.data)
            t.accumulate(x, dx)
        }
    }

    /// Repeats `x` (shape `[N, F]`) `n` times on a new axis 1: `[N, n, F]`. Keras: `RepeatVector`.
    public static func repeatVector(_ x: Tensor, _ n: Int) throws -> Tensor {
        guard x.rank == 2 else { throw KerasError.shapeMismatch("repeatVector: expects a tensor of rank 2, got shape \(x.shape)") }
        guard n >= 0 else { throw KerasError.invalidArgument("repeatVector: n must not be negative, got \(n)") }
        return try `repeat`(reshape(x, [x.shape[0], 1, x.shape[1]]), n, axis: 1)
    }
}

extension Ops {
    /// Splits `x` into `sections` equal parts along `axis`. Keras: `ops.split(x, sections, axis)`.
    public static func split(_ x: Tensor, _ sections: Int, axis: Int = -1) throws -> [Tensor] {
        let a = try normalizedAxes("split", [axis], rank: x.rank)[0]
        guard sections > 0, x.shape[a] % sections == 0 else {
            throw KerasError.invalidArgument("split: axis \(axis) of shape \(x.shape) does not split into \(sections) equal sections")
        }
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
        var partShape = x.shape
        partShape[a] /= sections
        let size = partShape[a] * inner, total = x.shape[a] * inner
        let parts = (0..<sections).map { k in
            let part = Tensor.uninitialized(partShape)
            Kernels.concatenationPart(x.data, start: k * size, size: size, total: total, outer: outer, into: part.data)
            return part
        }
        return try customGradient(parts, inputs: [x]) { grads in
            let dx = Tensor.uninitialized(x.shape)
            Kernels.concatenate(grads.map { UnsafePointer($0.data) }, sizes: Array(repeating: size, count: sections),
                                outer: outer, into: dx.data)
            return [dx]
        }
    }
}
