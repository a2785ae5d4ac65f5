/// Batch normalization: per-channel statistics over every axis but the channel axis, and the
/// per-channel affine maps of the forward and backward passes.
extension Kernels {
    /// A tensor seen as `(outer, channels, inner)` around its channel axis: channels-last data
    /// has `inner == 1`, channels-first images `outer == batch`.
    struct ChannelLayout {
        let outer: Int
        let channels: Int
        let inner: Int

        /// The layout of `shape` around `axis` (counted from the front).
        init(_ shape: [Int], axis: Int) {
            outer = shape[..<axis].reduce(1, *)
            channels = shape[axis]
            inner = shape[(axis + 1)...].reduce(1, *)
        }

        /// The number of elements per channel.
        var perChannel: Int { outer * inner }
    }

    /// Per-channel sums of the two terms `term(i, c)` gives for element `i` of channel `c`, in
    /// Double, over slices of the outer axis in parallel (one partial sum per slice).
    @inline(__always)
    static func channelSums(_ l: ChannelLayout, into first: UnsafeMutablePointer<Double>,
                            _ second: UnsafeMutablePointer<Double>, _ term: (Int, Int) -> (Double, Double)) {
        let c = l.channels, inner = l.inner
        let parts = Parallel.partCount(rows: l.outer, width: c * inner)
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: parts * 2 * c)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: parts * 2 * c)
        Parallel.forEachPart(l.outer, parts: parts) { p, rows in
            let s1 = partial + p * 2 * c, s2 = s1 + c
            for o in rows {
                let base = o * c * inner
                guard inner > 1 else {
                    for ch in 0..<c {
                        let (u, v) = term(base + ch, ch)
                        s1[ch] += u
                        s2[ch] += v
                    }
                    continue
                }
                for ch in 0..<c {
                    var a = 0.0, b = 0.0
                    for i in base + ch * inner..<base + (ch + 1) * inner {
                        let (u, v) = term(i, ch)
                        a += u
                        b += v
                    }
                    s1[ch] += a
                    s2[ch] += b
                }
            }
        }
        first.initialize(repeating: 0, count: c)
        second.initialize(repeating: 0, count: c)
        for p in 0..<parts {
            for ch in 0..<c {
                first[ch] += partial[p * 2 * c + ch]
                second[ch] += partial[p * 2 * c + c + ch]
            }
        }
    }

    /// Calls `body(i, c)` for every element `i` and its channel `c`, over slices of the outer
    /// axis in parallel.
    @inline(__always)
    static func forEachChannelElement(_ l: ChannelLayout, _ body: (Int, Int) -> Void) {
        let c = l.channels, inner = l.inner
        Parallel.forEachPart(l.outer, parts: Parallel.partCount(rows: l.outer, width: c * inner)) { _, rows in
            for o in rows {
                let base = o * c * inner
                guard inner > 1 else {
                    for ch in 0..<c { body(base + ch, ch) }
                    continue
                }
                for ch in 0..<c {
                    for i in base + ch * inner..<base + (ch + 1) * inner { body(i, ch) }
                }
            }
        }
    }

    /// The mean and the (biased) variance of each channel of `x`, in one pass with sums in Double.
    static func channelMoments(_ x: UnsafePointer<Float>, _ l: ChannelLayout,
                               mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        let c = l.channels
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
        defer { sums.deallocate() }
        channelSums(l, into: sums, sums + c) { i, _ in
            let v = Double(x[i])
            return (v, v * v)
        }
        let n = Double(Swift.max(l.perChannel, 1))
        for ch in 0..<c {
            let m = sums[ch] / n
            mean[ch] = Float(m)
            variance[ch] = Float(Swift.max(sums[c + ch] / n - m * m, 0))
        }
    }
}
