/// Indexing ops of the op graph (`x[:, 1:3]`, `take`, `take_along_axis`, `tile`, `repeat`,
/// batched `matmul`): each output element is one element of the input, so the forward pass is a
/// gather by flat index and the vector-Jacobian product scatters the upstream gradient back.
extension OpGraphOp {
    /// Indexing ops and their number of inputs; nil for a name that is not one.
    static func indexing(_ name: String, _ a: OpAttributes) throws -> (Int, ([Tensor]) throws -> Tensor)? {
        switch name {
        case "slice":
            let specs = try sliceSpecs(a), reads = try sliceReads(a)
            let arity = 1 + (reads.map(\.size.lastInput).max() ?? 0)
            return (arity, { x in try slice(x[0], resolved(specs, reads, x)) })
        case "glu":
            let axis = try a.int("axis", default: -1)
            return (1, { x in try glu(x[0], axis: axis) })
        case "take":
            let axis = try a.optionalInt("axis")
            return (2, { x in try take(x[0], x[1], axis: axis) })
        case "take_along_axis":
            let axis = try a.int("axis", default: -1)
            return (2, { x in try takeAlongAxis(x[0], x[1], axis: axis) })
        case "tile":
            guard let reps = try a.axes("repeats"), reps.allSatisfy({ $0 >= 0 }) else {
                throw a.bad("repeats", "must be a list of non-negative integers")
            }
            return (1, { x in try tile(x[0], reps) })
        case "repeat":
            let n = try a.int("repeats", default: -1), axis = try a.int("axis", default: 0)
            guard n >= 0 else { throw a.bad("repeats", "must be a non-negative integer") }
            return (1, { x in try Ops.repeat(x[0], n, axis: axis) })
        case "einsum":
            guard let equation = a.json["equation"]?.stringValue else { throw a.bad("equation", "is required") }
            let e = try Einsum(equation)
            return (e.operands.count, { x in try e.apply(x) })
        default:
            return nil
        }
    }

    /// One axis of `x[...]`: a single index (the axis goes) or a Python slice.
    enum SliceSpec {
        case index(Int)
        case range(start: Int?, stop: Int?, step: Int)

        /// The source positions along an axis of length `n` (Python's `slice.indices` rules).
        func positions(_ n: Int, axis: Int) throws -> [Int] {
            switch self {
            case .index(let i):
                let j = i < 0 ? i + n : i
                guard j >= 0 && j < n else {
                    throw KerasError.invalidArgument("slice: index \(i) is out of bounds for axis \(axis) with size \(n)")
                }
                return [j]
            case .range(let start, let stop, let step):
                let (lower, upper) = step > 0 ? (0, n) : (-1, n - 1)
                func clamp(_ v: Int?, _ d: Int) -> Int {
                    guard let v else { return d }
                    return v < 0 ? Swift.max(v + n, lower) : Swift.min(v, upper)
                }
                let s = clamp(start, step > 0 ? lower : upper), e = clamp(stop, step > 0 ? upper : lower)
                return Array(stride(from: s, to: e, by: step))
            }
        }
    }

    /// The op's output shape at trace time from its probes' (`probed`, -1 where they differ)
    /// and its inputs' (`inputs`), where the probes cannot tell: a range of an axis of unknown
    /// size is of unknown size, as Keras's (`x[:, -2:]` of (None, None) is (None, None), though
    /// both probes give 2), and so is a range whose bound is read at run time (``SliceRead``).
    func traceShape(_ probed: [Int], inputs: [[Int]]) -> [Int] {
        guard name == "slice", let a = attributes, let specs = try? OpGraphOp.sliceSpecs(a),
              let x = inputs.first, specs.count == x.count else { return probed }
        let read = Set(((try? OpGraphOp.sliceReads(a)) ?? []).map(\.spec))
        var out = probed, k = 0
        for (d, spec) in specs.enumerated() {
            if case .index = spec { continue }
            if (x[d] < 0 || read.contains(d)) && k < out.count { out[k] = -1 }
            k += 1
        }
        return out
    }

    static func sliceSpecs(_ a: OpAttributes) throws -> [SliceSpec] {
        guard let items = a.json["specs"]?.arrayValue else { throw a.bad("specs", "must be a list, one entry per axis") }
        return try items.map { item in
            if let i = item.intValue { return .index(i) }
            guard let r = item.arrayValue, r.count == 3 else {
                throw a.bad("specs", "entries must be an integer or [start, stop, step], got \(item)")
            }
            func bound(_ v: JSON) throws -> Int? {
                if v.isNull || v.arrayValue != nil { return nil }   // (a bound read at run time: sliceReads)
                guard let i = v.intValue else { throw a.bad("specs", "slice bounds must be integers or null, got \(v)") }
                return i
            }
            let step = try bound(r[2]) ?? 1
            guard step != 0 else { throw a.bad("specs", "slice step cannot be zero") }
            return .range(start: try bound(r[0]), stop: try bound(r[1]), step: step)
        }
    }

