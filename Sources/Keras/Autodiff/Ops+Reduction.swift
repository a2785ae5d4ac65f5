extension Ops {
    /// Normalises axes (negative counts from the end); nil means all axes.
    static func normalizedAxes(_ op: String, _ axes: [Int]?, rank: Int) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        var out: [Int] = []
        for a in axes {
            let n = a < 0 ? a + rank : a
            guard n >= 0 && n < rank else {
                throw KerasError.invalidArgument("\(op): axis \(a) is out of range for a tensor of rank \(rank)")
            }
            if !out.contains(n) { out.append(n) }
        }
        return out.sorted()
    }

    /// One axis, made non-negative and checked against `rank`.
    static func normalizedAxis(_ op: String, _ axis: Int, rank: Int) throws -> Int {
        let n = axis < 0 ? axis + rank : axis
        guard n >= 0 && n < rank else {
            throw KerasError.invalidArgument("\(op): axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return n
    }

    static func keptShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    }

    static func droppedShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Sum over `axes` (all when nil). Keras: `ops.sum`.
    public static func sum(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes("sum", axes, rank: x.rank)
        let kept = keptShape(x.shape, ax)
        let reduced = Kernels.sumToShape(x, kept)
        let out = reduced.viewing(keepDims ? kept : droppedShape(x.shape, ax))
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let gk = g.viewing(kept)
            t.accumulate(x, Kernels.broadcastTo(gk, x.shape))
        }
    }

    /// Sum over `axis`.
    public static func sum(_ x: Tensor, axis: Int, keepDims: Bool = false) throws -> Tensor {
        try sum(x, axes: [axis], keepDims: keepDims)
    }

    /// Mean over `axes` (all when nil). Keras: `ops.mean`.
    public static func mean(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes("mean", axes, rank: x.rank)
        let n = ax.reduce(1) { $0 * x.shape[$1] }
        let s = try sum(x, axes: ax, keepDims: keepDims)
        return n == 0 ? s : s * (1 / Float(n))
    }

    public static func mean(_ x: Tensor, axis: Int, keepDims: Bool = false) throws -> Tensor {
        try mean(x, axes: [axis], keepDims: keepDims)
    }

    /// Maximum over `axes`; ties share the gradient equally.
    public static func max(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extreme("max", x, axes, keepDims) { $0 > $1 }
    }

    /// Minimum over `axes`; ties share the gradient equally.
    public static func min(_ x: Tensor, axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extreme("min", x, axes, keepDims) { $0 < $1 }
    }

    static func extreme(_ op: String, _ x: Tensor, _ axes: [Int]?, _ keepDims: Bool,
                        _ better: (Float, Float) -> Bool) throws -> Tensor {
        guard x.count > 0 else { throw KerasError.invalidArgument("\(op): the tensor is empty") }
        let ax = try normalizedAxes(op, axes, rank: x.rank)
        let kept = keptShape(x.shape, ax)
        let strides = Kernels.broadcastStrides(kept, into: x.shape)
        let best = Kernels.extreme(x, kept: kept, strides: strides, better)
        let out = best.viewing(keepDims ? kept : droppedShape(x.shape, ax))
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            t.accumulate(x, Kernels.extremeBackward(x, best: best, upstream: g, kept: kept, strides: strides))
        }
    }

    /// Index of the largest value along `axis` (not differentiable). Keras: `ops.argmax`.
    public static func argmax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis("argmax", axis, rank: x.rank)
        let outer = x.shape[..<a].reduce(1, *)
        let n = x.shape[a]
        let inner = x.shape[(a + 1)...].reduce(1, *)
        guard n > 0 else { throw KerasError.invalidArgument("argmax: axis \(axis) has length 0") }
        var outShape = x.shape
        outShape.remove(at: a)
        let out = Tensor.uninitialized(outShape)
        Kernels.argmax(x.data, into: out.data, outer: outer, n: n, inner: inner)
        return out
    }
}
