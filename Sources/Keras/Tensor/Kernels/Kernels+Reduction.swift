extension Kernels {
    // MARK: Strided walks

    /// Calls `body(i, o)` for each flat index `i` of `shape` with the offset `o` given by `strides`.
    static func forEachOffset(_ shape: [Int], _ strides: [Int], _ body: (Int, Int) -> Void) {
        let n = shape.reduce(1, *)
        var index = [Int](repeating: 0, count: shape.count)
        var o = 0
        for i in 0..<n {
            body(i, o)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                o += strides[d]
                if index[d] < shape[d] { break }
                o -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    /// `x` with its axes permuted by `p` (`out.shape[i] = x.shape[p[i]]`).
    static func permuted(_ x: Tensor, _ p: [Int]) -> Tensor {
        if p == Array(0..<x.rank) { return x.detached }
        let outShape = p.map { x.shape[$0] }
        var inStrides = [Int](repeating: 1, count: x.rank)
        for d in stride(from: x.rank - 2, through: 0, by: -1) { inStrides[d] = inStrides[d + 1] * x.shape[d + 1] }
        let strides = p.map { inStrides[$0] }
        let out = Tensor.uninitialized(outShape)
        forEachOffset(outShape, strides) { i, o in out.data[i] = x.data[o] }
        return out
    }

    // MARK: Extremes

    /// The extreme (by `better`) of `x` reduced to `kept` (a shape with 1 on reduced axes);
    /// NaN where every value is NaN.
    static func extreme(_ x: Tensor, kept: [Int], strides: [Int], _ better: (Float, Float) -> Bool) -> Tensor {
        let best = Tensor(shape: kept, repeating: .nan)
        forEachOffset(x.shape, strides) { i, o in
            let v = x.data[i]
            if best.data[o].isNaN || better(v, best.data[o]) { best.data[o] = v }
        }
        return best
    }

    /// The gradient of ``extreme(_:kept:strides:_:)``: `g` shared equally among the ties.
    static func extremeBackward(_ x: Tensor, best: Tensor, upstream g: Tensor, kept: [Int], strides: [Int]) -> Tensor {
        let ties = Tensor(shape: kept, repeating: 0)
        forEachOffset(x.shape, strides) { i, o in if x.data[i] == best.data[o] { ties.data[o] += 1 } }
        let dx = Tensor(shape: x.shape, repeating: 0)
        forEachOffset(x.shape, strides) { i, o in
            if x.data[i] == best.data[o] { dx.data[i] = g.data[o] / ties.data[o] }
        }
        return dx
    }

    /// Index of the largest of the `n` values strided by `inner`, for each (outer, inner) pair;
    /// the first one on ties.
    static func argmax(_ px: UnsafePointer<Float>, into po: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int) {
        for o in 0..<outer {
            for i in 0..<inner {
                let base = px + o * n * inner + i
                var best = 0
                var bv = base[0]
                for k in 1..<n {
                    let v = base[k * inner]
                    if v > bv { bv = v; best = k }
                }
                po[o * inner + i] = Float(best)
            }
        }
    }
}