    /// A slice bound read from an input's shape each time the graph runs (`x[:, :n // 2]`, `n`
    /// read with `ops.shape` while the layer is traced, as under jax.jit): the start (or stop)
    /// of spec number `spec`, given in `"specs"` as a size `[input, axis, steps]` (``ReadSize``).
    struct SliceRead {
        let spec: Int
        let stop: Bool
        let size: ReadSize
    }

    static func sliceReads(_ a: OpAttributes) throws -> [SliceRead] {
        guard let items = a.json["specs"]?.arrayValue else { return [] }
        var reads: [SliceRead] = []
        for (k, item) in items.enumerated() {
            guard let r = item.arrayValue, r.count == 3 else { continue }
            for (i, v) in r.prefix(2).enumerated() where v.arrayValue != nil {
                reads.append(SliceRead(spec: k, stop: i == 1, size: try ReadSize(v, a, arity: Int.max)))
            }
        }
        return reads
    }

    /// `specs` with the bounds `reads` read from the op's inputs `x` (the sliced tensor first).
    static func resolved(_ specs: [SliceSpec], _ reads: [SliceRead], _ x: [Tensor]) throws -> [SliceSpec] {
        var out = specs
        for read in reads {
            guard read.spec < out.count, case .range(let start, let stop, let step) = out[read.spec] else { continue }
            let n = try read.size.size(x)
            out[read.spec] = read.stop ? .range(start: start, stop: n, step: step) : .range(start: n, stop: stop, step: step)
        }
        return out
    }

