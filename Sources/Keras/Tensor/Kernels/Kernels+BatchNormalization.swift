/// Batch normalization: per-channel sums over every axis but the channel axis, and the
/// per-channel affine maps of the forward and backward passes, as tight loops over contiguous
/// data: 8 channels (channels-last) or 8 positions of one channel (channels-first) per SIMD
/// step, Float partial sums over blocks of `sumBlock` elements per lane, added into Double.
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

    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// Per channel `c`: `first[c] = Σ (u − su[c])` and `second[c] = Σ (u − su[c])·(v − sv[c])`
    /// over the channel's elements of `u` and `v` (laid out as `l`); a nil shift is 0. The
    /// moments are `u = v = x` shifted by a value of each channel; the gradient sums `u = g`,
    /// `v = x` shifted by the mean. Split over the outer axis across cores.
    static func channelSums(_ l: ChannelLayout, _ u: UnsafePointer<Float>, shift su: UnsafePointer<Float>?,
                            _ v: UnsafePointer<Float>, shift sv: UnsafePointer<Float>?,
                            into first: UnsafeMutablePointer<Double>, _ second: UnsafeMutablePointer<Double>) {
        let c = l.channels, parts = Parallel.partCount(rows: l.outer, width: l.width)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(parts * 2 * c, 1)) { buffer in
            guard let partial = buffer.baseAddress else { return }
            partial.initialize(repeating: 0, count: parts * 2 * c)
            Parallel.forEachPart(l.outer, parts: parts) { p, rows in
                let s1 = partial + p * 2 * c, s2 = s1 + c
                if l.inner == 1 {
                    channelsLastSums(rows, c, u, su, v, sv, s1, s2)
                } else {
                    for o in rows {
                        for ch in 0..<c {
                            let (a, b) = runSums(u + l.start(o, ch), su?[ch] ?? 0, v + l.start(o, ch), sv?[ch] ?? 0, l.inner)
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

    /// ``channelSums(_:_:shift:_:shift:into:_:)`` of rows `rows` of `channels`-wide rows, added onto `s1`, `s2`.
    @inline(__always)
    private static func channelsLastSums(_ rows: Range<Int>, _ channels: Int,
                                         _ u: UnsafePointer<Float>, _ su: UnsafePointer<Float>?,
                                         _ v: UnsafePointer<Float>, _ sv: UnsafePointer<Float>?,
                                         _ s1: UnsafeMutablePointer<Double>, _ s2: UnsafeMutablePointer<Double>) {
        let vectorEnd = channels - channels % 8
        for block in stride(from: rows.lowerBound, to: rows.upperBound, by: sumBlock) {
            let blockRows = block..<Swift.min(block + sumBlock, rows.upperBound)
            for c in stride(from: 0, to: vectorEnd, by: 8) {
                let ku = su.map { load8($0 + c) } ?? .zero, kv = sv.map { load8($0 + c) } ?? .zero
                var a = SIMD8<Float>.zero, b = SIMD8<Float>.zero
                for r in blockRows {
                    let i = r * channels + c
                    let du = load8(u + i) - ku
                    a += du
                    b += du * (load8(v + i) - kv)
                }
                for j in 0..<8 {
                    s1[c + j] += Double(a[j])
                    s2[c + j] += Double(b[j])
                }
            }
            for c in vectorEnd..<channels {
                let ku = su?[c] ?? 0, kv = sv?[c] ?? 0
                var a: Float = 0, b: Float = 0
                for r in blockRows {
                    let du = u[r * channels + c] - ku
                    a += du
                    b += du * (v[r * channels + c] - kv)
                }
                s1[c] += Double(a)
                s2[c] += Double(b)
            }
        }
    }

    /// `(Σ (u − ku), Σ (u − ku)·(v − kv))` over `n` contiguous elements.
    @inline(__always)
    private static func runSums(_ u: UnsafePointer<Float>, _ ku: Float, _ v: UnsafePointer<Float>, _ kv: Float,
                                _ n: Int) -> (Double, Double) {
        var s1 = 0.0, s2 = 0.0
        let vectorEnd = n - n % 8, ku8 = SIMD8(repeating: ku), kv8 = SIMD8(repeating: kv)
        for block in stride(from: 0, to: vectorEnd, by: 8 * sumBlock) {
            var a = SIMD8<Float>.zero, b = SIMD8<Float>.zero
            for i in stride(from: block, to: Swift.min(block + 8 * sumBlock, vectorEnd), by: 8) {
                let du = load8(u + i) - ku8
                a += du
                b += du * (load8(v + i) - kv8)
            }
            s1 += Double(a.sum())
            s2 += Double(b.sum())
        }
        for i in vectorEnd..<n {
            let du = u[i] - ku
            s1 += Double(du)
            s2 += Double(du * (v[i] - kv))
        }
        return (s1, s2)
    }

    /// The mean and the (biased) variance of each channel of `x`: sums of `x` shifted by the
    /// channel's first element (so that a large mean costs no precision), then
    /// `mean = shift + Σd / n`, `variance = Σd² / n − (Σd / n)²`.
    static func channelMoments(_ x: UnsafePointer<Float>, _ l: ChannelLayout,
                               mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        let c = l.channels
        withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(2 * c, 1)) { buffer in
            guard let sums = buffer.baseAddress else { return }
            // The shifts go in `mean`, overwritten below.
            for ch in 0..<c { mean[ch] = l.perChannel > 0 ? x[l.start(0, ch)] : 0 }
            channelSums(l, x, shift: mean, x, shift: mean, into: sums, sums + c)
            let n = Double(Swift.max(l.perChannel, 1))
            for ch in 0..<c {
                let d = sums[ch] / n
                variance[ch] = Float(Swift.max(sums[c + ch] / n - d * d, 0))
                mean[ch] = Float(Double(mean[ch]) + d)
            }
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
                    if let (py, q) = y { o += load8(py + base + ch) * load8(q + ch) }
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
