/// A direct convolution (relu or linear) and the max pooling after it as one kernel, for pools
/// whose windows tile the convolution's output without overlap (strides equal to the pool size,
/// no padding: `MaxPooling2D(2)` after the first `Conv2D` of an image model). The convolution's
/// output is never stored: each pooling window's positions are computed in turn and only their
/// maximum and its position in the window (one byte) are kept, a quarter of the traffic for a
/// 2×2 pool. After conv → relu → max pool, the convolution's gradient is the pooled gradient at
/// the argmax position where the pooled value is positive (relu) and zero elsewhere, so the
/// backward builds each position's `dz` from the pooled gradient in registers and accumulates the
/// kernel and bias gradients as ``Kernels/directConvBackward(_:upstream:output:relu:_:filters:kernel:bias:)``
/// does, without the full-size gradient the pooling's scatter and the relu's mask would write.
/// Results equal the two separate ops: the same outputs and argmax (first maximum, NaN never
/// wins) and the same gradients up to the order of the Float sums within a sample.
extension Kernels {
    /// A convolution's geometry and the non-overlapping max-pooling windows over its output.
    struct PooledConvGeometry {
        /// The convolution over the input.
        let conv: WindowGeometry
        /// The pool window (and stride) per axis (depth, height, width).
        let pool: (Int, Int, Int)
        /// The pooled positions per axis.
        let output: (Int, Int, Int)

        /// The pooling geometry `poolGeometry` (over the convolution's output, strides equal to
        /// its window, no padding) fused with `conv`; nil when the windows overlap, are padded,
        /// or hold more positions than a byte indexes.
        init?(conv: WindowGeometry, pooling p: WindowGeometry) {
            guard p.stride == p.window, p.padBefore == (0, 0, 0), p.dilation == (1, 1, 1), p.windowSize <= 256,
                  p.input == conv.output, p.batch == conv.batch else { return nil }
            self.conv = conv
            pool = p.window
            output = p.output
        }

        var batch: Int { conv.batch }
        /// Pooled positions of one sample.
        var outputsPerSample: Int { output.0 * output.1 * output.2 }

        /// Calls `body(pooledRow, k, n, od, oh, ow)` for every convolution position `(od, oh, ow)`
        /// of sample `n` inside a pooling window of the samples `samples`, in order: `k` is the
        /// position's index in its window.
        @inline(__always)
        func forEachWindowPosition(samples: Range<Int>, _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
            var row = samples.lowerBound * outputsPerSample
            for n in samples {
                for pd in 0..<output.0 {
                    for ph in 0..<output.1 {
                        for pw in 0..<output.2 {
                            var k = 0
                            for kd in 0..<pool.0 {
                                for kh in 0..<pool.1 {
                                    for kw in 0..<pool.2 {
                                        body(row, k, n, pd * pool.0 + kd, ph * pool.1 + kh, pw * pool.2 + kw)
                                        k += 1
                                    }
                                }
                            }
                            row += 1
                        }
                    }
                }
            }
        }

        /// ``forEachWindowPosition(samples:_:)`` with the position's convolution output row and
        /// the convolution's input offsets at it in `taps` (as ``WindowGeometry/forEachWindow(samples:_:)``):
        /// `body(pooledRow, k, convRow, taps)`.
        @inline(__always)
        func forEachPosition(samples: Range<Int>, _ body: (Int, Int, Int, UnsafeMutableBufferPointer<Int>) -> Void) {
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(conv.windowSize, 1)) { taps in
                forEachWindowPosition(samples: samples) { pooled, k, n, od, oh, ow in
                    conv.windowTaps(sample: n, od, oh, ow, into: taps)
                    body(pooled, k, convRow(n, od, oh, ow), taps)
                }
            }
        }

        /// Calls `body(pooledRow, convRow)` for every pooling window of the samples `samples`, in
        /// order, with the convolution's output row at the window's first position.
        @inline(__always)
        func forEachPoolingWindow(samples: Range<Int>, _ body: (Int, Int) -> Void) {
            var row = samples.lowerBound * outputsPerSample
            for n in samples {
                for pd in 0..<output.0 {
                    for ph in 0..<output.1 {
                        for pw in 0..<output.2 {
                            body(row, convRow(n, pd * pool.0, ph * pool.1, pw * pool.2))
                            row += 1
                        }
                    }
                }
            }
        }

