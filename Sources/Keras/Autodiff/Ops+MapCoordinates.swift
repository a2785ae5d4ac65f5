/// How ``Ops/mapCoordinates(_:coordinates:order:fillMode:fillValue:batchDims:)`` reads outside
/// the input. Keras: the `fill_mode` of `ops.image.map_coordinates` (`jax.scipy.ndimage`'s modes).
public enum CoordinateFillMode: String, Sendable, CaseIterable {
    /// `fill_value` outside the input.
    case constant
    /// The nearest edge value.
    case nearest
    /// Periodic: `(a b c d | a b c d)`.
    case wrap
    /// Mirrored about the edge pixels: `(d c b | a b c d | c b a)`.
    case mirror
    /// Mirrored about the edges: `(d c b a | a b c d | d c b a)`.
    case reflect

    /// The mode with a Keras name; throws naming `context` otherwise.
    public static func named(_ name: String, _ context: String) throws -> CoordinateFillMode {
        guard let m = CoordinateFillMode(rawValue: name) else {
            throw KerasError.invalidArgument("\(context): fill_mode '\(name)' is not one of \(allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        return m
    }

    /// The index read for index `i` of an axis of `size` (clipped into the axis afterwards).
    @inline(__always) func fix(_ i: Int, _ size: Int) -> Int {
        func mod(_ a: Int, _ m: Int) -> Int { let r = a % m; return r < 0 ? r + m : r }
        func mirror(_ i: Int, _ size: Int) -> Int {
            let s = size - 1
            return s > 0 ? Swift.abs(mod(i + s, 2 * s) - s) : 0
        }
        let j: Int
        switch self {
        case .constant: j = i
        case .nearest: j = i
        case .wrap: j = mod(i, size)
        case .mirror: j = mirror(i, size)
        case .reflect:
            let m = mirror(2 * i + 1, 2 * size + 1) - 1
            j = m >= 0 ? m / 2 : -1   // floor division, as numpy's //
        }
        return Swift.min(Swift.max(j, 0), size - 1)
    }
}

extension Ops {
    /// `x` interpolated at `coordinates` (Keras `ops.image.map_coordinates`, jax.scipy.ndimage's):
    /// `coordinates[a]` holds the positions along axis `a` of `x` for every output element, order
    /// 0 takes the nearest element (halves rounded away from zero), order 1 interpolates linearly
    /// between the two neighbours on every axis; positions outside read as `fillMode` says.
    ///
    /// With `batchDims` k > 0 the first k axes of `x` pair with axes 1...k of `coordinates` (one
    /// interpolation per batch element, as `jax.vmap` over them): `x` is `(B..., S...)`,
    /// `coordinates` `(rank(S), B..., O...)` and the output `(B..., O...)`.
    ///
    /// Differentiable with respect to `x` (the interpolation weights scattered back) and, for
    /// order 1, to the coordinates (the slope between neighbours, as jax gives; rounding and floor
    /// have zero gradient).
    public static func mapCoordinates(_ x: Tensor, coordinates c: Tensor, order: Int, fillMode: CoordinateFillMode,
                                      fillValue: Float, batchDims: Int = 0) throws -> Tensor {
        let plan = try CoordinateMap(x.shape, c.shape, order: order, fillMode: fillMode, fillValue: fillValue, batchDims: batchDims)
        let out = Tensor.uninitialized(plan.outputShape)
        plan.run(x: x.data, c: c.data, out: out.data, g: nil, dx: nil, dc: nil)
        guard let tape = recording(x, c) else { return out }
        return tape.record(out) { g, t in
            let dx = t.tracks(x) ? Tensor(shape: x.shape) : nil
            let dc = t.tracks(c) ? Tensor(shape: c.shape) : nil
            plan.run(x: x.data, c: c.data, out: nil, g: g.data, dx: dx?.data, dc: dc?.data)
            if let dx { t.accumulate(x, dx) }
            if let dc { t.accumulate(c, dc) }
        }
    }
}

/// The loop of ``Ops/mapCoordinates(_:coordinates:order:fillMode:fillValue:batchDims:)`` for
/// one pair of shapes: forward values, or the vector-Jacobian product for an upstream gradient.
struct CoordinateMap {
    let sizes: [Int], strides: [Int]
    let batch: Int, points: Int, inputBlock: Int
    let outputShape: [Int]
    let order: Int, fillMode: CoordinateFillMode, fillValue: Float

    init(_ xs: [Int], _ cs: [Int], order: Int, fillMode: CoordinateFillMode, fillValue: Float, batchDims: Int) throws {
        guard order == 0 || order == 1 else {
            throw KerasError.invalidArgument("map_coordinates: order must be 0 or 1, got \(order)")
        }
        guard batchDims >= 0, batchDims < xs.count else {
            throw KerasError.invalidArgument("map_coordinates: batch_dims \(batchDims) must be in [0, \(xs.count)) for an input of shape \(xs)")
        }
        let r = xs.count - batchDims
        guard cs.count >= 1 + batchDims + 1, cs[0] == r else {
            throw KerasError.shapeMismatch("map_coordinates: coordinates of shape \(cs) must have \(r) (the rank of the input's interpolated axes, input \(xs)) as first dimension and at least rank \(batchDims + 2)")
        }
        guard Array(cs[1..<(1 + batchDims)]) == Array(xs[..<batchDims]) else {
            throw KerasError.shapeMismatch("map_coordinates: the batch axes of coordinates \(cs) and input \(xs) differ")
        }
        guard r <= 8, xs.dropFirst(batchDims).allSatisfy({ $0 > 0 }) else {
            throw KerasError.shapeMismatch("map_coordinates: the interpolated axes of input \(xs) must be non-empty and at most 8")
        }
        sizes = Array(xs[batchDims...])
        var st = [Int](repeating: 1, count: r)
        for a in stride(from: r - 2, through: 0, by: -1) { st[a] = st[a + 1] * sizes[a + 1] }
        strides = st
        batch = xs[..<batchDims].reduce(1, *)
        inputBlock = sizes.reduce(1, *)
        points = cs[(1 + batchDims)...].reduce(1, *)
        outputShape = Array(cs.dropFirst())
        self.order = order
        self.fillMode = fillMode
        self.fillValue = fillValue
    }

    /// Forward into `out`, or, given `g`, the gradients into `dx` and `dc` (each optional).
    func run(x: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>?,
             g: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?, dc: UnsafeMutablePointer<Float>?) {
        let r = sizes.count, corners = order == 0 ? 1 : 1 << r
        let axisStride = batch * points
        // Per axis: the two (or one) fixed indices, their validity and weights.
        var index = [Int](repeating: 0, count: 2 * r), valid = [Bool](repeating: true, count: 2 * r)
        var weight = [Float](repeating: 1, count: 2 * r)
        for b in 0..<batch {
            let base = b * inputBlock
            for o in 0..<points {
                let at = b * points + o
                for a in 0..<r {
                    // Far or non-finite positions read as outside (never an integer overflow).
                    let given = c[a * axisStride + at], size = sizes[a]
                    let pos = given.isNaN ? -1e9 : Swift.min(Swift.max(given, -1e9), 1e9)
                    if order == 0 {
                        // Halves away from zero (jax.scipy.ndimage's rounding).
                        let i = Int(pos.rounded(.toNearestOrAwayFromZero))
                        index[2 * a] = fillMode.fix(i, size)
                        valid[2 * a] = fillMode != .constant || (i >= 0 && i < size)
                        weight[2 * a] = 1
                    } else {
                        let lower = pos.rounded(.down), i = Int(lower), f = pos - lower
                        index[2 * a] = fillMode.fix(i, size)
                        index[2 * a + 1] = fillMode.fix(i + 1, size)
                        valid[2 * a] = fillMode != .constant || (i >= 0 && i < size)
                        valid[2 * a + 1] = fillMode != .constant || (i + 1 >= 0 && i + 1 < size)
                        weight[2 * a] = 1 - f
                        weight[2 * a + 1] = f
                    }
                }
                var sum: Float = 0
                let up = g?[at] ?? 0
                for m in 0..<corners {
                    // The first axis varies slowest (numpy's product order, summed in that order).
                    var w: Float = 1, offset = base, inside = true
                    for a in 0..<r {
                        let k = 2 * a + ((m >> (r - 1 - a)) & 1)
                        w = a == 0 ? weight[k] : w * weight[k]
                        offset += index[k] * strides[a]
                        inside = inside && valid[k]
                    }
                    let value = inside ? x[offset] : fillValue
                    if out != nil { sum += w * value }
                    if let dx, inside { dx[offset] += w * up }
                    if let dc, order == 1 {
                        for a in 0..<r {
                            // d weight / d position: -1 for the lower neighbour, +1 for the upper.
                            let bit = (m >> (r - 1 - a)) & 1
                            var rest: Float = bit == 1 ? 1 : -1
                            for a2 in 0..<r where a2 != a { rest *= weight[2 * a2 + ((m >> (r - 1 - a2)) & 1)] }
                            dc[a * axisStride + at] += rest * value * up
                        }
                    }
                }
                out?[at] = sum
            }
        }
    }
}
