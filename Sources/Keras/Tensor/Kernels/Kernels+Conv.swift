/// The geometry of a channels-last convolution or pooling window over 1 to 3 spatial axes,
/// held as three axes (missing leading ones have size 1), so that one loop nest serves
/// Conv1D, Conv2D and Conv3D and their poolings.
struct WindowGeometry {
    var batch: Int
    var channels: Int
    /// Input, window, stride, dilation, leading padding and output sizes per axis (depth, height, width).
    var input: (Int, Int, Int)
    var window: (Int, Int, Int)
    var stride: (Int, Int, Int)
    var dilation: (Int, Int, Int)
    var padBefore: (Int, Int, Int)
    var output: (Int, Int, Int)

    /// Number of output positions of all samples.
    var outputRows: Int { batch * outputsPerSample }
    /// Number of window positions.
    var windowSize: Int { window.0 * window.1 * window.2 }

    /// Output positions of one sample.
    var outputsPerSample: Int { output.0 * output.1 * output.2 }

    /// Calls `body(row, inputOffsets)` for every output position of the samples `samples` (all
    /// when nil) in order, with the flat offset (in positions, not floats) of each window tap in
    /// the input, or -1 where the tap falls in the padding; `taps` is reused between calls.
    @inline(__always)
    func forEachWindow(samples: Range<Int>? = nil, _ body: (Int, UnsafeMutableBufferPointer<Int>) -> Void) {
        let samples = samples ?? 0..<batch
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(windowSize, 1)) { taps in
            var row = samples.lowerBound * outputsPerSample
            for n in samples {
                for od in 0..<output.0 {
                    for oh in 0..<output.1 {
                        for ow in 0..<output.2 {
                            windowTaps(sample: n, od, oh, ow, into: taps)
                            body(row, taps)
                            row += 1
                        }
                    }
                }
            }
        }
    }

    /// Calls `body(row, inputOffsets)` as ``forEachWindow(samples:_:)`` does, for the output
    /// rows `rows` (of all samples, in order) only.
    @inline(__always)
    func forEachWindow(rows: Range<Int>, _ body: (Int, UnsafeMutableBufferPointer<Int>) -> Void) {
        let plane = output.1 * output.2
        guard !rows.isEmpty, plane > 0, output.0 > 0 else { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(windowSize, 1)) { taps in
            let first = rows.lowerBound, inSample = first % outputsPerSample
            var n = first / outputsPerSample, od = inSample / plane, oh = inSample % plane / output.2, ow = inSample % output.2
            for row in rows {
                windowTaps(sample: n, od, oh, ow, into: taps)
                body(row, taps)
                ow += 1
                guard ow == output.2 else { continue }
                ow = 0
                oh += 1
                guard oh == output.1 else { continue }
                oh = 0
                od += 1
                if od == output.0 { od = 0; n += 1 }
            }
        }
    }

    /// Whether every tap of every window falls inside the input (no padding reached: `valid`
    /// padding, or `same` where it pads nothing), so that a window's input offsets are its
    /// first tap's plus ones that are the same for every position (``tapOffsets(into:)``).
    var isUnpadded: Bool {
        func fits(_ pad: Int, _ out: Int, _ s: Int, _ k: Int, _ d: Int, _ n: Int) -> Bool {
            pad == 0 && (out == 0 || (out - 1) * s + (k - 1) * d < n)
        }
        return fits(padBefore.0, output.0, stride.0, window.0, dilation.0, input.0)
            && fits(padBefore.1, output.1, stride.1, window.1, dilation.1, input.1)
            && fits(padBefore.2, output.2, stride.2, window.2, dilation.2, input.2)
    }

    /// Writes into `offsets` (``windowSize`` of them) each tap's input offset, in floats (times
    /// `channels`), relative to the window's first tap; with ``isUnpadded``, ``windowOrigin(sample:_:_:_:)``
    /// plus these are the offsets ``windowTaps(sample:_:_:_:into:)`` gives (times `channels`).
    func tapOffsets(into offsets: UnsafeMutablePointer<Int>) {
        var t = 0
        for kd in 0..<window.0 {
            for kh in 0..<window.1 {
                for kw in 0..<window.2 {
                    offsets[t] = ((kd * dilation.0 * input.1 + kh * dilation.1) * input.2 + kw * dilation.2) * channels
                    t += 1
                }
            }
        }
    }

    /// The input offset, in floats, of the first tap of output position `(od, oh, ow)` of
    /// sample `n` in an unpadded geometry (``isUnpadded``).
    @inline(__always)
    func windowOrigin(sample n: Int, _ od: Int, _ oh: Int, _ ow: Int) -> Int {
        (((n &* input.0 &+ od &* stride.0) &* input.1 &+ oh &* stride.1) &* input.2 &+ ow &* stride.2) &* channels
    }

    /// Writes into `taps` the flat input offset (in positions) of each tap of the window of
    /// output position `(od, oh, ow)` of sample `n`, or -1 where the tap falls in the padding.
    @inline(__always)
    func windowTaps(sample n: Int, _ od: Int, _ oh: Int, _ ow: Int, into taps: UnsafeMutableBufferPointer<Int>) {
        var t = 0
        for kd in 0..<window.0 {
            let id = od * stride.0 - padBefore.0 + kd * dilation.0
            for kh in 0..<window.1 {
                let ih = oh * stride.1 - padBefore.1 + kh * dilation.1
                for kw in 0..<window.2 {
                    let iw = ow * stride.2 - padBefore.2 + kw * dilation.2
                    let inside = id >= 0 && id < input.0 && ih >= 0 && ih < input.1 && iw >= 0 && iw < input.2
                    taps[t] = inside ? ((n * input.0 + id) * input.1 + ih) * input.2 + iw : -1
                    t += 1
                }
            }
        }
    }
}

