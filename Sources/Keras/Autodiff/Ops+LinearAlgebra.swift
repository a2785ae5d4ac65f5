#if canImport(Glibc)
import Glibc
#endif

/// Linear algebra on batches of square matrices (the last two axes; every leading axis a batch),
/// each matrix computed in double and read at its run-time size, so that the ops run on sizes
/// unknown when a layer was traced. Keras: `ops.inv`, `ops.det`, `ops.slogdet`, `ops.solve`,
/// `ops.cholesky` (JAX's values: a singular matrix gives infinities or NaN, a matrix that is not
/// positive definite a Cholesky factor of NaN, rather than an error).
extension Ops {
    /// The size n of the n×n matrices in the last two axes of `x`.
    static func squareSize(_ op: String, _ x: Tensor) throws -> Int {
        guard x.rank >= 2, x.shape[x.rank - 1] == x.shape[x.rank - 2] else {
            throw KerasError.shapeMismatch("\(op): expects square matrices in the last two axes, got shape \(x.shape)")
        }
        return x.shape[x.rank - 1]
    }

    /// `body(i, A)` for each n×n matrix A (row-major, double) of `x`; its float results, each of
    /// `size` values, in one tensor of `shape`.
    private static func perMatrix(_ x: Tensor, _ n: Int, shape: [Int], size: Int,
                                  _ body: (Int, [Double]) -> [Double]) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let px = x.data, po = out.data, count = n * n
        for i in 0..<(count == 0 ? 0 : x.count / count) {
            let r = body(i, (0..<count).map { Double(px[i * count + $0]) })
            for j in 0..<size { po[i * size + j] = Float(r[j]) }
        }
        return out
    }

    /// The inverse of each matrix. The gradient: -Yᵀ G Yᵀ for Y the inverse.
    public static func inv(_ x: Tensor) throws -> Tensor {
        let n = try squareSize("inv", x)
        let out = perMatrix(x, n, shape: x.shape, size: n * n) { _, a in DenseMatrix.inverse(a, n) }
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            t.accumulate(x, perMatrix(out, n, shape: x.shape, size: n * n) { i, y in
                let yt = DenseMatrix.transpose(y, n, n)
                return DenseMatrix.product(DenseMatrix.product(yt, DenseMatrix.matrix(g, i, n * n), n, n, n), yt, n, n, n).map { -$0 }
            })
        }
    }

    /// The determinant (`logAbs`: the log of its absolute value) of each matrix, of shape
    /// `x.shape` without its last two axes. The gradient: g · det · A⁻ᵀ (g · A⁻ᵀ for the log).
    public static func determinant(_ x: Tensor, logAbs: Bool = false) throws -> Tensor {
        let n = try squareSize(logAbs ? "slogdet" : "det", x)
        let shape = Array(x.shape.dropLast(2))
        let out = perMatrix(x, n, shape: shape, size: 1) { _, a in
            let (sign, logAbsDet) = DenseMatrix.logDeterminant(a, n)
            return [logAbs ? logAbsDet : sign * Glibc.exp(logAbsDet)]
        }
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            t.accumulate(x, perMatrix(x, n, shape: x.shape, size: n * n) { i, a in
                let scale = Double(g.data[i]) * (logAbs ? 1 : Double(out.data[i]))
                return DenseMatrix.transpose(DenseMatrix.inverse(a, n), n, n).map { $0 * scale }
            })
        }
    }

    /// The sign of each matrix's determinant (-1, 0 or 1; no gradient). Keras: `slogdet(x)[0]`.
    public static func determinantSign(_ x: Tensor) throws -> Tensor {
        let n = try squareSize("slogdet", x)
        return perMatrix(x.detached, n, shape: Array(x.shape.dropLast(2)), size: 1) { _, a in [DenseMatrix.logDeterminant(a, n).sign] }
    }

    /// X with A X = B for each matrix A of `a` (n×n) and B of `b` (n×k), the same leading axes.
    /// The gradients: Gb = A⁻ᵀ G, Ga = -Gb Xᵀ.
    public static func solve(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let n = try squareSize("solve", a)
        guard b.rank == a.rank, b.shape.dropLast(2) == a.shape.dropLast(2), b.shape[b.rank - 2] == n else {
            throw KerasError.shapeMismatch("solve: b of shape \(b.shape) does not match a of shape \(a.shape) (b must be (..., \(n), k) with a's leading axes)")
        }
        let k = b.shape[b.rank - 1]
        let out = perMatrix(a, n, shape: b.shape, size: n * k) { i, m in
            DenseMatrix.solve(m, n, DenseMatrix.matrix(b, i, n * k), k)
        }
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            // Gb of each matrix, then Ga from it.
            let gb = perMatrix(a, n, shape: b.shape, size: n * k) { i, m in
                DenseMatrix.solve(DenseMatrix.transpose(m, n, n), n, DenseMatrix.matrix(g, i, n * k), k)
            }
            if t.tracks(b) { t.accumulate(b, gb) }
            if t.tracks(a) {
                t.accumulate(a, perMatrix(a, n, shape: a.shape, size: n * n) { i, _ in
                    let xt = DenseMatrix.transpose(DenseMatrix.matrix(out, i, n * k), n, k)
                    return DenseMatrix.product(DenseMatrix.matrix(gb, i, n * k), xt, n, k, n).map { -$0 }
                })
            }
        }
    }

    /// The Cholesky factor L (Lᵀ when `upper`) of each matrix, symmetrized first as JAX does
    /// ((A + Aᵀ) / 2); NaN where that is not positive definite. The gradient (Murray 2016):
    /// sym(L⁻ᵀ Φ(Lᵀ Ḡ) L⁻¹), Φ the lower triangle with its diagonal halved.
    public static func cholesky(_ x: Tensor, upper: Bool = false) throws -> Tensor {
        let n = try squareSize("cholesky", x)
        let lower = perMatrix(x, n, shape: x.shape, size: n * n) { _, a in DenseMatrix.cholesky(a, n) }
        let out = upper ? perMatrix(lower, n, shape: x.shape, size: n * n, { _, l in DenseMatrix.transpose(l, n, n) }) : lower
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            t.accumulate(x, perMatrix(lower, n, shape: x.shape, size: n * n) { i, l in
                let gm = DenseMatrix.matrix(g, i, n * n)
                let gl = upper ? DenseMatrix.transpose(gm, n, n) : gm
                var phi = DenseMatrix.product(DenseMatrix.transpose(l, n, n), gl, n, n, n)
                for r in 0..<n {
                    for c in 0..<n { phi[r * n + c] *= c < r ? 1 : (c == r ? 0.5 : 0) }
                }
                let li = DenseMatrix.inverse(l, n)
                let s = DenseMatrix.product(DenseMatrix.product(DenseMatrix.transpose(li, n, n), phi, n, n, n), li, n, n, n)
                let st = DenseMatrix.transpose(s, n, n)
                return zip(s, st).map { ($0 + $1) / 2 }
            })
        }
    }
}

