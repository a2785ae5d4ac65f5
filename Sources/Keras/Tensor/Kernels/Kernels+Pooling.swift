extension WindowGeometry {
    /// The output lines of a pooling: one per (sample, depth, height), each `output.2` positions
    /// along the width.
    var outputLines: Int { batch * output.0 * output.1 }

    /// The input rows of the windows of output line `line` (their depth and height taps inside
    /// the input), nil when there are none (a window wholly in the padding, unreachable with
    /// Keras's paddings).
    @inline(__always)
    func lineRows(_ line: Int) -> PoolLineRows? {
        let oh = line % output.1, rest = line / output.1, od = rest % output.0, n = rest / output.0
        let depth = Self.insideTaps(od, stride: stride.0, pad: padBefore.0, window: window.0, dilation: dilation.0,
                                    length: input.0)
        let height = Self.insideTaps(oh, stride: stride.1, pad: padBefore.1, window: window.1, dilation: dilation.1,
                                     length: input.1)
        guard !depth.isEmpty, !height.isEmpty else { return nil }
        let id = od &* stride.0 &- padBefore.0 &+ depth.lowerBound &* dilation.0
        let ih = oh &* stride.1 &- padBefore.1 &+ height.lowerBound &* dilation.1
        return PoolLineRows(first: ((n &* input.0 &+ id) &* input.1 &+ ih) &* input.2, depth: depth.count,
                            height: height.count, depthStep: dilation.0 &* input.1 &* input.2,
                            heightStep: dilation.1 &* input.2)
    }

    /// The output positions along the width whose windows lie wholly inside the input, when
    /// there are at least eight of them (the one-channel poolings take these eight per SIMD
    /// step), else empty.
    var planeBlocks: Range<Int> {
        guard dilation.2 == 1, stride.2 > 0 else { return 0..<0 }
        let lo = (padBefore.2 + stride.2 - 1) / stride.2
        let last = input.2 - 1 - (window.2 - 1) * dilation.2 + padBefore.2
        let hi = last < 0 ? 0 : Swift.min(output.2, last / stride.2 + 1)
        return hi - lo >= 8 ? lo..<hi : 0..<0
    }

    /// The window taps `k` of output index `o` along an axis that fall inside the input
    /// (`o·stride − pad + k·dilation` in `0..<length`), the padding's ones left out.
    @inline(__always)
    static func insideTaps(_ o: Int, stride: Int, pad: Int, window: Int, dilation: Int, length: Int) -> Range<Int> {
        let start = o &* stride &- pad
        if dilation == 1 {
            // The poolings' case, without the divisions (this runs for every window row).
            let lo = Swift.max(0, -start)
            return lo..<Swift.max(lo, Swift.min(window, length &- start))
        }
        let lo = start >= 0 ? 0 : (dilation - start - 1) / dilation
        let hi = start < length ? Swift.min(window, (length - 1 - start) / dilation + 1) : 0
        return lo..<Swift.max(lo, hi)
    }
}

/// The input rows of the windows of one output line of a pooling (``WindowGeometry/lineRows(_:)``):
/// `depth × height` rows, depth-major, as offsets in positions of their width index 0.
struct PoolLineRows {
    let first: Int
    let depth: Int
    let height: Int
    let depthStep: Int
    let heightStep: Int

    var count: Int { depth &* height }

    /// Calls `body(offset, isFirst)` for each row in order.
    @inline(__always)
    func forEach(_ body: (Int, Bool) -> Void) {
        var d = first
        for i in 0..<depth {
            var h = d
            for j in 0..<height {
                body(h, i == 0 && j == 0)
                h &+= heightStep
            }
            d &+= depthStep
        }
    }
}

extension Kernels {
    // MARK: Pooling (fixed windows)

    // The poolings go one output line at a time (the outputs of a sample, depth and height,
    // along the width): each input row of the line's windows is read once from its first tap to
    // its last and folded into the whole line, which stays in L1 (its outputs and argmax are
    // the accumulators). A 4×4 pool with stride 4 thus reads the input once in memory order,
    // and no window builds a list of taps. Each window still sees its taps in row-major order
    // (depth, height, width), so ties, NaN and sums come out as a window-by-window loop gives.

