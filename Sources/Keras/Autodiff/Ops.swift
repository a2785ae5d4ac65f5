#if canImport(Glibc)
import Glibc
#endif

/// Differentiable tensor operations. Keras: `keras.ops`.
///
/// Every operation validates its arguments (throwing ``KerasError``), computes the result with a
/// kernel, and, when a ``GradientTape`` is recording and an input is tracked, records its
/// vector-Jacobian product.
public enum Ops {
    /// The recording tape when one of the inputs is on it.
    @inline(__always) static func recording(_ a: Tensor) -> GradientTape? {
        guard a.node >= 0, let t = GradientTape.active, t.tracks(a) else { return nil }
        return t
    }

    @inline(__always) static func recording(_ a: Tensor, _ b: Tensor) -> GradientTape? {
        guard a.node >= 0 || b.node >= 0, let t = GradientTape.active, t.tracks(a) || t.tracks(b) else { return nil }
        return t
    }

    static func broadcastShape(_ op: String, _ a: Tensor, _ b: Tensor) throws -> [Int] {
        guard let s = Kernels.broadcastShape(a.shape, b.shape) else {
            throw KerasError.shapeMismatch("\(op): shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        return s
    }

    // MARK: Arithmetic

    public static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = Kernels.broadcast(a, b, shape: try broadcastShape("add", a, b), +)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            if t.tracks(a) { t.accumulate(a, Kernels.sumToShape(g, a.shape)) }
            if t.tracks(b) { t.accumulate(b, Kernels.sumToShape(g, b.shape)) }
        }
    }

