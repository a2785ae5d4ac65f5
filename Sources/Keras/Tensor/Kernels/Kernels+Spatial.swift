/// Block copies and one-axis resampling: the loops of padding, cropping and resizing.
extension Kernels {
    /// Copies the block of shape `block` that starts at `srcStart` in `src` (shape `srcShape`)
    /// to `dstStart` in `dst` (shape `dstShape`), in contiguous runs: trailing axes the block
    /// spans whole in both tensors merge into one run. Padding copies into a zeroed tensor,
    /// cropping out of one; each is the other's gradient.
    static func copyBlock(_ src: UnsafePointer<Float>, shape srcShape: [Int], start srcStart: [Int],
                          into dst: UnsafeMutablePointer<Float>, shape dstShape: [Int], start dstStart: [Int],
                          block: [Int]) {
        let r = block.count
        guard r > 0, !block.contains(0) else { return }
        var k = r - 1, inner = 1
        while k > 0 && block[k] == srcShape[k] && block[k] == dstShape[k] {
            inner *= block[k]
            k -= 1
        }
        let run = block[k] * inner
        var srcStrides = [Int](repeating: 1, count: r), dstStrides = [Int](repeating: 1, count: r)
        for a in stride(from: r - 2, through: 0, by: -1) {
            srcStrides[a] = srcStrides[a + 1] * srcShape[a + 1]
            dstStrides[a] = dstStrides[a + 1] * dstShape[a + 1]
        }
        var s = 0, d = 0
        for a in 0..<r { s += srcStart[a] * srcStrides[a]; d += dstStart[a] * dstStrides[a] }
        let runs = block[..<k].reduce(1, *)
        var index = [Int](repeating: 0, count: k)
        for _ in 0..<runs {
            (dst + d).update(from: src + s, count: run)
            var a = k - 1
            while a >= 0 {
                index[a] += 1; s += srcStrides[a]; d += dstStrides[a]
                if index[a] < block[a] { break }
                s -= block[a] * srcStrides[a]; d -= block[a] * dstStrides[a]; index[a] = 0
                a -= 1
            }
        }
    }

    /// Where each output position of a resampled axis reads: `(1 - weight) · x[low] + weight · x[high]`.
    struct ResampleTaps {
        var low: [Int], high: [Int], weight: [Float]

        /// Linear interpolation with half-pixel centres and clamped borders, as
        /// `jax.image.resize(method="linear", antialias=False)` (Keras's `bilinear`) computes it.
        static func linear(from n: Int, to m: Int) -> ResampleTaps {
            var taps = ResampleTaps(low: [], high: [], weight: [])
            let scale = Double(n) / Double(m)
            for i in 0..<m {
                let x = Swift.min(Swift.max((Double(i) + 0.5) * scale - 0.5, 0), Double(n - 1))
                let lo = Int(x)
                taps.low.append(lo)
                taps.high.append(Swift.min(lo + 1, n - 1))
                taps.weight.append(Float(x - Double(lo)))
            }
            return taps
        }

        /// The nearest input position, `floor((i + 0.5) · n / m)`, as `jax.image.resize(method="nearest")`.
        static func nearest(from n: Int, to m: Int) -> ResampleTaps {
            let low = (0..<m).map { i in Swift.min(Int(((Float(i) + 0.5) * Float(n) / Float(m)).rounded(.down)), n - 1) }
            return ResampleTaps(low: low, high: low, weight: Array(repeating: 0, count: m))
        }
    }

    /// Resamples the middle axis of `x` (`[outer, n, inner]`) to `taps.low.count` positions.
    static func resampleAxis(_ x: UnsafePointer<Float>, outer: Int, length n: Int, inner: Int, _ taps: ResampleTaps,
                             into out: UnsafeMutablePointer<Float>) {
        let m = taps.low.count
        for o in 0..<outer {
            for i in 0..<m {
                let lo = x + (o * n + taps.low[i]) * inner, hi = x + (o * n + taps.high[i]) * inner
                let w = taps.weight[i], v = 1 - w, dst = out + (o * m + i) * inner
                for j in 0..<inner { dst[j] = v * lo[j] + w * hi[j] }
            }
        }
    }

    /// The gradient of ``resampleAxis(_:outer:length:inner:_:into:)``: adds each output
    /// gradient into the two input positions it read, by their weights (`dx` starts at zero).
    static func resampleAxisBackward(_ g: UnsafePointer<Float>, outer: Int, length n: Int, inner: Int, _ taps: ResampleTaps,
                                     into dx: UnsafeMutablePointer<Float>) {
        let m = taps.low.count
        for o in 0..<outer {
            for i in 0..<m {
                let lo = dx + (o * n + taps.low[i]) * inner, hi = dx + (o * n + taps.high[i]) * inner
                let w = taps.weight[i], v = 1 - w, src = g + (o * m + i) * inner
                for j in 0..<inner {
                    lo[j] += v * src[j]
                    hi[j] += w * src[j]
                }
            }
        }
    }
}
