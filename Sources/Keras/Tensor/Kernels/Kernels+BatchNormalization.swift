/// Batch normalization: per-channel sums over every axis but the channel axis, and the
/// per-channel affine maps of the forward and backward passes, as tight loops over contiguous
/// data: 8 channels (channels-last) or 8 positions of one channel (channels-first) per SIMD
/// step, Float partial sums over blocks of `sumBlock` elements per lane, merged in Double.
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
        /// The elements of one outer slice.
        var width: Int { channels * inner }
        /// The offset of the first element of channel `c` in outer slice `o`.
        func start(_ o: Int, _ c: Int) -> Int { (o * channels + c) * inner }
    }

    /// Elements per SIMD lane summed in Float before the block's sum is added into Double.
    private static let sumBlock = 64

    /// Per channel `c`: `first[c] = Σ u` and `second[c] = Σ u·(v − shift[c])` over the channel's
    /// elements of `u` and `v` (laid out as `l`): the gradient sums `Σ g` and `Σ g·(x − mean)`.
    /// Split over the outer axis across cores.
    static func channelSums(_ l: ChannelLayout, _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, shift sv: UnsafePointer<Float>,
                            into first: UnsafeMutablePointer<Double>, _ second: UnsafeMutablePointer<Double>) {
        let c = l.channels, parts = Parallel.partCount(rows: l.outer, width: l.width)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(parts * 2 * c, 1)) { buffer in
            guard let partial = buffer.baseAddress else { return }
            partial.initialize(repeating: 0, count: parts * 2 * c)
            Parallel.forEachPart(l.outer, parts: parts) { p, rows in
                let s1 = partial + p * 2 * c, s2 = s1 + c
                if l.inner == 1 {
                    channelsLastSums(rows, c, u, v, sv, s1, s2)
                } else {
                    for o in rows {
                        for ch in 0..<c {
                            let (a, b) = runSums(u + l.start(o, ch), v + l.start(o, ch), sv[ch], l.inner)
                            s1[ch] += a
                            s2[ch] += b
                        }
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
    }

    /// ``channelSums(_:_:_:shift:into:_:)`` of rows `rows` of `channels`-wide rows, added onto `s1`, `s2`.
    @inline(__always)
    private static func channelsLastSums(_ rows: Range<Int>, _ channels: Int, _ u: UnsafePointer<Float>,
                                         _ v: UnsafePointer<Float>, _ sv: UnsafePointer<Float>,
                                         _ s1: UnsafeMutablePointer<Double>, _ s2: UnsafeMutablePointer<Double>) {
        let vectorEnd = channels - channels % 8
        for block in stride(from: rows.lowerBound, to: rows.upperBound, by: sumBlock) {
            let blockRows = block..<Swift.min(block + sumBlock, rows.upperBound)
            for c in stride(from: 0, to: vectorEnd, by: 8) {
                let kv = load8(sv + c)
                var a = SIMD8<Float>.zero, b = SIMD8<Float>.zero
                for r in blockRows {
                    let i = r * channels + c, du = load8(u + i)
                    a += du
                    b += du * (load8(v + i) - kv)
                }
                for j in 0..<8 {
                    s1[c + j] += Double(a[j])
                    s2[c + j] += Double(b[j])
                }
            }
            for c in vectorEnd..<channels {
                let kv = sv[c]
                var a: Float = 0, b: Float = 0
                for r in blockRows {
                    let du = u[r * channels + c]
                    a += du
                    b += du * (v[r * channels + c] - kv)
                }
                s1[c] += Double(a)
                s2[c] += Double(b)
            }
        }
    }

    /// `(Σ u, Σ u·(v − kv))` over `n` contiguous elements.
    @inline(__always)
    private static func runSums(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ kv: Float, _ n: Int) -> (Double, Double) {
        var s1 = 0.0, s2 = 0.0
        let vectorEnd = n - n % 8, kv8 = SIMD8(repeating: kv)
        for block in stride(from: 0, to: vectorEnd, by: 8 * sumBlock) {
            var a = SIMD8<Float>.zero, b = SIMD8<Float>.zero
            for i in stride(from: block, to: Swift.min(block + 8 * sumBlock, vectorEnd), by: 8) {
                let du = load8(u + i)
                a += du
                b += du * (load8(v + i) - kv8)
            }
            s1 += Double(a.sum())
            s2 += Double(b.sum())
        }
        for i in vectorEnd..<n {
            let du = u[i]
            s1 += Double(du)
            s2 += Double(du * (v[i] - kv))
        }
        return (s1, s2)
    }

    /// The mean and the (biased) variance of each channel of `x`, robust to a large mean or an
    /// outlier: per block of `sumBlock` rows (8 channels a lane) or `8·sumBlock` positions (one
    /// channel) in cache, the block's mean from sums shifted by its first value and its sum of
    /// squared deviations in a second pass over the block; blocks, then parts across cores,
    /// merged in Double (Chan, Golub & LeVeque's pairwise update).
    static func channelMoments(_ x: UnsafePointer<Float>, _ l: ChannelLayout,
                               mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        let c = l.channels, parts = Parallel.partCount(rows: l.outer, width: l.width), slot = 2 * c + 1
        withUnsafeTemporaryAllocation(of: Double.self, capacity: parts * slot) { buffer in
            // Per part: the running means, the sums of squared deviations, the count.
            guard let acc = buffer.baseAddress else { return }
            acc.initialize(repeating: 0, count: parts * slot)
            Parallel.forEachPart(l.outer, parts: parts) { p, rows in
                let means = acc + p * slot, m2 = means + c, count = m2 + c
                if l.inner == 1 {
                    channelsLastMoments(x, rows, c, means, m2, count)
                } else {
                    for o in rows {
                        for ch in 0..<c {
                            var n = count[0]
                            runMoments(x + l.start(o, ch), l.inner, &means[ch], &m2[ch], &n)
                        }
                        count[0] += Double(l.inner)
                    }
                }
            }
            mergeMoments(acc, parts: parts, channels: c, mean: mean, variance: variance)
        }
    }

    /// Merges the per-part moments `acc` (per part `2c + 1` Doubles: the running means, the sums
    /// of squared deviations, the count), in part order, into the mean and the biased variance.
    static func mergeMoments(_ acc: UnsafeMutablePointer<Double>, parts: Int, channels c: Int,
                             mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        let slot = 2 * c + 1
        for p in Swift.stride(from: 1, to: parts, by: 1) {
            let other = acc + p * slot
            for ch in 0..<c { merge(&acc[ch], &acc[c + ch], count: acc[2 * c], other[ch], other[c + ch], count: other[2 * c]) }
            acc[2 * c] += other[2 * c]
        }
        let n = Swift.max(acc[2 * c], 1)
        for ch in 0..<c {
            mean[ch] = Float(acc[ch])
            variance[ch] = Float(Swift.max(acc[c + ch] / n, 0))
        }
    }

    /// The moments of channels-last rows handed over one at a time by a kernel that has just
    /// stored them (still in L1), so that BatchNormalization's statistics need no second pass
    /// over its input: blocks of `sumBlock` rows summed in Float around the block's first row,
    /// `Σd` and `Σd²`, each block's mean and squared deviations `Σd² − (Σd)²/n` merged in Double
    /// into one part's slot of ``mergeMoments(_:parts:channels:mean:variance:)`` (zeroed first).
    struct RowMoments {
        let channels: Int
        /// `3·channels` Floats: the block's first row, `Σd`, `Σd²`.
        let block: UnsafeMutablePointer<Float>
        let slot: UnsafeMutablePointer<Double>
        private var rows = 0

        init(channels: Int, scratch: UnsafeMutablePointer<Float>, into slot: UnsafeMutablePointer<Double>) {
            self.channels = channels
            block = scratch
            self.slot = slot
        }

        /// Adds the row `x`.
        @inline(__always)
        mutating func add(_ x: UnsafePointer<Float>) {
            let c = channels, s = block + c, q = s + c, vectorEnd = c - c % 8
            if rows == 0 {
                block.update(from: x, count: c)
                s.update(repeating: 0, count: 2 * c)
                rows = 1
                return
            }
            for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                let d = load8(x + j) - load8(block + j)
                store8(load8(s + j) + d, s + j)
                store8(load8(q + j) + d * d, q + j)
            }
            for j in vectorEnd..<c {
                let d = x[j] - block[j]
                s[j] += d
                q[j] += d * d
            }
            rows &+= 1
            if rows == sumBlock { flush() }
        }

        /// Merges the rows of the current block into the slot.
        mutating func flush() {
            guard rows > 0 else { return }
            let c = channels, s = block + c, q = s + c, nb = Double(rows), n = slot[2 * c]
            for j in 0..<c {
                let e = Double(s[j]) / nb
                merge(&slot[j], &slot[c + j], count: n, Double(block[j]) + e, Swift.max(Double(q[j]) - nb * e * e, 0), count: nb)
            }
            slot[2 * c] += nb
            rows = 0
        }
    }

    /// Adds a group of `nb` values with mean `bm` and squared deviations `bq` to a running
    /// `(mean, m2)` of `n` values.
    @inline(__always)
    private static func merge(_ mean: inout Double, _ m2: inout Double, count n: Double, _ bm: Double, _ bq: Double, count nb: Double) {
        let total = n + nb
        guard total > 0 else { return }
        let delta = bm - mean
        mean += delta * nb / total
        m2 += bq + delta * delta * n * nb / total
    }

    /// The moments of the channels-last rows `rows`, merged into `means`, `m2` and `count[0]`.
    @inline(__always)
    private static func channelsLastMoments(_ x: UnsafePointer<Float>, _ rows: Range<Int>, _ channels: Int,
                                            _ means: UnsafeMutablePointer<Double>, _ m2: UnsafeMutablePointer<Double>,
                                            _ count: UnsafeMutablePointer<Double>) {
        let vectorEnd = channels - channels % 8
        for block in Swift.stride(from: rows.lowerBound, to: rows.upperBound, by: sumBlock) {
            let blockRows = block..<Swift.min(block + sumBlock, rows.upperBound), n = count[0]
            let nb = Double(blockRows.count), nf = Float(blockRows.count)
            for c in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                let first = load8(x + block * channels + c)
                var s = SIMD8<Float>.zero, q = SIMD8<Float>.zero
                for r in blockRows { s += load8(x + r * channels + c) - first }
                let center = first + s / nf
                for r in blockRows {
                    let d = load8(x + r * channels + c) - center
                    q += d * d
                }
                for j in 0..<8 {
                    let bm = Double(first[j]) + Double(s[j]) / nb, e = bm - Double(center[j])
                    merge(&means[c + j], &m2[c + j], count: n, bm, Double(q[j]) - nb * e * e, count: nb)
                }
            }
            for c in vectorEnd..<channels {
                let first = x[block * channels + c]
                var s: Float = 0, q: Float = 0
                for r in blockRows { s += x[r * channels + c] - first }
                let center = first + s / nf
                for r in blockRows { q += (x[r * channels + c] - center) * (x[r * channels + c] - center) }
                let bm = Double(first) + Double(s) / nb, e = bm - Double(center)
                merge(&means[c], &m2[c], count: n, bm, Double(q) - nb * e * e, count: nb)
            }
            count[0] += nb
        }
    }

    /// The moments of `n` contiguous values of one channel merged into `(mean, m2)` of `count`
    /// values (`count` is advanced).
    @inline(__always)
    private static func runMoments(_ x: UnsafePointer<Float>, _ n: Int, _ mean: inout Double, _ m2: inout Double,
                                   _ count: inout Double) {
        for block in Swift.stride(from: 0, to: n, by: 8 * sumBlock) {
            let end = Swift.min(block + 8 * sumBlock, n), vectorEnd = block + (end - block) / 8 * 8
            let first = x[block], nb = Double(end - block)
            var s8 = SIMD8<Float>.zero, q8 = SIMD8<Float>.zero, s: Float = 0, q: Float = 0
            for i in Swift.stride(from: block, to: vectorEnd, by: 8) { s8 += load8(x + i) - SIMD8(repeating: first) }
            for i in vectorEnd..<end { s += x[i] - first }
            s += s8.sum()
            let center = first + s / Float(end - block)
            for i in Swift.stride(from: block, to: vectorEnd, by: 8) {
                let d = load8(x + i) - SIMD8(repeating: center)
                q8 += d * d
            }
            for i in vectorEnd..<end { q += (x[i] - center) * (x[i] - center) }
            q += q8.sum()
            let bm = Double(first) + Double(s) / nb, e = bm - Double(center)
            merge(&mean, &m2, count: count, bm, Double(q) - nb * e * e, count: nb)
            count += nb
        }
    }

    /// Per channel `c` of `channels`: `rstd = 1 / √(variance + epsilon)`, then batch
    /// normalization's affine map `x · a + b` with `a = rstd · scale`, `b = offset − mean · a`
    /// (scale 1, offset 0 when absent).
    static func batchNormAffine(mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, epsilon: Float,
                                scale: UnsafePointer<Float>?, offset: UnsafePointer<Float>?, channels: Int,
                                rstd: UnsafeMutablePointer<Float>, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            rstd[c] = 1 / (variance[c] + epsilon).squareRoot()
            a[c] = rstd[c] * (scale?[c] ?? 1)
            b[c] = (offset?[c] ?? 0) - mean[c] * a[c]
        }
    }

    /// The backward of batch normalization with batch statistics over `count` elements per
    /// channel, from ``channelSums(_:_:_:shift:into:_:)``'s `Σg` (`sums`) and `Σg·(x − mean)`
    /// (`sums + channels`): per channel `dScale = Σg·x̂`, `dOffset = Σg`, and `q`, `r` of
    /// `dx = a·g + q·x + r` (``channelAffine(_:_:_:_:plus:into:)``).
    static func batchNormBackward(sums: UnsafePointer<Double>, channels: Int, count: Int, a: UnsafePointer<Float>,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                  q: UnsafeMutablePointer<Float>, r: UnsafeMutablePointer<Float>,
                                  dScale: UnsafeMutablePointer<Float>?, dOffset: UnsafeMutablePointer<Float>?) {
        let n = Float(Swift.max(count, 1))
        for c in 0..<channels {
            let sumG = Float(sums[c]), sumGX = Float(sums[channels + c] * Double(rstd[c]))
            q[c] = -a[c] * rstd[c] * (sumGX / n)
            r[c] = a[c] * (mean[c] * rstd[c] * (sumGX / n) - sumG / n)
            dScale?[c] = sumGX
            dOffset?[c] = sumG
        }
    }

    /// `out = x · a[c] + b[c]`, plus `y · q[c]` when `y` is given, for every element of channel `c`.
    static func channelAffine(_ l: ChannelLayout, _ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                              _ b: UnsafePointer<Float>, plus y: (UnsafePointer<Float>, q: UnsafePointer<Float>)?,
                              into out: UnsafeMutablePointer<Float>) {
        Parallel.forEachPart(l.outer, parts: Parallel.partCount(rows: l.outer, width: l.width)) { _, rows in
            // Two inlined copies, so that neither tests `y` inside its loops.
            if let y {
                affine(l, rows, x, a, b, y, out)
            } else {
                affine(l, rows, x, a, b, nil, out)
            }
        }
    }

    /// ``channelAffine(_:_:_:_:plus:into:)`` over the outer slices `rows`.
    @inline(__always)
    private static func affine(_ l: ChannelLayout, _ rows: Range<Int>, _ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                               _ b: UnsafePointer<Float>, _ y: (UnsafePointer<Float>, q: UnsafePointer<Float>)?,
                               _ out: UnsafeMutablePointer<Float>) {
        let c = l.channels
        if l.inner == 1 {
            let vectorEnd = c - c % 8
            for r in rows {
                let base = r * c
                for ch in stride(from: 0, to: vectorEnd, by: 8) {
                    var o = load8(x + base + ch) * load8(a + ch) + load8(b + ch)
                    if let y { o += load8(y.0 + base + ch) * load8(y.q + ch) }
                    store8(o, out + base + ch)
                }
                for ch in vectorEnd..<c {
                    out[base + ch] = x[base + ch] * a[ch] + b[ch] + (y.map { $0.0[base + ch] * $0.q[ch] } ?? 0)
                }
            }
            return
        }
        let n = l.inner, vectorEnd = n - n % 8
        for o in rows {
            for ch in 0..<c {
                let s = l.start(o, ch), a1 = a[ch], b1 = b[ch], q1 = y?.q[ch] ?? 0
                let px = x + s, po = out + s, py = y.map { $0.0 + s }
                let a8 = SIMD8(repeating: a1), b8 = SIMD8(repeating: b1), q8 = SIMD8(repeating: q1)
                for i in stride(from: 0, to: vectorEnd, by: 8) {
                    var v = load8(px + i) * a8 + b8
                    if let py { v += load8(py + i) * q8 }
                    store8(v, po + i)
                }
                for i in vectorEnd..<n { po[i] = px[i] * a1 + b1 + (py.map { $0[i] * q1 } ?? 0) }
            }
        }
    }
}