/// Dense matrices in double, row-major, one at a time: what the batched ops above run per matrix.
enum DenseMatrix {
    /// Matrix `i` (of `size` values) of `t`, in double.
    static func matrix(_ t: Tensor, _ i: Int, _ size: Int) -> [Double] {
        let p = t.data
        return (0..<size).map { Double(p[i * size + $0]) }
    }

    static func transpose(_ a: [Double], _ rows: Int, _ columns: Int) -> [Double] {
        var t = [Double](repeating: 0, count: a.count)
        for r in 0..<rows {
            for c in 0..<columns { t[c * rows + r] = a[r * columns + c] }
        }
        return t
    }

    /// The (m×n) product of an m×k and a k×n matrix.
    static func product(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for l in 0..<k {
                let ail = a[i * k + l]
                if ail == 0 { continue }
                for j in 0..<n { c[i * n + j] += ail * b[l * n + j] }
            }
        }
        return c
    }

    /// LU with partial pivoting of an n×n matrix in place (L's unit diagonal implied), the rows'
    /// order (`order[i]`: the original row now at i) and the permutation's sign. A zero column
    /// below the diagonal leaves a zero pivot (a singular matrix).
    static func luFactor(_ a: inout [Double], _ n: Int) -> (order: [Int], sign: Double) {
        var order = Array(0..<n), sign = 1.0
        for k in 0..<n {
            var p = k
            for r in (k + 1)..<n where Swift.abs(a[r * n + k]) > Swift.abs(a[p * n + k]) { p = r }
            if p != k {
                for c in 0..<n { a.swapAt(k * n + c, p * n + c) }
                order.swapAt(k, p)
                sign = -sign
            }
            let pivot = a[k * n + k]
            if pivot == 0 { continue }
            for r in (k + 1)..<n {
                let f = a[r * n + k] / pivot
                a[r * n + k] = f
                if f == 0 { continue }
                for c in (k + 1)..<n { a[r * n + c] -= f * a[k * n + c] }
            }
        }
        return (order, sign)
    }

    /// X (n×k) with A X = B; infinities or NaN where A is singular.
    static func solve(_ a: [Double], _ n: Int, _ b: [Double], _ k: Int) -> [Double] {
        var lu = a
        let (order, _) = luFactor(&lu, n)
        var x = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<k { x[i * k + j] = b[order[i] * k + j] }
        }
        for i in 0..<n {         // L y = P b (unit diagonal)
            for l in 0..<i where lu[i * n + l] != 0 {
                for j in 0..<k { x[i * k + j] -= lu[i * n + l] * x[l * k + j] }
            }
        }
        for i in stride(from: n - 1, through: 0, by: -1) {   // U x = y
            for l in (i + 1)..<n where lu[i * n + l] != 0 {
                for j in 0..<k { x[i * k + j] -= lu[i * n + l] * x[l * k + j] }
            }
            for j in 0..<k { x[i * k + j] /= lu[i * n + i] }
        }
        return x
    }

    static func inverse(_ a: [Double], _ n: Int) -> [Double] {
        var identity = [Double](repeating: 0, count: n * n)
        for i in 0..<n { identity[i * n + i] = 1 }
        return solve(a, n, identity, n)
    }

    /// (sign, log |det|) of an n×n matrix: (0, -inf) when it is singular.
    static func logDeterminant(_ a: [Double], _ n: Int) -> (sign: Double, logAbs: Double) {
        var lu = a
        var sign = luFactor(&lu, n).sign
        var logAbs = 0.0
        for i in 0..<n {
            let u = lu[i * n + i]
            if u == 0 { return (0, -.infinity) }
            if u.isNaN { return (.nan, .nan) }
            if u < 0 { sign = -sign }
            logAbs += Glibc.log(Swift.abs(u))
        }
        return (sign, logAbs)
    }

    /// The lower Cholesky factor of (A + Aᵀ) / 2; all NaN where that is not positive definite.
    static func cholesky(_ a: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = (a[i * n + j] + a[j * n + i]) / 2
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { return [Double](repeating: .nan, count: n * n) }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        return l
    }
}