extension Kernels {
    // MARK: Convolution (im2col)

    /// Unfolds the channels `[c0, c0 + cg)` of the windows of the output rows `rows` (all when
    /// nil) of `x` (channels-last) into the rows of `cols` (`rows.count × windowSize·cg`, taps
    /// major, channels minor: the layout of a Keras kernel `(k..., cg, filters)` read as a
    /// `windowSize·cg × filters` matrix).
    static func im2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, rows: Range<Int>? = nil, channelStart c0: Int,
                       channels cg: Int, into cols: UnsafeMutablePointer<Float>) {
        let k = g.windowSize * cg, c = g.channels, rows = rows ?? 0..<g.outputRows
        g.forEachWindow(rows: rows) { row, taps in
            let dst = cols + (row - rows.lowerBound) * k
            for t in 0..<taps.count {
                let o = taps[t]
                if o >= 0 {
                    (dst + t * cg).update(from: x + o * c + c0, count: cg)
                } else {
                    (dst + t * cg).update(repeating: 0, count: cg)
                }
            }
        }
    }

    /// The adjoint of ``im2col(_:_:rows:channelStart:channels:into:)``: adds each row of `cols`
    /// back onto the input positions it was read from (`dx` must be initialised).
    static func col2im(_ cols: UnsafePointer<Float>, _ g: WindowGeometry, rows: Range<Int>? = nil, channelStart c0: Int,
                       channels cg: Int, into dx: UnsafeMutablePointer<Float>) {
        let k = g.windowSize * cg, c = g.channels, rows = rows ?? 0..<g.outputRows
        g.forEachWindow(rows: rows) { row, taps in
            let src = cols + (row - rows.lowerBound) * k
            for t in 0..<taps.count {
                let o = taps[t]
                guard o >= 0 else { continue }
                let d = dx + o * c + c0, s = src + t * cg
                for j in 0..<cg { d[j] += s[j] }
            }
        }
    }

    /// Copies columns `[c0, c0 + width)` of a `rows × cols` matrix into a dense `rows × width` one.
    static func copyColumns(_ x: UnsafePointer<Float>, rows: Int, cols: Int, start c0: Int, width: Int,
                            into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (out + r * width).update(from: x + r * cols + c0, count: width) }
    }

    /// Writes a dense `rows × width` matrix into columns `[c0, c0 + width)` of a `rows × cols` one.
    static func storeColumns(_ x: UnsafePointer<Float>, rows: Int, cols: Int, start c0: Int, width: Int,
                             into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows { (out + r * cols + c0).update(from: x + r * width, count: width) }
    }
}

extension Kernels {
    // MARK: Depthwise convolution (direct)

    /// Adds the depthwise convolution of channels-last `x` (`g.channels` channels) with `w`
    /// (`windowSize × channels × multiplier`) onto `out` (`outputRows × channels·multiplier`,
    /// initialised): output channel `c·multiplier + j` sees input channel `c` only.
    static func depthwiseConv(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: WindowGeometry, multiplier dm: Int,
                              into out: UnsafeMutablePointer<Float>) {
        let c = g.channels, width = c * dm
        g.forEachWindow { row, taps in
            let o = out + row * width
            for t in 0..<taps.count where taps[t] >= 0 {
                let xs = x + taps[t] * c, ws = w + t * width
                for ci in 0..<c {
                    let v = xs[ci], base = ci * dm
                    for j in 0..<dm { o[base + j] += v * ws[base + j] }
                }
            }
        }
    }

    /// The gradients of ``depthwiseConv(_:_:_:multiplier:into:)`` for upstream `dz`: adds onto
    /// `dx` (shaped as `x`) and `dw` (shaped as `w`) where given; both must be initialised.
    static func depthwiseConvBackward(_ dz: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                      _ g: WindowGeometry, multiplier dm: Int,
                                      dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?) {
        let c = g.channels, width = c * dm
        g.forEachWindow { row, taps in
            let up = dz + row * width
            for t in 0..<taps.count where taps[t] >= 0 {
                let offset = taps[t] * c, ws = w + t * width
                for ci in 0..<c {
                    let base = ci * dm
                    if let dx {
                        var s: Float = 0
                        for j in 0..<dm { s += up[base + j] * ws[base + j] }
                        dx[offset + ci] += s
                    }
                    if let dw {
                        let v = x[offset + ci], d = dw + t * width + base
                        for j in 0..<dm { d[j] += v * up[base + j] }
                    }
                }
            }
        }
    }
}
