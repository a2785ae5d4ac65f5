extension WindowGeometry {
    /// The output lines of a pooling: one per (sample, depth, height), each `output.2` positions
    /// along the width.
    var outputLines: Int { batch * output.0 * output.1 }

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

extension Kernels {
    // MARK: Pooling (fixed windows, channels-last)

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
    static func maxPool(_ x: UnsafePointer<Float>, _ g: WindowGeometry, into out: UnsafeMutablePointer<Float>,
                        argmax: UnsafeMutablePointer<Int32>) {
        let lines = g.outputLines
        let parts = Parallel.balancedPartCount(rows: lines, width: g.window.0 * g.window.1 * g.input.2 * g.channels)
        Parallel.forEachPart(lines, parts: parts) { _, part in
            for line in part {
                forEachPoolRow(g, line: line) { row, first, ow, taps in
                    let at = line &* g.output.2 &+ ow
                    maxPoolFold(x, row: row, taps: taps, g, initialize: first,
                                into: out + at &* g.channels, argmax: argmax + at &* g.channels)
                }
            }
        }
    }

    /// Folds the taps `taps` (along the width) of input row `row` of one window into its `channels`
    /// maxima `o` and their indices `a`, which `initialize` sets first (−∞ and the first tap).
    @inline(__always)
    private static func maxPoolFold(_ x: UnsafePointer<Float>, row: Int, taps: Range<Int>, _ g: WindowGeometry, initialize: Bool,
                                    into o: UnsafeMutablePointer<Float>, argmax a: UnsafeMutablePointer<Int32>) {
        let c = g.channels, step = g.dilation.2 &* c, start = (row &+ taps.lowerBound &* g.dilation.2) &* c
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

    /// Average pooling over the taps inside the input (padding is not counted, as in Keras).
    static func averagePool(_ x: UnsafePointer<Float>, _ g: WindowGeometry, into out: UnsafeMutablePointer<Float>) {
        let lines = g.outputLines, c = g.channels
        let parts = Parallel.balancedPartCount(rows: lines, width: g.window.0 * g.window.1 * g.input.2 * c)
        Parallel.forEachPart(lines, parts: parts) { _, part in
            for line in part {
                let o = out + line &* g.output.2 &* c
                o.update(repeating: 0, count: g.output.2 * c)
                forEachPoolRow(g, line: line) { row, _, ow, taps in
                    let d = o + ow &* c
                    for t in taps {
                        let s = x + (row &+ t &* g.dilation.2) &* c
                        for k in 0..<c { d[k] += s[k] }
                    }
                }
                for ow in 0..<g.output.2 {
                    let scale = 1 / Float(Swift.max(poolTapCount(g, line: line, ow: ow), 1)), d = o + ow &* c
                    for k in 0..<c { d[k] *= scale }
                }
            }
        }
    }

    /// The adjoint of ``averagePool(_:_:into:)``; `dx` must be initialised. Samples split
    /// across cores (overlapping windows of a sample add onto the same inputs).
    static func averagePoolBackward(_ up: UnsafePointer<Float>, _ g: WindowGeometry, into dx: UnsafeMutablePointer<Float>) {
        let c = g.channels, linesPerSample = g.output.0 * g.output.1
        let parts = Parallel.partCount(rows: g.batch, width: g.input.0 * g.input.1 * g.input.2 * c)
        Parallel.forEachPart(g.batch, parts: parts) { _, samples in
            for line in samples.lowerBound * linesPerSample..<samples.upperBound * linesPerSample {
                forEachPoolRow(g, line: line) { row, _, ow, taps in
                    let scale = 1 / Float(Swift.max(poolTapCount(g, line: line, ow: ow), 1))
                    let s = up + (line &* g.output.2 &+ ow) &* c
                    for t in taps {
                        let d = dx + (row &+ t &* g.dilation.2) &* c
                        for k in 0..<c { d[k] += s[k] * scale }
                    }
                }
            }
        }
    }

    /// Calls `body(row, first, ow, taps)` for each input row of the windows of output line
    /// `line` (depth and height taps inside the input, in order) and each output position `ow`
    /// of the line: `row` is the input offset, in positions, of the row's width index 0,
    /// `taps` the width taps inside the input, `first` true for the window's first row. A
    /// window with no tap inside the input (unreachable with Keras's paddings) is called once
    /// with `first` and no taps, so that it is still initialised.
    @inline(__always)
    private static func forEachPoolRow(_ g: WindowGeometry, line: Int, _ body: (Int, Bool, Int, Range<Int>) -> Void) {
        let oh = line % g.output.1, od = line / g.output.1 % g.output.0, n = line / (g.output.1 * g.output.0)
        let depth = WindowGeometry.insideTaps(od, stride: g.stride.0, pad: g.padBefore.0, window: g.window.0,
                                              dilation: g.dilation.0, length: g.input.0)
        let height = WindowGeometry.insideTaps(oh, stride: g.stride.1, pad: g.padBefore.1, window: g.window.1,
                                               dilation: g.dilation.1, length: g.input.1)
        guard !depth.isEmpty, !height.isEmpty else {
            for ow in 0..<g.output.2 { body(0, true, ow, 0..<0) }
            return
        }
        var first = true
        for kd in depth {
            let id = od &* g.stride.0 &- g.padBefore.0 &+ kd &* g.dilation.0
            for kh in height {
                let ih = oh &* g.stride.1 &- g.padBefore.1 &+ kh &* g.dilation.1
                let base = ((n &* g.input.0 &+ id) &* g.input.1 &+ ih) &* g.input.2
                for ow in 0..<g.output.2 {
                    let iw = ow &* g.stride.2 &- g.padBefore.2
                    let width = WindowGeometry.insideTaps(ow, stride: g.stride.2, pad: g.padBefore.2, window: g.window.2,
                                                          dilation: g.dilation.2, length: g.input.2)
                    body(width.isEmpty && first ? 0 : base &+ iw, first, ow, width)
                }
                first = false
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