    public static func subtract(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = Kernels.broadcast(a, b, shape: try broadcastShape("subtract", a, b), -)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            if t.tracks(a) { t.accumulate(a, Kernels.sumToShape(g, a.shape)) }
            if t.tracks(b) { t.accumulate(b, Kernels.sumToShape(Kernels.scale(g, -1), b.shape)) }
        }
    }

    public static func multiply(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try broadcastShape("multiply", a, b)
        let out = Kernels.broadcast(a, b, shape: shape, *)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            if t.tracks(a) { t.accumulate(a, Kernels.sumToShape(Kernels.broadcast(g, b, shape: shape, *), a.shape)) }
            if t.tracks(b) { t.accumulate(b, Kernels.sumToShape(Kernels.broadcast(g, a, shape: shape, *), b.shape)) }
        }
    }

    public static func divide(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let shape = try broadcastShape("divide", a, b)
        let out = Kernels.broadcast(a, b, shape: shape, /)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            let gOverB = Kernels.broadcast(g, b, shape: shape, /)
            if t.tracks(a) { t.accumulate(a, Kernels.sumToShape(gOverB, a.shape)) }
            if t.tracks(b) {
                let gb = Kernels.zipMap(gOverB, out, shape: shape) { -$0 * $1 }
                t.accumulate(b, Kernels.sumToShape(gb, b.shape))
            }
        }
    }

    public static func negative(_ x: Tensor) -> Tensor {
        unary(x, { -$0 }, { _, _, g in -g })
    }

    // MARK: Elementwise math

    /// An elementwise op `y = f(x)` whose derivative is `grad(x, y, upstream)`.
    @inline(__always)
    static func unary(_ x: Tensor, _ f: (Float) -> Float,
                      _ grad: @escaping (Float, Float, Float) -> Float) -> Tensor {
        let out = Kernels.map(x, f)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            let px = x.data, py = out.data, pg = g.data, pd = dx.data
            Parallel.forEachChunk(x.count) { r in
                for i in r { pd[i] = grad(px[i], py[i], pg[i]) }
            }
            t.accumulate(x, dx)
        }
    }

    public static func exp(_ x: Tensor) -> Tensor { unary(x, { Glibc.expf($0) }, { _, y, g in g * y }) }
    public static func log(_ x: Tensor) -> Tensor { unary(x, { Glibc.logf($0) }, { x, _, g in g / x }) }
    public static func sqrt(_ x: Tensor) -> Tensor { unary(x, { $0.squareRoot() }, { _, y, g in g * 0.5 / y }) }
    public static func square(_ x: Tensor) -> Tensor { unary(x, { $0 * $0 }, { x, _, g in 2 * x * g }) }
    public static func abs(_ x: Tensor) -> Tensor {
        unary(x, { Swift.abs($0) }, { x, _, g in x > 0 ? g : (x < 0 ? -g : 0) })
    }
    public static func sign(_ x: Tensor) -> Tensor {
        unary(x, { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, { _, _, _ in 0 })
    }
    public static func pow(_ x: Tensor, _ p: Float) -> Tensor {
        unary(x, { Glibc.powf($0, p) }, { x, _, g in g * p * Glibc.powf(x, p - 1) })
    }
    public static func log1p(_ x: Tensor) -> Tensor { unary(x, { Glibc.log1pf($0) }, { x, _, g in g / (1 + x) }) }
    public static func expm1(_ x: Tensor) -> Tensor { unary(x, { Glibc.expm1f($0) }, { _, y, g in g * (y + 1) }) }
    public static func cos(_ x: Tensor) -> Tensor { unary(x, { Glibc.cosf($0) }, { x, _, g in -g * Glibc.sinf(x) }) }
    public static func sin(_ x: Tensor) -> Tensor { unary(x, { Glibc.sinf($0) }, { x, _, g in g * Glibc.cosf(x) }) }

    /// `x * s + b` for scalars.
    public static func affine(_ x: Tensor, scale s: Float, offset b: Float = 0) -> Tensor {
        unary(x, { $0 * s + b }, { _, _, g in g * s })
    }

    /// Clips into `[low, high]`; the gradient passes where the input was inside.
    public static func clip(_ x: Tensor, _ low: Float, _ high: Float) -> Tensor {
        unary(x, { Swift.min(Swift.max($0, low), high) }, { x, _, g in (x >= low && x <= high) ? g : 0 })
    }

    /// Elementwise maximum with broadcasting; ties send the gradient to `a`.
    public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try select("maximum", a, b) { $0 >= $1 }
    }

    /// Elementwise minimum with broadcasting; ties send the gradient to `a`.
    public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try select("minimum", a, b) { $0 <= $1 }
    }

    /// The angle of the point `(x, y)` elementwise with broadcasting, in `[-π, π]`. Keras:
    /// `ops.arctan2(y, x)`.
    public static func arctan2(_ y: Tensor, _ x: Tensor) throws -> Tensor {
        let shape = try broadcastShape("arctan2", y, x)
        let out = Kernels.broadcast(y, x, shape: shape) { Glibc.atan2f($0, $1) }
        guard let tape = recording(y, x) else { return out }
        return tape.record(out) { g, t in
            // d/dy = x / (x² + y²), d/dx = -y / (x² + y²); 0 at the origin.
            func part(_ f: @escaping (Float, Float) -> Float) -> Tensor {
                Kernels.zipMap(g, Kernels.broadcast(y, x, shape: shape) { a, b in
                    let r = a * a + b * b
                    return r > 0 ? f(a, b) / r : 0
                }, shape: shape, *)
            }
            if t.tracks(y) { t.accumulate(y, Kernels.sumToShape(part { _, b in b }, y.shape)) }
            if t.tracks(x) { t.accumulate(x, Kernels.sumToShape(part { a, _ in -a }, x.shape)) }
        }
    }

    static func select(_ op: String, _ a: Tensor, _ b: Tensor, _ pickA: @escaping (Float, Float) -> Bool) throws -> Tensor {
        let shape = try broadcastShape(op, a, b)
        let out = Kernels.broadcast(a, b, shape: shape) { pickA($0, $1) ? $0 : $1 }
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            let mask = Kernels.broadcast(a, b, shape: shape) { pickA($0, $1) ? 1 : 0 }
            if t.tracks(a) { t.accumulate(a, Kernels.sumToShape(Kernels.zipMap(g, mask, shape: shape, *), a.shape)) }
            if t.tracks(b) { t.accumulate(b, Kernels.sumToShape(Kernels.zipMap(g, mask, shape: shape) { $0 * (1 - $1) }, b.shape)) }
        }
    }

    /// `condition ? a : b` elementwise (condition non-zero); no gradient to the condition.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard condition.shape == a.shape, a.shape == b.shape else {
            throw KerasError.shapeMismatch("where: condition \(condition.shape), x \(a.shape) and y \(b.shape) must have the same shape")
        }
        let out = Tensor.uninitialized(a.shape)
        Kernels.select(condition.data, a.data, b.data, into: out.data, count: a.count)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            t.accumulate(a, Kernels.zipMap(g, condition, shape: a.shape) { $1 != 0 ? $0 : 0 })
            t.accumulate(b, Kernels.zipMap(g, condition, shape: a.shape) { $1 != 0 ? 0 : $0 })
        }
    }

    // MARK: Comparisons (not differentiable)

    public static func greater(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        Kernels.broadcast(a, b, shape: try broadcastShape("greater", a, b)) { $0 > $1 ? 1 : 0 }
    }
    public static func equal(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        Kernels.broadcast(a, b, shape: try broadcastShape("equal", a, b)) { $0 == $1 ? 1 : 0 }
    }
    public static func stopGradient(_ x: Tensor) -> Tensor { x.detached }
}

// MARK: Operators

public func + (a: Tensor, b: Tensor) throws -> Tensor { try Ops.add(a, b) }
public func - (a: Tensor, b: Tensor) throws -> Tensor { try Ops.subtract(a, b) }
public func * (a: Tensor, b: Tensor) throws -> Tensor { try Ops.multiply(a, b) }
public func / (a: Tensor, b: Tensor) throws -> Tensor { try Ops.divide(a, b) }
public prefix func - (x: Tensor) -> Tensor { Ops.negative(x) }
public func + (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: 1, offset: s) }
public func - (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: 1, offset: -s) }
public func * (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: s) }
public func / (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: 1 / s) }
public func + (s: Float, a: Tensor) -> Tensor { Ops.affine(a, scale: 1, offset: s) }
public func - (s: Float, a: Tensor) -> Tensor { Ops.affine(a, scale: -1, offset: s) }
public func * (s: Float, a: Tensor) -> Tensor { Ops.affine(a, scale: s) }
