/// Ops of the op graph that run along whole axes (`roll`, `cumsum`, `cumprod`, `sort`,
/// `argsort`, `diagonal`, `trace`, `triu`, `tril`, `kron`): each reads the sizes of its axes from the tensor it is given
/// at run time, so it runs along the batch or any axis whose size is unknown at trace time, as
/// Keras's `compute_output_spec` lets it (its shape there is the probes', ``OpGraph/append``).
extension OpGraphOp {
    /// These ops and their number of inputs; nil for a name that is not one.
    static func alongAxes(_ name: String, _ a: OpAttributes) throws -> (Int, ([Tensor]) throws -> Tensor)? {
        switch name {
        case "roll":
            let axes = try a.axes("axis")
            guard let shifts = try a.axes("shift") else { throw a.bad("shift", "is required") }
            if let axes, shifts.count != 1 && shifts.count != axes.count {
                throw a.bad("shift", "gives \(shifts.count) shifts for \(axes.count) axes")
            }
            if axes == nil && shifts.count != 1 { throw a.bad("shift", "must be one integer when axis is None") }
            return (1, { x in try roll(x[0], shifts, axes: axes) })
        case "cumsum", "cumprod":
            let axis = try a.optionalInt("axis"), product = name == "cumprod"
            return (1, { x in try scan(x[0], axis: axis, product: product) })
        case "sort", "argsort":
            let axis = try a.optionalInt("axis"), indices = name == "argsort"
            return (1, { x in try sort(x[0], axis: axis, indices: indices) })
        case "diagonal", "trace":
            let offset = try a.int("offset", default: 0)
            let axis1 = try a.int("axis1", default: 0), axis2 = try a.int("axis2", default: 1)
            return name == "trace"
                ? (1, { x in
                    let d = try diagonal(x[0], offset: offset, axis1: axis1, axis2: axis2, op: name)
                    return try Ops.sum(d, axes: [d.rank - 1])
                })
                : (1, { x in try diagonal(x[0], offset: offset, axis1: axis1, axis2: axis2, op: name) })
        case "triu", "tril":
            let k = try a.int("k", default: 0), lower = name == "tril"
            return (1, { x in try triangle(x[0], k: k, lower: lower, op: name) })
        case "kron":
            return (2, { x in try kron(x[0], x[1]) })
        default:
            return nil
        }
    }

    /// `x` rolled by `shifts` along `axes` (nil: flattened, then rolled, then its shape again).
    /// Keras: `ops.roll`; a repeated axis adds its shifts, as numpy's.
    static func roll(_ x: Tensor, _ shifts: [Int], axes: [Int]?) throws -> Tensor {
        guard let axes else {
            let flat = try roll(try Ops.reshape(x, [x.count]), shifts, axes: [0])
            return try Ops.reshape(flat, x.shape)
        }
        var total = [Int](repeating: 0, count: x.rank)
        for (i, axis) in axes.enumerated() {
            total[try Ops.normalizedAxis("roll", axis, rank: x.rank)] += shifts.count == 1 ? shifts[0] : shifts[i]
        }
        let st = strides(x.shape)
        let offsets = x.shape.indices.map { d -> [Int] in
            let n = x.shape[d]
            guard n > 0 else { return [] }
            let s = ((total[d] % n) + n) % n
            return (0..<n).map { ((($0 - s) % n + n) % n) * st[d] }
        }
        return try gather(x, separable(offsets), shape: x.shape)
    }