        /// Writes into `offsets` (one per window position, in order) each position's
        /// convolution output row relative to the window's first.
        func windowOffsets(into offsets: UnsafeMutablePointer<Int>) {
            var k = 0
            for kd in 0..<pool.0 {
                for kh in 0..<pool.1 {
                    for kw in 0..<pool.2 {
                        offsets[k] = convRow(0, kd, kh, kw)
                        k += 1
                    }
                }
            }
        }

        /// Writes into `offsets` (one per window position, in order) each position's first
        /// convolution tap's input offset, in floats, relative to the window's first position's,
        /// for an unpadded convolution (``WindowGeometry/windowOrigin(sample:_:_:_:)``).
        func inputOffsets(into offsets: UnsafeMutablePointer<Int>) {
            var k = 0
            for kd in 0..<pool.0 {
                for kh in 0..<pool.1 {
                    for kw in 0..<pool.2 {
                        offsets[k] = ((kd * conv.stride.0 * conv.input.1 + kh * conv.stride.1) * conv.input.2 + kw * conv.stride.2)
                            * conv.channels
                        k += 1
                    }
                }
            }
        }

        /// Positions in one pooling window.
        var poolSize: Int { pool.0 * pool.1 * pool.2 }

        /// Calls `body(pooledRow, origin)` for every pooling window of the samples `samples`, in
        /// order, with the input offset (floats) of its first position's first tap, for an
        /// unpadded convolution.
        @inline(__always)
        func forEachUnpaddedWindow(samples: Range<Int>, _ body: (Int, Int) -> Void) {
            var row = samples.lowerBound &* outputsPerSample
            for n in samples {
                for pd in 0..<output.0 {
                    for ph in 0..<output.1 {
                        for pw in 0..<output.2 {
                            body(row, conv.windowOrigin(sample: n, pd &* pool.0, ph &* pool.1, pw &* pool.2))
                            row &+= 1
                        }
                    }
                }
            }
        }

        /// Whether the windows cover every position of the convolution's output.
        var coversOutput: Bool {
            output.0 * pool.0 == conv.output.0 && output.1 * pool.1 == conv.output.1 && output.2 * pool.2 == conv.output.2
        }

