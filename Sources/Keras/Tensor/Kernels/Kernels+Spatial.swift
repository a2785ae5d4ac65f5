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

    /// Where each output position of a resampled axis reads: `width` input positions and their
    /// weights per output position (unused taps have weight 0).
    struct ResampleTaps {
        var width: Int, index: [Int], weight: [Float]
        var count: Int { index.count / Swift.max(width, 1) }

        /// Interpolation by `kernel` of support `radius`, as `jax.image.resize` computes it
        /// (`compute_weight_mat`): half-pixel centres, the weights of the taps inside the input
        /// normalized to sum 1. `antialias`: when reducing (`m < n`) the kernel is widened by
        /// `n / m`, a low-pass filter as well as an interpolation; enlarging is unchanged.
        static func kernel(from n: Int, to m: Int, radius: Int, antialias: Bool = false, _ kernel: (Float) -> Float) -> ResampleTaps {
            let inverse = 1 / Float(Double(m) / Double(n))
            let kernelScale = antialias ? Swift.max(inverse, 1) : 1
            let span = Float(radius) * kernelScale
            let width = 2 * Int(span.rounded(.up)) + 1
            var taps = ResampleTaps(width: width, index: Array(repeating: 0, count: m * width), weight: Array(repeating: 0, count: m * width))
            for i in 0..<m {
                let sample = (Float(i) + 0.5) * inverse - 0.5
                guard sample >= -0.5 && sample <= Float(n) - 0.5 else { continue }
                let first = Swift.max(Int((sample - span).rounded(.up)), 0)
                let last = Swift.min(Int((sample + span).rounded(.down)), n - 1, first + width - 1)
                guard first <= last else { continue }
                var total: Float = 0
                for (t, j) in (first...last).enumerated() {
                    let w = kernel(abs(sample - Float(j)) / kernelScale)
                    taps.index[i * width + t] = j
                    taps.weight[i * width + t] = w
                    total += w
                }
                guard abs(total) > 1000 * Float.ulpOfOne else {
                    for t in 0..<width { taps.weight[i * width + t] = 0 }
                    continue
                }
                for t in 0..<width { taps.weight[i * width + t] /= total }
            }
            return taps
        }

        /// The nearest input position, `floor((i + 0.5) · n / m)`, as `jax.image.resize(method="nearest")`.
        static func nearest(from n: Int, to m: Int) -> ResampleTaps {
            let index = (0..<m).map { i in Swift.min(Int(((Float(i) + 0.5) * Float(n) / Float(m)).rounded(.down)), n - 1) }
            return ResampleTaps(width: 1, index: index, weight: Array(repeating: 1, count: m))
        }
    }

    /// Resamples the middle axis of `x` (`[outer, n, inner]`) to `taps.count` positions, adding
    /// into `out` (zeroed by the caller). `transposed`: the gradient instead, from `x` shaped
    /// `[outer, taps.count, inner]` into `out` shaped `[outer, n, inner]`, each value added to
    /// the input positions it was read from, by their weights.
    static func resampleAxis(_ x: UnsafePointer<Float>, outer: Int, length n: Int, inner: Int, _ taps: ResampleTaps,
                             into out: UnsafeMutablePointer<Float>, transposed: Bool = false) {
        let m = taps.count, k = taps.width
        for o in 0..<outer {
            for i in 0..<m {
                let resampled = (o * m + i) * inner
                for t in (i * k)..<(i * k + k) where taps.weight[t] != 0 {
                    let original = (o * n + taps.index[t]) * inner, w = taps.weight[t]
                    let src = x + (transposed ? resampled : original), dst = out + (transposed ? original : resampled)
                    for j in 0..<inner { dst[j] += w * src[j] }
                }
            }
        }
    }
}
