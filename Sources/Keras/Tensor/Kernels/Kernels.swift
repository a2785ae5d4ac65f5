#if canImport(Glibc)
import Glibc
#endif

/// Plain float kernels over contiguous buffers: no taping, no validation (callers check shapes).
enum Kernels {
    // MARK: Eight lanes

    /// The eight floats at `p` (no alignment needed).
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Writes eight floats at `p` (no alignment needed).
    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// The `V` (eight or four floats) at `p` (no alignment needed): for kernels that finish
    /// with one narrower vector (four filters) before their scalar tail.
    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    /// Writes the floats of `v` at `p` (no alignment needed).
    @inline(__always)
    static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    // MARK: Elementwise

    /// `out[i] = f(x[i])`, split across cores when large.
    @inline(__always)
    static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        let out = Tensor.uninitialized(x.shape)
        let src = x.data, dst = out.data
        Parallel.forEachChunk(x.count) { r in
            for i in r { dst[i] = f(src[i]) }
        }
        return out
    }

    /// `out[i] = f(a[i], b[i])` for equal counts.
    @inline(__always)
    static func zipMap(_ a: Tensor, _ b: Tensor, shape: [Int], _ f: (Float, Float) -> Float) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let pa = a.data, pb = b.data, dst = out.data
        Parallel.forEachChunk(out.count) { r in
            for i in r { dst[i] = f(pa[i], pb[i]) }
        }
        return out
    }

    static func addSameShape(_ a: Tensor, _ b: Tensor) -> Tensor {
        zipMap(a, b, shape: a.shape, +)
    }

    static func scale(_ x: Tensor, _ s: Float) -> Tensor { map(x) { $0 * s } }

    /// `out[i] = condition[i] != 0 ? a[i] : b[i]` for equal counts.
    static func select(_ condition: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                       into out: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { out[i] = condition[i] != 0 ? a[i] : b[i] }
    }

    // MARK: Broadcasting

    /// The numpy broadcast of two shapes, or nil when they do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Strides of `shape` placed into an output of rank `rank`, zero on broadcast axes.
    static func broadcastStrides(_ shape: [Int], into out: [Int]) -> [Int] {
        let rank = out.count
        var strides = [Int](repeating: 0, count: rank)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + rank - shape.count
            strides[o] = shape[i] == 1 && out[o] != 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }

    /// True when `small` (leading ones dropped) equals the trailing dimensions of `big`.
    static func isSuffix(_ small: [Int], of big: [Int]) -> Bool {
        let trimmed = small.drop(while: { $0 == 1 })
        return trimmed.count <= big.count && Array(big.suffix(trimmed.count)) == Array(trimmed)
    }

    /// `f(a, b)` with numpy broadcasting; `shape` is the broadcast shape.
    @inline(__always)
    static func broadcast(_ a: Tensor, _ b: Tensor, shape: [Int], _ f: (Float, Float) -> Float) -> Tensor {
        let n = shape.reduce(1, *)
        if a.count == n && b.count == n { return zipMap(a, b, shape: shape, f) }
        let out = Tensor.uninitialized(shape)
        let pa = a.data, pb = b.data, dst = out.data
        if a.count == 1 && b.count == 1 {
            let v = f(pa[0], pb[0])
            dst.initialize(repeating: v, count: n)
        } else if b.count == 1 && a.count == n {
            let s = pb[0]
            Parallel.forEachChunk(n) { r in for i in r { dst[i] = f(pa[i], s) } }
        } else if a.count == 1 && b.count == n {
            let s = pa[0]
            Parallel.forEachChunk(n) { r in for i in r { dst[i] = f(s, pb[i]) } }
        } else if a.count == n && isSuffix(b.shape, of: shape) {
            let m = b.count
            for row in 0..<(n / m) {
                let base = row * m
                for j in 0..<m { dst[base + j] = f(pa[base + j], pb[j]) }
            }
        } else if b.count == n && isSuffix(a.shape, of: shape) {
            let m = a.count
            for row in 0..<(n / m) {
                let base = row * m
                for j in 0..<m { dst[base + j] = f(pa[j], pb[base + j]) }
            }
        } else {
            let sa = broadcastStrides(a.shape, into: shape)
            let sb = broadcastStrides(b.shape, into: shape)
            var index = [Int](repeating: 0, count: shape.count)
            var oa = 0, ob = 0
            for i in 0..<n {
                dst[i] = f(pa[oa], pb[ob])
                var d = shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    oa += sa[d]; ob += sb[d]
                    if index[d] < shape[d] { break }
                    oa -= sa[d] * shape[d]; ob -= sb[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }

    /// `x` repeated to `shape` (numpy `broadcast_to`); the caller checks that the shapes broadcast.
    static func broadcastTo(_ x: Tensor, _ shape: [Int]) -> Tensor {
        if x.shape == shape { return x }
        let n = shape.reduce(1, *)
        if x.count == 1 {
            let out = Tensor.uninitialized(shape)
            out.data.initialize(repeating: x.data[0], count: n)
            return out
        }
        if let (outer, n, inner) = broadcastRun(x.shape, into: shape) {
            // One run of broadcast axes: each row of `inner` values is copied `n` times.
            let out = Tensor.uninitialized(shape)
            let src = x.data, dst = out.data
            for o in 0..<outer {
                for r in 0..<n { (dst + (o * n + r) * inner).update(from: src + o * inner, count: inner) }
            }
            return out
        }
        let zero = Tensor(shape: [], repeating: 0)
        return broadcast(x, zero, shape: shape) { a, _ in a }
    }

    /// `(outer, n, inner)` when `small` broadcasts to `big` along one run of adjacent axes: `big`
    /// is `[outer, n, inner]` and `small` `[outer, 1, inner]` once their axes are grouped (e.g.
    /// `[32, 1, 64]` into `[32, 64, 64]`: the gradient of a mean over the middle axis).
    static func broadcastRun(_ small: [Int], into big: [Int]) -> (outer: Int, n: Int, inner: Int)? {
        guard small.count <= big.count else { return nil }
        let padded = Array(repeating: 1, count: big.count - small.count) + small
        var first = -1, last = -1
        for i in 0..<big.count where padded[i] != big[i] {
            guard padded[i] == 1 else { return nil }
            if first < 0 { first = i } else if (last + 1..<i).contains(where: { big[$0] != 1 && padded[$0] == big[$0] }) { return nil }
            last = i
        }
        guard first >= 0 else { return nil }
        return (big[..<first].reduce(1, *), big[first...last].reduce(1, *), big[(last + 1)...].reduce(1, *))
    }

    /// Sums `g` down to `shape`, undoing a broadcast (the gradient of broadcasting).
    static func sumToShape(_ g: Tensor, _ shape: [Int]) -> Tensor {
        if g.shape == shape { return g }
        let target = shape.reduce(1, *)
        let out = Tensor(shape: shape, repeating: 0)
        let src = g.data, dst = out.data
        if target == g.count { out.data.update(from: src, count: target); return out }
        if target == 1 {
            var s: Float = 0
            for i in 0..<g.count { s += src[i] }
            dst[0] = s
        } else if let (outer, n, inner) = broadcastRun(shape, into: g.shape) {
            // One run of summed axes (a suffix shape is outer = 1): rows of `inner` added up.
            for o in 0..<outer {
                let d = dst + o * inner
                for r in 0..<n {
                    let s = src + (o * n + r) * inner
                    for j in 0..<inner { d[j] += s[j] }
                }
            }
        } else {
            let st = broadcastStrides(shape, into: g.shape)
            var index = [Int](repeating: 0, count: g.shape.count)
            var o = 0
            for i in 0..<g.count {
                dst[o] += src[i]
                var d = g.shape.count - 1
                while d >= 0 {
                    index[d] += 1
                    o += st[d]
                    if index[d] < g.shape[d] { break }
                    o -= st[d] * g.shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }
}