        /// The convolution's output row at position `(od, oh, ow)` of sample `n`.
        @inline(__always)
        func convRow(_ n: Int, _ od: Int, _ oh: Int, _ ow: Int) -> Int {
            ((n * conv.output.0 + od) * conv.output.1 + oh) * conv.output.2 + ow
        }
    }

    /// Merges the `f` values at `v`, from position `k` of a pooling window, into the window's
    /// maxima `o` and their positions `a` (a byte each): position 0 starts them at `-∞` and 0,
    /// and a value replaces the maximum only when greater (the first maximum wins, NaN never).
    @inline(__always)
    static func mergeMax(_ v: UnsafePointer<Float>, position k: Int, into o: UnsafeMutablePointer<Float>,
                         argmax a: UnsafeMutableRawPointer, count f: Int) {
        let vectorEnd = f - f % 8
        if k == 0 {
            o.update(repeating: -.infinity, count: f)
            for j in 0..<f { a.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
        }
        let index = SIMD8<Int32>(repeating: Int32(k))
        for j in stride(from: 0, to: vectorEnd, by: 8) {
            let x = load8(v + j), best = load8(o + j), better = x .> best
            guard any(better) else { continue }
            store8(best.replacing(with: x, where: better), o + j)
            let old = SIMD8<Int32>(truncatingIfNeeded: a.loadUnaligned(fromByteOffset: j, as: SIMD8<UInt8>.self))
            a.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: old.replacing(with: index, where: better)),
                         toByteOffset: j, as: SIMD8<UInt8>.self)
        }
        for j in vectorEnd..<f where v[j] > o[j] {
            o[j] = v[j]
            a.storeBytes(of: UInt8(truncatingIfNeeded: k), toByteOffset: j, as: UInt8.self)
        }
    }

    /// Per channel lane of `argmax` (one byte each, `f` of them): where it equals `k`.
    @inline(__always)
    static func argmaxHits(_ a: UnsafeRawPointer, _ j: Int, equal k: Int) -> SIMDMask<SIMD8<Int32>> {
        SIMD8<Int32>(truncatingIfNeeded: a.loadUnaligned(fromByteOffset: j, as: SIMD8<UInt8>.self)) .== SIMD8(repeating: Int32(k))
    }

    /// The max pooling of the direct convolution (bias, relu when `relu`) of channels-last `x`
    /// with `w` into `out` (pooled positions × `f`), and in `argmax` (one byte per output) the
    /// index in its window of the position each maximum came from.
    static func directConvMaxPool(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                  _ p: PooledConvGeometry, filters f: Int, relu: Bool, into out: UnsafeMutablePointer<Float>,
                                  argmax: UnsafeMutableRawPointer) {
        let cin = p.conv.channels, parts = Parallel.balancedPartCount(rows: p.batch, width: p.conv.outputsPerSample * f)
        if p.conv.isUnpadded, quadFilters(f) {
            withUnsafeTemporaryAllocation(of: Int.self, capacity: p.conv.windowSize + p.poolSize) { buffer in
                guard let offsets = buffer.baseAddress else { return }
                p.conv.tapOffsets(into: offsets)
                p.inputOffsets(into: offsets + p.conv.windowSize)
                Parallel.forEachPart(p.batch, parts: parts) { _, samples in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * p.poolSize) { sums in
                        guard let sums = sums.baseAddress else { return }
                        directConvMaxPoolQuads(x, w, bias: bias, p, taps: offsets, positions: offsets + p.conv.windowSize, filters: f,
                                               relu: relu, samples: samples, into: out, argmax: argmax, scratch: sums)
                    }
                }
            }
            return
        }
        Parallel.forEachPart(p.batch, parts: parts) { _, samples in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(f, 1)) { buffer in
                guard let row = buffer.baseAddress else { return }
                p.forEachPosition(samples: samples) { pooled, k, _, taps in
                    directConvRow(x, w, bias: bias, taps, channels: cin, filters: f, relu: relu, into: row)
                    mergeMax(row, position: k, into: out + pooled * f, argmax: argmax + pooled * f, count: f)
                }
            }
        }
    }

    /// The kernel and bias gradients of ``directConvMaxPool(_:_:bias:_:filters:relu:into:argmax:)``
    /// from the upstream gradient `up` of its output `out`: at each window position `k`,
    /// `dz = up` where `argmax == k` (and `out > 0` with `relu`), else 0; then as
    /// ``directConvBackward(_:upstream:output:relu:_:filters:kernel:bias:)`` (both overwritten; `db` may be nil).
    static func directConvMaxPoolBackward(_ x: UnsafePointer<Float>, upstream up: UnsafePointer<Float>,
                                          output out: UnsafePointer<Float>, argmax: UnsafeRawPointer, relu: Bool,
                                          _ p: PooledConvGeometry, filters f: Int,
                                          kernel dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?) {
        let vectorEnd = f - f % 8
        if p.conv.isUnpadded, quadFilters(f) {
            withUnsafeTemporaryAllocation(of: Int.self, capacity: p.conv.windowSize + p.poolSize) { buffer in
                guard let offsets = buffer.baseAddress else { return }
                p.conv.tapOffsets(into: offsets)
                p.inputOffsets(into: offsets + p.conv.windowSize)
                directConvGradients(x, p.conv, filters: f, work: p.conv.outputsPerSample * f, kernel: dw, bias: db) { n, pending in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * p.poolSize) { dz in
                        guard let dz = dz.baseAddress else { return }
                        directConvMaxPoolBackwardQuads(x, upstream: up, output: out, argmax: argmax, relu: relu, p, taps: offsets,
                                                       positions: offsets + p.conv.windowSize, filters: f, sample: n,
                                                       into: pending.acc, scratch: dz)
                    }
                }
            }
            return
        }
        directConvGradients(x, p.conv, filters: f, work: p.conv.outputsPerSample * f, kernel: dw, bias: db) { n, pending in
            p.forEachPosition(samples: n..<(n + 1)) { pooled, k, _, taps in
                let u = up + pooled * f, o = out + pooled * f, a = argmax + pooled * f, dz = pending.next
                for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                    var hit = argmaxHits(a, j, equal: k)
                    if relu { hit = hit .& (load8(o + j) .> 0) }
                    store8(SIMD8<Float>.zero.replacing(with: load8(u + j), where: hit), dz + j)
                }
                for j in vectorEnd..<f {
                    let hit = Int(a.load(fromByteOffset: j, as: UInt8.self)) == k && (!relu || o[j] > 0)
                    dz[j] = hit ? u[j] : 0
                }
                pending.append(taps)
            }
        }
    }

    /// ``directConvMaxPool(_:_:bias:_:filters:relu:into:argmax:)`` over `samples` for a
    /// convolution whose windows never reach the padding (``WindowGeometry/isUnpadded``) and
    /// whose filters are a few vectors of four (``quadFilters(_:)``), one vector at a time: a
    /// window's taps are its origin plus `taps` and a pooling window's positions its first
    /// position's plus `positions` (the same for every window), the sums of four positions run
    /// side by side (four independent chains of additions), and each pooling window's maximum
    /// and its position are then found lane by lane from `scratch` (four floats per position).
    /// Each output is the same sequence of operations as ``directConvRow(_:_:bias:_:channels:filters:relu:into:)``
    /// and ``mergeMax(_:position:into:argmax:count:)`` (the lanes are independent), so the same
    /// bits, without the per-position tap lists, closures and stores of the general kernel.
    static func directConvMaxPoolQuads(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                       _ p: PooledConvGeometry, taps offsets: UnsafePointer<Int>, positions: UnsafePointer<Int>,
                                       filters f: Int, relu: Bool, samples: Range<Int>, into out: UnsafeMutablePointer<Float>,
                                       argmax: UnsafeMutableRawPointer, scratch sums: UnsafeMutablePointer<Float>) {
        let cin = p.conv.channels, taps = p.conv.windowSize, count = p.poolSize
        for j in Swift.stride(from: 0, to: f, by: 4) {
            let start: SIMD4<Float> = bias.map { load($0 + j) } ?? .zero, wj = w + j
            p.forEachUnpaddedWindow(samples: samples) { pooled, origin in
                let base = x + origin
                var k = 0
                while k &+ 4 <= count {
                    var a0 = start, a1 = start, a2 = start, a3 = start
                    let x0 = base + positions[k], x1 = base + positions[k &+ 1]
                    let x2 = base + positions[k &+ 2], x3 = base + positions[k &+ 3]
                    for t in 0..<taps {
                        let ot = offsets[t], ws = wj + (t &* cin) &* f
                        for c in 0..<cin {
                            let wc: SIMD4<Float> = load(ws + c &* f), i = ot &+ c
                            a0 += SIMD4<Float>(repeating: x0[i]) * wc
                            a1 += SIMD4<Float>(repeating: x1[i]) * wc
                            a2 += SIMD4<Float>(repeating: x2[i]) * wc
                            a3 += SIMD4<Float>(repeating: x3[i]) * wc
                        }
                    }
                    let s = sums + k &* 4
                    store(a0, s)
                    store(a1, s + 4)
                    store(a2, s + 8)
                    store(a3, s + 12)
                    k &+= 4
                }
                while k < count {
                    var a = start
                    let xk = base + positions[k]
                    for t in 0..<taps {
                        let ot = offsets[t], ws = wj + (t &* cin) &* f
                        for c in 0..<cin { a += SIMD4<Float>(repeating: xk[ot &+ c]) * load(ws + c &* f) }
                    }
                    store(a, sums + k &* 4)
                    k &+= 1
                }
                let o = pooled &* f &+ j
                for l in 0..<4 {
                    var best = -Float.infinity, at = 0
                    for q in 0..<count {
                        var v = sums[q &* 4 &+ l]
                        if relu && v < 0 { v = 0 }
                        if v > best {
                            best = v
                            at = q
                        }
                    }
                    out[o &+ l] = best
                    argmax.storeBytes(of: UInt8(truncatingIfNeeded: at), toByteOffset: o &+ l, as: UInt8.self)
                }
            }
        }
    }

    /// ``directConvMaxPoolBackward(_:upstream:output:argmax:relu:_:filters:kernel:bias:)``'s
    /// sums for sample `n` added into `acc` (the kernel rows, then the bias row, as
    /// ``PendingWindows`` holds them) under the conditions of ``directConvMaxPoolQuads(_:_:bias:_:taps:positions:filters:relu:samples:into:argmax:scratch:)``:
    /// each pooling window's `dz` rows are laid out in `scratch` (the upstream gradient at each
    /// lane's maximum, zero elsewhere), and each gradient row takes four positions' `x · dz`
    /// in registers between one load and one store, window by window in the same order and with
    /// the same operations as ``PendingWindows/flush()``, so the same bits.
    static func directConvMaxPoolBackwardQuads(_ x: UnsafePointer<Float>, upstream up: UnsafePointer<Float>,
                                               output out: UnsafePointer<Float>, argmax: UnsafeRawPointer, relu: Bool,
                                               _ p: PooledConvGeometry, taps offsets: UnsafePointer<Int>,
                                               positions: UnsafePointer<Int>, filters f: Int, sample n: Int,
                                               into acc: UnsafeMutablePointer<Float>, scratch dz: UnsafeMutablePointer<Float>) {
        let cin = p.conv.channels, taps = p.conv.windowSize, count = p.poolSize
        let biasRow = acc + (taps &* cin) &* f, one = SIMD4<Float>(repeating: 1)
        for j in Swift.stride(from: 0, to: f, by: 4) {
            p.forEachUnpaddedWindow(samples: n..<(n + 1)) { pooled, origin in
                let o = pooled &* f &+ j, base = x + origin
                dz.initialize(repeating: 0, count: 4 &* count)
                for l in 0..<4 {
                    let at = Int(argmax.load(fromByteOffset: o &+ l, as: UInt8.self))
                    if at < count && (!relu || out[o &+ l] > 0) { dz[at &* 4 &+ l] = up[o &+ l] }
                }
                var k = 0
                while k &+ 4 <= count {
                    let d = dz + k &* 4
                    let d0: SIMD4<Float> = load(d), d1: SIMD4<Float> = load(d + 4)
                    let d2: SIMD4<Float> = load(d + 8), d3: SIMD4<Float> = load(d + 12)
                    var b: SIMD4<Float> = load(biasRow + j)
                    b += one * d0
                    b += one * d1
                    b += one * d2
                    b += one * d3
                    store(b, biasRow + j)
                    let x0 = base + positions[k], x1 = base + positions[k &+ 1]
                    let x2 = base + positions[k &+ 2], x3 = base + positions[k &+ 3]
                    for t in 0..<taps {
                        let ot = offsets[t], rows = acc + ((t &* cin) &* f &+ j)
                        for c in 0..<cin {
                            let row = rows + c &* f, i = ot &+ c
                            var r: SIMD4<Float> = load(row)
                            r += SIMD4<Float>(repeating: x0[i]) * d0
                            r += SIMD4<Float>(repeating: x1[i]) * d1
                            r += SIMD4<Float>(repeating: x2[i]) * d2
                            r += SIMD4<Float>(repeating: x3[i]) * d3
                            store(r, row)
                        }
                    }
                    k &+= 4
                }
                while k < count {
                    let dk: SIMD4<Float> = load(dz + k &* 4), xk = base + positions[k]
                    store(load(biasRow + j) + one * dk, biasRow + j)
                    for t in 0..<taps {
                        let ot = offsets[t], rows = acc + ((t &* cin) &* f &+ j)
                        for c in 0..<cin {
                            let row = rows + c &* f
                            store(load(row) + SIMD4<Float>(repeating: xk[ot &+ c]) * dk, row)
                        }
                    }
                    k &+= 1
                }
            }
        }
    }

    /// Whether `f` filters run ``directConvMaxPoolQuads(_:_:bias:_:taps:positions:filters:relu:samples:into:argmax:scratch:)``:
    /// one to four vectors of four (the small first layers of image models; wider layers keep
    /// the general kernel's four vectors of eight per pass over the windows).
    static func quadFilters(_ f: Int) -> Bool { f > 0 && f <= 16 && f % 4 == 0 }
}