    /// Max pooling of channels-last `x` into `out` (`outputRows × channels`), writing in
    /// `argmax` the flat input index each output came from (its backward is a scatter,
    /// ``maxPoolBackward(_:argmax:count:samples:inputCount:into:)``): the first maximum of each window in
    /// row-major order wins a tie (XLA's select-and-scatter with `>=`, Keras/JAX), a NaN never
    /// wins (as `>` says); eight channels per SIMD step, output lines split across cores.
    ///
    /// A nil `argmax` (an input no gradient flows to: inference, or a model's input in `fit`)
    /// gives the same maxima without tracking where they came from.
    static func maxPool(_ x: UnsafePointer<Float>, _ g: WindowGeometry, into out: UnsafeMutablePointer<Float>,
                        argmax: UnsafeMutablePointer<Int32>?) {
        let lines = g.outputLines
        let parts = Parallel.balancedPartCount(rows: lines, width: g.window.0 * g.window.1 * g.input.2 * g.channels)
        let blocks = g.channels == 1 ? g.planeBlocks : 0..<0
        Parallel.forEachPart(lines, parts: parts) { _, part in
            for line in part {
                let o = out + line &* g.output.2 &* g.channels, a = argmax.map { $0 + line &* g.output.2 &* g.channels }
                func byWindow(_ ows: Range<Int>) {
                    forEachPoolRow(g, line: line, ows: ows) { row, first, ow, taps in
                        maxPoolFold(x, row: row, taps: taps, g, initialize: first,
                                    into: o + ow &* g.channels, argmax: a.map { $0 + ow &* g.channels })
                    }
                }
                if !blocks.isEmpty, let rows = g.lineRows(line) {
                    maxPoolPlaneBlocks(x, g, rows: rows, blocks: blocks, into: o, argmax: a)
                    byWindow(0..<blocks.lowerBound)
                    byWindow(blocks.upperBound..<g.output.2)
                } else {
                    byWindow(0..<g.output.2)
                }
            }
        }
    }