    /// Cumulative sums or products along `axis` (nil: of the flattened tensor, one axis).
    /// Keras: `ops.cumsum`, `ops.cumprod`. A product's gradient is exact where entries are zero:
    /// each entry's is the sum over later outputs of the upstream times the other entries.
    static func scan(_ x: Tensor, axis: Int?, product: Bool) throws -> Tensor {
        let op = product ? "cumprod" : "cumsum"
        guard let axis else { return try scan(try Ops.reshape(x, [x.count]), axis: 0, product: product) }
        let a = try Ops.normalizedAxis(op, axis, rank: x.rank)
        let n = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *), lines = x.count / Swift.max(n * inner, 1)
        let out = Tensor.uninitialized(x.shape)
        let px = x.data, po = out.data
        for line in 0..<lines {
            for k in 0..<inner {
                let base = line * n * inner + k
                var acc: Float = product ? 1 : 0
                for i in 0..<n {
                    let v = px[base + i * inner]
                    acc = product ? acc * v : acc + v
                    po[base + i * inner] = acc
                }
            }
        }
        guard let tape = Ops.recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            let pg = g.data, pd = dx.data
            for line in 0..<lines {
                for k in 0..<inner {
                    let base = line * n * inner + k
                    if !product {
                        var acc: Float = 0
                        for i in stride(from: n - 1, through: 0, by: -1) {
                            acc += pg[base + i * inner]
                            pd[base + i * inner] = acc
                        }
                        continue
                    }
                    for i in 0..<n {
                        var others: Float = 1, sum: Float = 0
                        for j in 0..<n {
                            if j != i { others *= px[base + j * inner] }
                            if j >= i { sum += pg[base + j * inner] * others }
                        }
                        pd[base + i * inner] = sum
                    }
                }
            }
            t.accumulate(x, dx)
        }
    }

    /// `x` sorted ascending along `axis` (nil: flattened), or with `indices` the positions the
    /// sorted values came from (as floats, without gradient). Keras: `ops.sort`, `ops.argsort`:
    /// stable (ties keep their order), NaN last, as jax's. The sorted values carry the gradient
    /// of the entries they came from.
    static func sort(_ x: Tensor, axis: Int?, indices: Bool) throws -> Tensor {
        let op = indices ? "argsort" : "sort"
        guard let axis else { return try sort(try Ops.reshape(x, [x.count]), axis: 0, indices: indices) }
        let a = try Ops.normalizedAxis(op, axis, rank: x.rank)
        let n = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *), lines = x.count / Swift.max(n * inner, 1)
        let px = x.data
        var flat = [Int](repeating: 0, count: x.count)
        for line in 0..<lines {
            for k in 0..<inner {
                let base = line * n * inner + k
                func before(_ i: Int, _ j: Int) -> Bool {
                    let u = px[base + i * inner], v = px[base + j * inner]
                    if u.isNaN || v.isNaN { return u.isNaN == v.isNaN ? i < j : v.isNaN }
                    return u < v || (u == v && i < j)
                }
                for (p, i) in (0..<n).sorted(by: before).enumerated() { flat[base + p * inner] = base + i * inner }
            }
        }
        guard indices else { return try gather(x, flat, shape: x.shape) }
        let out = Tensor.uninitialized(x.shape)
        for (i, source) in flat.enumerated() { out.data[i] = Float(((source % (n * inner)) - (i % inner)) / inner) }
        return out
    }

    /// The diagonal of axes `axis1` and `axis2` (offset: above the main one when positive) as the
    /// last axis, the other axes in order. Keras: `ops.diagonal`.
    static func diagonal(_ x: Tensor, offset: Int, axis1: Int, axis2: Int, op: String) throws -> Tensor {
        guard x.rank >= 2 else {
            throw KerasError.invalidArgument("\(op): the input must have at least 2 dimensions, got shape \(x.shape)")
        }
        let a1 = try Ops.normalizedAxis(op, axis1, rank: x.rank), a2 = try Ops.normalizedAxis(op, axis2, rank: x.rank)
        guard a1 != a2 else { throw KerasError.invalidArgument("\(op): axis1 and axis2 cannot be the same axis (\(axis1), \(axis2))") }
        let st = strides(x.shape)
        let first = Swift.max(0, -offset), second = Swift.max(0, offset)
        let length = Swift.max(0, Swift.min(x.shape[a1] - first, x.shape[a2] - second))
        let kept = x.shape.indices.filter { $0 != a1 && $0 != a2 }
        var offsets = kept.map { d in (0..<x.shape[d]).map { $0 * st[d] } }
        offsets.append((0..<length).map { ($0 + first) * st[a1] + ($0 + second) * st[a2] })
        return try gather(x, separable(offsets), shape: kept.map { x.shape[$0] } + [length])
    }

    /// `x` with the entries of its last two axes above (`lower`) or below the k-th diagonal set
    /// to zero. Keras: `ops.tril`, `ops.triu`.
    static func triangle(_ x: Tensor, k: Int, lower: Bool, op: String) throws -> Tensor {
        guard x.rank >= 2 else {
            throw KerasError.invalidArgument("\(op): the input must have at least 2 dimensions, got shape \(x.shape)")
        }
        let rows = x.shape[x.rank - 2], cols = x.shape[x.rank - 1]
        let mask = Tensor(shape: [rows, cols], repeating: 0)
        for i in 0..<rows {
            for j in 0..<cols where lower ? j - i <= k : j - i >= k { mask.data[i * cols + j] = 1 }
        }
        return try Ops.multiply(x, mask)
    }

    /// The Kronecker product: every product of an entry of `a` and one of `b`, in blocks (the
    /// lower rank padded with leading ones). Keras: `ops.kron`.
    static func kron(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let r = Swift.max(a.rank, b.rank)
        let sa = [Int](repeating: 1, count: r - a.rank) + a.shape, sb = [Int](repeating: 1, count: r - b.rank) + b.shape
        let wide = try Ops.reshape(a, sa.flatMap { [$0, 1] }), tall = try Ops.reshape(b, sb.flatMap { [1, $0] })
        return try Ops.reshape(try Ops.multiply(wide, tall), zip(sa, sb).map { $0 * $1 })
    }
}