    /// Keras `ops.glu(x, axis)`: the first half of `axis` times the sigmoid of the second, the
    /// axis's size read at run time. An odd size is refused, as Keras's split refuses it; the
    /// trace's probes (sizes 2 and 3 for an unknown axis) take overlapping halves instead, for
    /// their shapes only (``OpGraph/isProbing``).
    static func glu(_ x: Tensor, axis: Int) throws -> Tensor {
        let a = try Ops.normalizedAxis("glu", axis, rank: x.rank)
        let n = x.shape[a]
        guard n % 2 == 0 || OpGraph.isProbing else {
            throw KerasError.invalidArgument("glu: axis \(axis) of size \(n) (shape \(x.shape)) does not split into 2 equal halves")
        }
        let h = (n + 1) / 2
        func half(_ from: Int) -> [SliceSpec] {
            (0..<x.rank).map { d -> SliceSpec in d == a ? .range(start: from, stop: from + h, step: 1) : .range(start: nil, stop: nil, step: 1) }
        }
        return try Ops.multiply(slice(x, half(0)), ActivationFunction.sigmoid(slice(x, half(n - h))))
    }

    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { s[d] = s[d + 1] * shape[d + 1] }
        return s
    }

    /// The flat source index of every output element when each output axis adds its own offset.
    static func separable(_ offsets: [[Int]]) -> [Int] {
        var flat = [0]
        for axis in offsets {
            var next: [Int] = []
            next.reserveCapacity(flat.count * axis.count)
            for base in flat { for o in axis { next.append(base + o) } }
            flat = next
        }
        return flat
    }

    /// `out[i] = x.flat[flat[i]]`, its gradient scattered back into the input's shape.
    static func gather(_ x: Tensor, _ flat: [Int], shape: [Int]) throws -> Tensor {
        try Ops.checkOutputFits(shape, "gather")
        let out = Tensor.uninitialized(shape)
        Kernels.gatherRows(x.data, flat, row: 1, into: out.data)
        guard let tape = Ops.recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor(shape: x.shape, repeating: 0)
            Kernels.scatterAddRows(g.data, flat, row: 1, into: dx.data)
            t.accumulate(x, dx)
        }
    }

    /// `x[specs]`: one spec per axis of `x`.
    static func slice(_ x: Tensor, _ specs: [SliceSpec]) throws -> Tensor {
        guard specs.count == x.rank else {
            throw KerasError.invalidArgument("slice: \(specs.count) indices for a tensor of shape \(x.shape)")
        }
        let st = strides(x.shape)
        var offsets: [[Int]] = [], shape: [Int] = []
        for (d, spec) in specs.enumerated() {
            let p = try spec.positions(x.shape[d], axis: d)
            if case .index = spec {
                offsets.append([p[0] * st[d]])
            } else {
                offsets.append(p.map { $0 * st[d] })
                shape.append(p.count)
            }
        }
        return try gather(x, separable(offsets), shape: shape)
    }

    /// The integer values of an index tensor, negative ones counted from the end of an axis of length `n`.
    static func indexValues(_ t: Tensor, _ n: Int, _ op: String) throws -> [Int] {
        try t.scalars.map { v in
            guard v.isFinite, v == v.rounded(), Swift.abs(v) < 1e9 else {
                throw KerasError.invalidArgument("\(op): indices must be integers, got \(v)")
            }
            let i = Int(v), j = i < 0 ? i + n : i
            guard j >= 0 && j < n else {
                throw KerasError.invalidArgument("\(op): index \(i) is out of bounds for an axis of size \(n)")
            }
            return j
        }
    }

    /// Keras `ops.take(x, indices, axis)`; `axis` nil takes from the flattened `x`.
    static func take(_ x: Tensor, _ indices: Tensor, axis: Int?) throws -> Tensor {
        let source = try axis == nil ? Ops.reshape(x, [x.count]) : x
        let a = try Ops.normalizedAxis("take", axis ?? 0, rank: source.rank)
        let st = strides(source.shape)
        let idx = try indexValues(indices, source.shape[a], "take")
        var offsets = (0..<a).map { d in (0..<source.shape[d]).map { $0 * st[d] } }
        offsets.append(idx.map { $0 * st[a] })
        offsets += ((a + 1)..<source.rank).map { d in (0..<source.shape[d]).map { $0 * st[d] } }
        let shape = Array(source.shape[..<a]) + indices.shape + Array(source.shape[(a + 1)...])
        return try gather(source, separable(offsets), shape: shape)
    }

    /// Keras `ops.take_along_axis(x, indices, axis)`: indices of the same rank, broadcast with
    /// `x` on every other axis.
    static func takeAlongAxis(_ x: Tensor, _ indices: Tensor, axis: Int) throws -> Tensor {
        let a = try Ops.normalizedAxis("take_along_axis", axis, rank: x.rank)
        guard indices.rank == x.rank else {
            throw KerasError.shapeMismatch("take_along_axis: indices of shape \(indices.shape) need the rank of x, \(x.shape)")
        }
        var shape = indices.shape
        for d in 0..<x.rank where d != a {
            let (m, n) = (x.shape[d], indices.shape[d])
            guard m == n || m == 1 || n == 1 else {
                throw KerasError.shapeMismatch("take_along_axis: x \(x.shape) and indices \(indices.shape) do not broadcast on axis \(d)")
            }
            shape[d] = Swift.max(m, n)
        }
        let idx = try indexValues(indices, x.shape[a], "take_along_axis")
        let xs = strides(x.shape), isd = strides(indices.shape)
        let count = shape.reduce(1, *)
        var flat = [Int](repeating: 0, count: count), m = [Int](repeating: 0, count: shape.count)
        for k in 0..<count {
            var src = 0, at = 0
            for d in 0..<shape.count {
                at += (indices.shape[d] == 1 ? 0 : m[d]) * isd[d]
                if d != a { src += (x.shape[d] == 1 ? 0 : m[d]) * xs[d] }
            }
            flat[k] = src + idx[at] * xs[a]
            var d = shape.count - 1
            while d >= 0 {
                m[d] += 1
                if m[d] < shape[d] { break }
                m[d] = 0
                d -= 1
            }
        }
        return try gather(x, flat, shape: shape)
    }

    /// Keras `ops.tile(x, repeats)` (numpy's rules for a length different from the rank).
    static func tile(_ x: Tensor, _ repeats: [Int]) throws -> Tensor {
        let source = try repeats.count > x.rank
            ? Ops.reshape(x, [Int](repeating: 1, count: repeats.count - x.rank) + x.shape) : x
        let reps = [Int](repeating: 1, count: source.rank - repeats.count) + repeats
        let st = strides(source.shape)
        let shape = try zip(source.shape, reps).map { try ShapeMath.product([$0, $1], "tile") }
        try Ops.checkOutputFits(shape, "tile")
        let offsets = (0..<source.rank).map { d in (0..<shape[d]).map { ($0 % source.shape[d]) * st[d] } }
        return try gather(source, separable(offsets), shape: shape)
    }

    /// Keras `ops.matmul` over one or two stacks: `[..., m, k] · [k, n]`, equal-rank stacks, and vectors.
    static func matmul(_ a: Tensor, _ right: Tensor) throws -> Tensor {
        let axis = right.rank == 1 ? 0 : right.rank - 2
        let b = OpGraph.probeConformed(right, input: 1, axis: axis, to: a.shape.last ?? 0, other: 0, otherAxis: a.rank - 1)
        switch (a.rank, b.rank) {
        case (1, 1):
            return try Ops.sum(Ops.multiply(a, b))
        case (1, 2):
            return try Ops.reshape(Ops.matmul(Ops.reshape(a, [1, a.count]), b), [b.shape[1]])
        case (2..., 1):
            let y = try Ops.matmul(a, Ops.reshape(b, [b.count, 1]))
            return try Ops.reshape(y, Array(a.shape.dropLast()))
        case (2..., 2):
            return try Ops.matmul(a, b)
        case (let r, let s) where r == s:
            return try Ops.batchMatmul(a, b)
        default:
            throw KerasError.shapeMismatch("matmul: shapes \(a.shape) and \(b.shape) differ in rank; stacks of matrices must have the same rank")
        }
    }
}

extension OpAttributes {
    /// An integer, or nil when absent or null.
    func optionalInt(_ key: String) throws -> Int? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let i = v.intValue else { throw bad(key, "must be an integer or null, got \(v)") }
        return i
    }
}