    /// The windows `blocks` (``WindowGeometry/planeBlocks``, all taps inside the input) of one
    /// output line of a one-channel max pooling, whose input rows are `rows`: eight windows per
    /// SIMD step, one per lane, their taps in row-major order as
    /// ``maxPoolFold(_:row:taps:_:initialize:into:argmax:)`` takes them (the same ties and NaN).
    /// The last step ends at the range's end, so it may overlap the one before (and recompute
    /// the same maxima).
    @inline(__always)
    private static func maxPoolPlaneBlocks(_ x: UnsafePointer<Float>, _ g: WindowGeometry, rows: PoolLineRows,
                                           blocks: Range<Int>, into o: UnsafeMutablePointer<Float>,
                                           argmax a: UnsafeMutablePointer<Int32>?) {
        let s = g.stride.2, k = g.window.2, lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &* Int32(truncatingIfNeeded: s)
        forEachPlaneBlock(blocks) { ow in
            let shift = ow &* s &- g.padBefore.2
            var best = SIMD8<Float>(repeating: -.infinity)
            if let a {
                var index = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: rows.first &+ shift)) &+ lanes
                rows.forEach { row, _ in
                    forEachPlaneTap(x, at: row &+ shift, stride: s, window: k) { v, p in
                        let better = v .> best
                        best.replace(with: v, where: better)
                        index.replace(with: SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: p)) &+ lanes, where: better)
                    }
                }
                UnsafeMutableRawPointer(a + ow).storeBytes(of: index, as: SIMD8<Int32>.self)
            } else {
                rows.forEach { row, _ in
                    forEachPlaneTap(x, at: row &+ shift, stride: s, window: k) { v, _ in
                        best.replace(with: v, where: v .> best)
                    }
                }
            }
            store8(best, o + ow)
        }
    }

    /// Folds the taps `taps` (along the width) of input row `row` of one window into its `channels`
    /// maxima `o` and their indices `a`, which `initialize` sets first (−∞ and the first tap).
    @inline(__always)
    private static func maxPoolFold(_ x: UnsafePointer<Float>, row: Int, taps: Range<Int>, _ g: WindowGeometry, initialize: Bool,
                                    into o: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?) {
        let c = g.channels, step = g.dilation.2 &* c, start = (row &+ taps.lowerBound &* g.dilation.2) &* c
        guard let a = argmax else {
            // The same selects without the indices.
            var j = 0
            while j &+ 8 <= c {
                var best = initialize ? SIMD8<Float>(repeating: -.infinity) : load8(o + j)
                var p = start &+ j
                for _ in taps {
                    let v = load8(x + p)
                    best.replace(with: v, where: v .> best)
                    p &+= step
                }
                store8(best, o + j)
                j &+= 8
            }
            while j < c {
                var best = initialize ? -Float.infinity : o[j]
                var p = start &+ j
                for _ in taps {
                    let v = x[p]
                    best = v > best ? v : best
                    p &+= step
                }
                o[j] = best
                j &+= 1
            }
            return
        }
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        var j = 0
        while j &+ 8 <= c {
            var best = initialize ? SIMD8<Float>(repeating: -.infinity) : load8(o + j)
            var index = initialize ? SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: start &+ j)) &+ lanes
                                   : UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Int32>.self)
            var p = start &+ j
            for _ in taps {
                let v = load8(x + p), better = v .> best
                best.replace(with: v, where: better)
                index.replace(with: SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: p)) &+ lanes, where: better)
                p &+= step
            }
            store8(best, o + j)
            UnsafeMutableRawPointer(a + j).storeBytes(of: index, as: SIMD8<Int32>.self)
            j &+= 8
        }
        while j < c {
            var best = initialize ? -Float.infinity : o[j]
            var index = initialize ? Int32(truncatingIfNeeded: start &+ j) : a[j]
            var p = start &+ j
            for _ in taps {
                // Selects, not a branch: on unordered data (a channels-first plane, one channel
                // per "pixel") a taken-or-not branch per tap mispredicts about every other time.
                let v = x[p], better = v > best
                best = better ? v : best
                index = better ? Int32(truncatingIfNeeded: p) : index
                p &+= step
            }
            o[j] = best
            a[j] = index
            j &+= 1
        }
    }

    /// Adds each upstream value onto the input element its max came from, into `dx`
    /// (uninitialised; every element is written): one sample at a time, its part of `dx`
    /// zeroed and then scattered into while it is in cache, samples split across cores (a
    /// sample's maxima lie in that sample). `count` upstream values, `samples` samples.
    static func maxPoolBackward(_ g: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, count: Int, samples: Int,
                                inputCount: Int, into dx: UnsafeMutablePointer<Float>) {
        let samples = Swift.max(samples, 1), inputs = inputCount / samples, outputs = count / samples
        guard inputs * samples == inputCount, outputs * samples == count else {
            dx.update(repeating: 0, count: inputCount)
            for i in 0..<count { dx[Int(argmax[i])] += g[i] }
            return
        }
        Parallel.forEachPart(samples, parts: Parallel.partCount(rows: samples, width: inputs)) { _, part in
            for n in part {
                (dx + n * inputs).update(repeating: 0, count: inputs)
                for i in n * outputs..<(n + 1) * outputs { dx[Int(argmax[i])] += g[i] }
            }
        }
    }

    /// Average pooling over the taps inside the input (padding is not counted, as in Keras: each
    /// window's sum divided by the number of its taps inside the input); eight channels per SIMD
    /// step, or for one channel (a channels-first plane) eight output positions per step.
    static func averagePool(_ x: UnsafePointer<Float>, _ g: WindowGeometry, into out: UnsafeMutablePointer<Float>) {
        let lines = g.outputLines, c = g.channels
        let parts = Parallel.balancedPartCount(rows: lines, width: g.window.0 * g.window.1 * g.input.2 * c)
        let blocks = c == 1 ? g.planeBlocks : 0..<0
        Parallel.forEachPart(lines, parts: parts) { _, part in
            for line in part {
                let o = out + line &* g.output.2 &* c
                func byWindow(_ ows: Range<Int>) {
                    forEachPoolRow(g, line: line, ows: ows) { row, first, ow, taps in
                        averagePoolFold(x, row: row, taps: taps, g, initialize: first, into: o + ow &* c)
                    }
                    for ow in ows {
                        let count = SIMD8<Float>(repeating: Float(Swift.max(poolTapCount(g, line: line, ow: ow), 1)))
                        let d = o + ow &* c
                        var j = 0
                        while j &+ 8 <= c {
                            store8(load8(d + j) / count, d + j)
                            j &+= 8
                        }
                        while j < c {
                            d[j] /= count[0]
                            j &+= 1
                        }
                    }
                }
                if !blocks.isEmpty, let rows = g.lineRows(line) {
                    averagePoolPlaneBlocks(x, g, rows: rows, blocks: blocks, into: o)
                    byWindow(0..<blocks.lowerBound)
                    byWindow(blocks.upperBound..<g.output.2)
                } else {
                    byWindow(0..<g.output.2)
                }
            }
        }
    }

    /// Adds the taps `taps` (along the width) of input row `row` of one window into its
    /// `channels` sums `o`, which `initialize` sets to zero first.
    @inline(__always)
    private static func averagePoolFold(_ x: UnsafePointer<Float>, row: Int, taps: Range<Int>, _ g: WindowGeometry,
                                        initialize: Bool, into o: UnsafeMutablePointer<Float>) {
        let c = g.channels, step = g.dilation.2 &* c, start = (row &+ taps.lowerBound &* g.dilation.2) &* c
        var j = 0
        while j &+ 8 <= c {
            var sum = initialize ? SIMD8<Float>() : load8(o + j)
            var p = start &+ j
            for _ in taps {
                sum += load8(x + p)
                p &+= step
            }
            store8(sum, o + j)
            j &+= 8
        }
        while j < c {
            var sum = initialize ? 0 : o[j]
            var p = start &+ j
            for _ in taps {
                sum += x[p]
                p &+= step
            }
            o[j] = sum
            j &+= 1
        }
    }

    /// The averages of windows `blocks` of one output line of a one-channel average pooling,
    /// eight per SIMD step as in ``maxPoolPlaneBlocks(_:_:rows:blocks:into:argmax:)`` (a
    /// recomputed overlap writes the same values), each sum in the window's row-major order and
    /// divided by its number of taps, as Keras does.
    @inline(__always)
    private static func averagePoolPlaneBlocks(_ x: UnsafePointer<Float>, _ g: WindowGeometry, rows: PoolLineRows,
                                               blocks: Range<Int>, into o: UnsafeMutablePointer<Float>) {
        let s = g.stride.2, k = g.window.2
        // Every width tap of these windows is inside the input.
        let count = SIMD8<Float>(repeating: Float(rows.count &* k))
        forEachPlaneBlock(blocks) { ow in
            let shift = ow &* s &- g.padBefore.2
            var sum = SIMD8<Float>()
            rows.forEach { row, _ in
                forEachPlaneTap(x, at: row &+ shift, stride: s, window: k) { v, _ in sum += v }
            }
            store8(sum / count, o + ow)
        }
    }

    /// The adjoint of ``averagePool(_:_:into:)``; `dx` must be initialised. Each window's
    /// upstream values divided by its number of taps once, then added onto its taps (eight
    /// channels per SIMD step); samples split across cores (overlapping windows of a sample add
    /// onto the same inputs, in window order).
    static func averagePoolBackward(_ up: UnsafePointer<Float>, _ g: WindowGeometry, into dx: UnsafeMutablePointer<Float>) {
        let c = g.channels, linesPerSample = g.output.0 * g.output.1
        let parts = Parallel.partCount(rows: g.batch, width: g.input.0 * g.input.1 * g.input.2 * c)
        Parallel.forEachPart(g.batch, parts: parts) { _, samples in
            for line in samples.lowerBound * linesPerSample..<samples.upperBound * linesPerSample {
                guard let rows = g.lineRows(line) else { continue }
                for ow in 0..<g.output.2 {
                    let width = WindowGeometry.insideTaps(ow, stride: g.stride.2, pad: g.padBefore.2, window: g.window.2,
                                                          dilation: g.dilation.2, length: g.input.2)
                    guard !width.isEmpty else { continue }
                    let count = Float(rows.count &* width.count), u = up + (line &* g.output.2 &+ ow) &* c
                    let shift = ow &* g.stride.2 &- g.padBefore.2 &+ width.lowerBound &* g.dilation.2
                    var j = 0
                    while j &+ 8 <= c {
                        let v = load8(u + j) / SIMD8(repeating: count)
                        rows.forEach { row, _ in
                            var d = dx + ((row &+ shift) &* c &+ j)
                            for _ in width {
                                store8(load8(d) + v, d)
                                d += g.dilation.2 &* c
                            }
                        }
                        j &+= 8
                    }
                    while j < c {
                        let v = u[j] / count
                        rows.forEach { row, _ in
                            var d = dx + ((row &+ shift) &* c &+ j)
                            for _ in width {
                                d.pointee += v
                                d += g.dilation.2 &* c
                            }
                        }
                        j &+= 1
                    }
                }
            }
        }
    }

    /// Calls `body(ow)` for the first output position of each eight-wide step over `blocks`
    /// (at least eight positions): steps of eight from its start, the last one ending at its end.
    @inline(__always)
    private static func forEachPlaneBlock(_ blocks: Range<Int>, _ body: (Int) -> Void) {
        var ow = blocks.lowerBound
        while ow < blocks.upperBound {
            body(Swift.min(ow, blocks.upperBound &- 8))
            ow &+= 8
        }
    }

    /// Calls `body(taps, p)` for each tap of eight windows along a row, in order: `taps` the
    /// eight floats `x[p], x[p + s], …, x[p + 7s]`, `p` running over `start..<start + k`. Windows
    /// that tile the row (stride = pool = 2 or 4) read their `8·s` floats as one vector and
    /// deinterleave it; the others gather.
    @inline(__always)
    private static func forEachPlaneTap(_ x: UnsafePointer<Float>, at start: Int, stride s: Int, window k: Int,
                                        _ body: (SIMD8<Float>, Int) -> Void) {
        if s == 4, k == 4 {
            let v = UnsafeRawPointer(x + start).loadUnaligned(as: SIMD32<Float>.self)
            let even = v.evenHalf, odd = v.oddHalf
            body(even.evenHalf, start)
            body(odd.evenHalf, start &+ 1)
            body(even.oddHalf, start &+ 2)
            body(odd.oddHalf, start &+ 3)
        } else if s == 2, k == 2 {
            let v = UnsafeRawPointer(x + start).loadUnaligned(as: SIMD16<Float>.self)
            body(v.evenHalf, start)
            body(v.oddHalf, start &+ 1)
        } else {
            for t in 0..<k { body(gather8(x + (start &+ t), stride: s), start &+ t) }
        }
    }

    /// The eight floats `p[0], p[s], …, p[7s]`: one tap of eight windows along a row.
    @inline(__always)
    private static func gather8(_ p: UnsafePointer<Float>, stride s: Int) -> SIMD8<Float> {
        if s == 1 { return load8(p) }
        return SIMD8(p[0], p[s], p[2 &* s], p[3 &* s], p[4 &* s], p[5 &* s], p[6 &* s], p[7 &* s])
    }

    /// Calls `body(row, first, ow, taps)` for each input row of the windows of output line
    /// `line` (depth and height taps inside the input, in order) and each output position `ow`
    /// in `ows` (all of the line's when nil): `row` is the input offset, in positions, of the
    /// row's width index 0, `taps` the width taps inside the input, `first` true for the
    /// window's first row. A window with no tap inside the input (unreachable with Keras's
    /// paddings) is called once with `first` and no taps, so that it is still initialised.
    @inline(__always)
    private static func forEachPoolRow(_ g: WindowGeometry, line: Int, ows: Range<Int>? = nil,
                                       _ body: (Int, Bool, Int, Range<Int>) -> Void) {
        let ows = ows ?? 0..<g.output.2
        guard let rows = g.lineRows(line) else {
            for ow in ows { body(0, true, ow, 0..<0) }
            return
        }
        rows.forEach { base, first in
            for ow in ows {
                let iw = ow &* g.stride.2 &- g.padBefore.2
                let width = WindowGeometry.insideTaps(ow, stride: g.stride.2, pad: g.padBefore.2, window: g.window.2,
                                                      dilation: g.dilation.2, length: g.input.2)
                body(width.isEmpty && first ? 0 : base &+ iw, first, ow, width)
            }
        }
    }

    /// The number of taps of window `ow` of output line `line` that fall inside the input.
    @inline(__always)
    private static func poolTapCount(_ g: WindowGeometry, line: Int, ow: Int) -> Int {
        let oh = line % g.output.1, od = line / g.output.1 % g.output.0
        return WindowGeometry.insideTaps(od, stride: g.stride.0, pad: g.padBefore.0, window: g.window.0,
                                         dilation: g.dilation.0, length: g.input.0).count
            * WindowGeometry.insideTaps(oh, stride: g.stride.1, pad: g.padBefore.1, window: g.window.1,
                                        dilation: g.dilation.1, length: g.input.1).count
            * WindowGeometry.insideTaps(ow, stride: g.stride.2, pad: g.padBefore.2, window: g.window.2,
                                        dilation: g.dilation.2, length: g.input.2).count
    }
}
