/// Convolutions whose reduction is tiny (window taps × input channels ≤ ``directConvLimit``: the
/// first layer of an image model, 9 for a 3×3 kernel on one channel, 27 on RGB), computed from
/// the input directly instead of through im2col and GEMM, which at such a `k` spend most of their
/// time copying the windows and packing (issue 12, reference/kernels.md): eight filters per SIMD
/// vector, bias and relu fused into the single store of each output, samples split across cores.
/// The kernel and bias gradients are accumulated the same way (the relu's backward fused in),
/// per sample in Float and across samples in Double.
extension Kernels {
    /// The largest reduction (taps × input channels) that runs the direct kernels.
    static let directConvLimit = 32

    /// `out[row, f] = bias[f] + Σ_t Σ_c x[tap_t(row), c] · w[t·cin + c, f]` over the windows of
    /// `g` (channels-last `x`, `w` of `windowSize·cin × filters`), clamped at zero when `relu`;
    /// with `moments`, also the mean and biased variance of each filter's outputs, summed as each
    /// row is stored (``RowMoments``: a BatchNormalization after it reads its input once less).
    static func directConv(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           _ g: WindowGeometry, filters f: Int, relu: Bool, into out: UnsafeMutablePointer<Float>,
                           moments: (mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>)? = nil) {
        let cin = g.channels, parts = Parallel.balancedPartCount(rows: g.batch, width: g.outputsPerSample * f)
        let slot = 2 * f + 1, wanted = moments != nil
        withUnsafeTemporaryAllocation(of: Double.self, capacity: wanted ? parts * slot : 1) { doubles in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: wanted ? parts * 3 * f : 1) { floats in
                guard let totals = doubles.baseAddress, let scratch = floats.baseAddress else { return }
                if wanted { totals.initialize(repeating: 0, count: parts * slot) }
                Parallel.forEachPart(g.batch, parts: parts) { p, samples in
                    var sums = wanted ? RowMoments(channels: f, scratch: scratch + p * 3 * f, into: totals + p * slot) : nil
                    g.forEachWindow(samples: samples) { row, taps in
                        directConvRow(x, w, bias: bias, taps, channels: cin, filters: f, relu: relu, into: out + row * f)
                        sums?.add(out + row * f)
                    }
                    sums?.flush()
                }
                if let moments { mergeMoments(totals, parts: parts, channels: f, mean: moments.mean, variance: moments.variance) }
            }
        }
    }

    /// The `f` outputs of one window (its input offsets in `taps`, -1 in the padding) into `o`:
    /// 32 filters at a time in four vectors, so that each tap adds into four independent sums
    /// (one chain of dependent additions per vector would bind the loop to the adder's latency).
    @inline(__always)
    static func directConvRow(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              _ taps: UnsafeMutableBufferPointer<Int>, channels cin: Int, filters f: Int, relu: Bool,
                              into o: UnsafeMutablePointer<Float>) {
        let vectorEnd = f - f % 8
        var j = 0
        while j &+ 32 <= vectorEnd {
            var a0 = SIMD8<Float>.zero, a1 = a0, a2 = a0, a3 = a0
            if let bias { (a0, a1, a2, a3) = (load8(bias + j), load8(bias + j + 8), load8(bias + j + 16), load8(bias + j + 24)) }
            for t in 0..<taps.count where taps[t] >= 0 {
                let xs = x + taps[t] &* cin, ws = w + ((t &* cin) &* f &+ j)
                for c in 0..<cin {
                    let v = SIMD8<Float>(repeating: xs[c]), wc = ws + c &* f
                    a0 += v * load8(wc)
                    a1 += v * load8(wc + 8)
                    a2 += v * load8(wc + 16)
                    a3 += v * load8(wc + 24)
                }
            }
            if relu {
                a0.replace(with: 0, where: a0 .< 0)
                a1.replace(with: 0, where: a1 .< 0)
                a2.replace(with: 0, where: a2 .< 0)
                a3.replace(with: 0, where: a3 .< 0)
            }
            store8(a0, o + j)
            store8(a1, o + j + 8)
            store8(a2, o + j + 16)
            store8(a3, o + j + 24)
            j &+= 32
        }
        while j < vectorEnd {
            directConvLanes(SIMD8<Float>.self, x, w, bias: bias, taps, channels: cin, filters: f, relu: relu, at: j, into: o)
            j &+= 8
        }
        // Four filters left (a 4-filter layer would otherwise run scalar throughout).
        if f &- j >= 4 {
            directConvLanes(SIMD4<Float>.self, x, w, bias: bias, taps, channels: cin, filters: f, relu: relu, at: j, into: o)
            j &+= 4
        }
        for j in j..<f {
            var acc = bias?[j] ?? 0
            for t in 0..<taps.count where taps[t] >= 0 {
                let xs = x + taps[t] &* cin, ws = w + ((t &* cin) &* f &+ j)
                for c in 0..<cin { acc += xs[c] * ws[c &* f] }
            }
            o[j] = relu ? Swift.max(acc, 0) : acc
        }
    }

    /// Filters `j..<j + V.scalarCount` of one window, as ``directConvRow`` computes them.
    @inline(__always)
    static func directConvLanes<V: SIMD>(_: V.Type, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                         bias: UnsafePointer<Float>?, _ taps: UnsafeMutableBufferPointer<Int>,
                                         channels cin: Int, filters f: Int, relu: Bool, at j: Int,
                                         into o: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        var acc: V = bias.map { load($0 + j) } ?? .zero
        for t in 0..<taps.count where taps[t] >= 0 {
            let xs = x + taps[t] &* cin, ws = w + ((t &* cin) &* f &+ j)
            for c in 0..<cin { acc += V(repeating: xs[c]) * load(ws + c &* f) }
        }
        if relu { acc.replace(with: 0, where: acc .< 0) }
        store(acc, o + j)
    }

    /// The kernel and bias gradients of ``directConv(_:_:bias:_:filters:relu:into:)`` from the
    /// upstream gradient `up` of its output `out`: with `relu`, `dz = up` where `out > 0`, else
    /// 0 (the activation's backward fused in; without `relu`, `up` is already `dz`), then
    /// `dw[t·cin + c, f] = Σ_row x[tap_t(row), c] · dz[row, f]` and `db[f] = Σ_row dz[row, f]`
    /// (both overwritten; `db` may be nil).
    static func directConvBackward(_ x: UnsafePointer<Float>, upstream up: UnsafePointer<Float>, output out: UnsafePointer<Float>,
                                   relu: Bool, _ g: WindowGeometry, filters f: Int,
                                   kernel dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?) {
        let vectorEnd = f - f % 8
        directConvGradients(x, g, filters: f, work: g.outputsPerSample * f, kernel: dw, bias: db) { n, pending in
            g.forEachWindow(samples: n..<(n + 1)) { row, taps in
                let u = up + row * f, o = out + row * f, dz = pending.next
                for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                    var d = load8(u + j)
                    if relu { d.replace(with: 0, where: .!(load8(o + j) .> 0)) }
                    store8(d, dz + j)
                }
                for j in vectorEnd..<f { dz[j] = !relu || o[j] > 0 ? u[j] : 0 }
                pending.append(taps)
            }
        }
    }

    /// What the direct weight-gradient kernels share: the samples split across cores, and
    /// `sample(n, pending)` handing each window of sample `n` to `pending` (its `dz` row in
    /// ``PendingWindows/next``, then ``PendingWindows/append(_:)``), summed per sample in Float
    /// and across samples in Double into
    /// `dw` and `db`. `work` is the elements of one sample (whether fanning out pays).
    @inline(__always)
    static func directConvGradients(_ x: UnsafePointer<Float>, _ g: WindowGeometry, filters f: Int, work: Int,
                                    kernel dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?,
                                    _ sample: (Int, inout PendingWindows) -> Void) {
        let size = (g.windowSize * g.channels + 1) * f, slot = size + PendingWindows.capacity * f
        let tapSlot = PendingWindows.capacity * g.windowSize
        let parts = Parallel.balancedPartCount(rows: g.batch, width: work)
        // Per part: Float sums of one sample (kernel rows, then the bias row), the pending dz
        // rows, the pending taps, and Double totals; from the thread's pool (a warm step mallocs none).
        let pool = BufferPool.current
        let scratch = pool.take(parts * slot)
        let tapScratch = pool.take(Int.self, parts * tapSlot)
        let total = pool.take(Double.self, parts * size)
        defer {
            pool.give(scratch, parts * slot)
            pool.give(tapScratch, parts * tapSlot)
            pool.give(total, parts * size)
        }
        total.initialize(repeating: 0, count: parts * size)
        Parallel.forEachPart(g.batch, parts: parts) { p, samples in
            let acc = scratch + p * slot, sum = total + p * size
            var pending = PendingWindows(x: x, channels: g.channels, windowSize: g.windowSize, filters: f,
                                         dz: acc + size, taps: tapScratch + p * tapSlot, into: acc)
            for n in samples {
                acc.initialize(repeating: 0, count: size)
                sample(n, &pending)
                pending.flush()
                for i in 0..<size { sum[i] += Double(acc[i]) }
            }
        }
        for i in 0..<size {
            var s = 0.0
            for p in 0..<parts { s += total[p * size + i] }
            if i < size - f { dw[i] = Float(s) } else if let db { db[i - (size - f)] = Float(s) }
        }
    }

    /// Windows whose `dz` rows wait to be added into the kernel and bias gradient rows `acc`
    /// (`windowSize·cin` kernel rows, then the bias row): gathered ``capacity`` at a time, so
    /// that each gradient row's sums stay in registers across them instead of being loaded and
    /// stored once per window. The sums run in window order, as one window at a time would.
    struct PendingWindows {
        static let capacity = 16
        let x: UnsafePointer<Float>
        let cin: Int, windowSize: Int, f: Int
        let dz: UnsafeMutablePointer<Float>
        let taps: UnsafeMutablePointer<Int>
        let acc: UnsafeMutablePointer<Float>
        var count = 0

        init(x: UnsafePointer<Float>, channels: Int, windowSize: Int, filters: Int, dz: UnsafeMutablePointer<Float>,
             taps: UnsafeMutablePointer<Int>, into acc: UnsafeMutablePointer<Float>) {
            self.x = x
            cin = channels
            self.windowSize = windowSize
            f = filters
            self.dz = dz
            self.taps = taps
            self.acc = acc
        }

        /// The `dz` row of the next window, to fill before ``append(_:)``.
        var next: UnsafeMutablePointer<Float> { dz + count &* f }

        /// Queues the window with input offsets `t` (its `dz` row written at ``next``).
        @inline(__always)
        mutating func append(_ t: UnsafeMutableBufferPointer<Int>) {
            let dst = taps + count &* windowSize
            for i in 0..<windowSize { dst[i] = t[i] }
            count &+= 1
            if count == Self.capacity { flush() }
        }

        /// Adds the queued windows into `acc`.
        @inline(__always)
        mutating func flush() {
            guard count > 0 else { return }
            addRows(tap: -1, channel: 0, into: acc + windowSize &* cin &* f)
            for t in 0..<windowSize {
                for c in 0..<cin { addRows(tap: t, channel: c, into: acc + (t &* cin &+ c) &* f) }
            }
            count = 0
        }

        /// `row += Σ_r s_r · dz_r` over the queued windows, `s_r` the input at tap `tap`,
        /// channel `c` of window `r` (windows where the tap is padding are skipped), or 1 for
        /// the bias row (`tap` -1). Four vectors of filters at a time.
        @inline(__always)
        private func addRows(tap t: Int, channel c: Int, into row: UnsafeMutablePointer<Float>) {
            let vectorEnd = f - f % 8
            var j = 0
            while j &+ 32 <= vectorEnd {
                var a0 = load8(row + j), a1 = load8(row + j + 8), a2 = load8(row + j + 16), a3 = load8(row + j + 24)
                for r in 0..<count {
                    guard let s = scale(r, t, c) else { continue }
                    let v = SIMD8<Float>(repeating: s), d = dz + (r &* f &+ j)
                    a0 += v * load8(d)
                    a1 += v * load8(d + 8)
                    a2 += v * load8(d + 16)
                    a3 += v * load8(d + 24)
                }
                store8(a0, row + j)
                store8(a1, row + j + 8)
                store8(a2, row + j + 16)
                store8(a3, row + j + 24)
                j &+= 32
            }
            while j < vectorEnd {
                addLanes(SIMD8<Float>.self, tap: t, channel: c, at: j, into: row)
                j &+= 8
            }
            if f &- j >= 4 {
                addLanes(SIMD4<Float>.self, tap: t, channel: c, at: j, into: row)
                j &+= 4
            }
            for j in j..<f {
                for r in 0..<count {
                    guard let s = scale(r, t, c) else { continue }
                    row[j] += s * dz[r &* f &+ j]
                }
            }
        }

        /// ``addRows(tap:channel:into:)`` for filters `j..<j + V.scalarCount`.
        @inline(__always)
        private func addLanes<V: SIMD>(_: V.Type, tap t: Int, channel c: Int, at j: Int,
                                       into row: UnsafeMutablePointer<Float>) where V.Scalar == Float {
            var a: V = Kernels.load(row + j)
            for r in 0..<count {
                guard let s = scale(r, t, c) else { continue }
                a += V(repeating: s) * Kernels.load(dz + (r &* f &+ j))
            }
            Kernels.store(a, row + j)
        }

        /// The input at tap `t`, channel `c` of queued window `r`; nil in the padding; 1 for `t` -1.
        @inline(__always)
        private func scale(_ r: Int, _ t: Int, _ c: Int) -> Float? {
            guard t >= 0 else { return 1 }
            let tap = taps[r &* windowSize &+ t]
            return tap >= 0 ? x[tap &* cin &+ c] : nil
        }
    }
}
