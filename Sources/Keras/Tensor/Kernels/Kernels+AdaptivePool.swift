/// The shape of a 2-D adaptive pooling: `batch` images of `channels` channels and
/// `height × width` pixels, in either layout, cut into the row and column bins of
/// ``Ops/adaptiveBins(length:count:)``. The output has the input's layout.
struct AdaptivePoolGeometry {
    var batch: Int
    var channels: Int
    var height: Int
    var width: Int
    var rows: [Range<Int>]
    var cols: [Range<Int>]
    var channelsLast: Bool

    /// Input and output floats of one image.
    var inputsPerImage: Int { height * width * channels }
    var outputsPerImage: Int { rows.count * cols.count * channels }
    /// How many parts to split the images into (the work of an image is about its input).
    var parts: Int { Parallel.partCount(rows: batch, width: inputsPerImage) }
}

extension Kernels {
    // MARK: Adaptive pooling (2-D, one pass)

    /// 2-D adaptive max pooling of `x` into `out` in one pass over each box (a row bin × a column
    /// bin), writing in `argmax` the flat input index each output came from (its backward is
    /// ``maxPoolBackward(_:argmax:count:samples:inputCount:into:)``). Each box is read column by column, a column top
    /// to bottom, keeping the first maximum: the element that pooling the rows and then the columns
    /// (Keras's backends, one axis after the other) routes the gradient to. A NaN wins and stays,
    /// as in Keras. Channels-last boxes take eight channels per SIMD step; images split across cores.
    static func adaptiveMaxPool2D(_ x: UnsafePointer<Float>, _ g: AdaptivePoolGeometry, into out: UnsafeMutablePointer<Float>,
                                  argmax: UnsafeMutablePointer<Int32>) {
        let c = g.channels, w = g.width, plane = g.height * g.width
        let ow = g.cols.count, oh = g.rows.count
        Parallel.forEachPart(g.batch, parts: g.parts) { _, samples in
            guard g.channelsLast else {
                // (batch, channels, height, width): one plane at a time, one output at a time.
                for p in samples.lowerBound * c..<samples.upperBound * c {
                    let base = p * plane, src = x + base
                    var o = p * oh * ow
                    for rows in g.rows {
                        for cols in g.cols {
                            var best = -Float.infinity, at = base + rows.lowerBound * w + cols.lowerBound
                            for cw in cols {
                                for r in rows {
                                    let v = src[r * w + cw]
                                    if v > best || (v.isNaN && !best.isNaN) {
                                        best = v
                                        at = base + r * w + cw
                                    }
                                }
                            }
                            out[o] = best
                            argmax[o] = Int32(truncatingIfNeeded: at)
                            o += 1
                        }
                    }
                }
                return
            }
            // (batch, height, width, channels): eight channels of a box at a time.
            let vectorEnd = c - c % 8, lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
            for n in samples {
                var o = n * oh * ow * c
                for rows in g.rows {
                    for cols in g.cols {
                        let first = ((n * g.height + rows.lowerBound) * w + cols.lowerBound) * c
                        for j in stride(from: 0, to: vectorEnd, by: 8) {
                            var best = SIMD8<Float>(repeating: -.infinity)
                            var index = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: first + j)) &+ lanes
                            for cw in cols {
                                for r in rows {
                                    let t = ((n * g.height + r) * w + cw) * c + j
                                    let v = load8(x + t)
                                    let takes = (v .> best) .| ((v .!= v) .& (best .== best))
                                    best.replace(with: v, where: takes)
                                    index.replace(with: SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: t)) &+ lanes, where: takes)
                                }
                            }
                            store8(best, out + o + j)
                            UnsafeMutableRawPointer(argmax + o + j).storeBytes(of: index, as: SIMD8<Int32>.self)
                        }
                        for j in vectorEnd..<c {
                            var best = -Float.infinity, at = first + j
                            for cw in cols {
                                for r in rows {
                                    let t = ((n * g.height + r) * w + cw) * c + j, v = x[t]
                                    if v > best || (v.isNaN && !best.isNaN) {
                                        best = v
                                        at = t
                                    }
                                }
                            }
                            out[o + j] = best
                            argmax[o + j] = Int32(truncatingIfNeeded: at)
                        }
                        o += c
                    }
                }
            }
        }
    }

    /// 2-D adaptive average pooling of `x` into `out`: each output the mean of its box, in one
    /// pass (channels-last boxes a row of channels at a time); images split across cores.
    static func adaptiveAveragePool2D(_ x: UnsafePointer<Float>, _ g: AdaptivePoolGeometry, into out: UnsafeMutablePointer<Float>) {
        let c = g.channels, w = g.width
        adaptiveAverageBoxes(g) { o, base, rows, cols, scale in
            let d = out + o
            if g.channelsLast {
                d.update(repeating: 0, count: c)
                for r in rows {
                    for col in cols {
                        let s = x + base + (r * w + col) * c
                        for k in 0..<c { d[k] += s[k] }
                    }
                }
                for k in 0..<c { d[k] *= scale }
            } else {
                var sum: Float = 0
                for r in rows {
                    for col in cols { sum += x[base + r * w + col] }
                }
                d[0] = sum * scale
            }
        }
    }

    /// The adjoint of ``adaptiveAveragePool2D(_:_:into:)``: adds each upstream value over its box,
    /// divided by the box's size (`dx` must be initialised).
    static func adaptiveAveragePool2DBackward(_ up: UnsafePointer<Float>, _ g: AdaptivePoolGeometry,
                                              into dx: UnsafeMutablePointer<Float>) {
        let c = g.channels, w = g.width
        adaptiveAverageBoxes(g) { o, base, rows, cols, scale in
            if g.channelsLast {
                let s = up + o
                for r in rows {
                    for col in cols {
                        let d = dx + base + (r * w + col) * c
                        for k in 0..<c { d[k] += s[k] * scale }
                    }
                }
            } else {
                let v = up[o] * scale
                for r in rows {
                    for col in cols { dx[base + r * w + col] += v }
                }
            }
        }
    }

    /// Calls `body(outputOffset, planeOffset, rowBin, columnBin, 1 / boxSize)` for every box of
    /// `g`: channels-last, once per output pixel (its `channels` floats at `outputOffset`; input
    /// pixel `(r, col)` at `planeOffset + (r · width + col) · channels`), channels-first once per
    /// output element (input `(r, col)` at `planeOffset + r · width + col`). Images split across
    /// cores: each image's calls touch that image only.
    @inline(__always)
    private static func adaptiveAverageBoxes(_ g: AdaptivePoolGeometry,
                                             _ body: (Int, Int, Range<Int>, Range<Int>, Float) -> Void) {
        let c = g.channels, ow = g.cols.count, oh = g.rows.count
        let planes = g.channelsLast ? 1 : c, step = g.channelsLast ? c : 1
        Parallel.forEachPart(g.batch, parts: g.parts) { _, samples in
            for p in samples.lowerBound * planes..<samples.upperBound * planes {
                // A channels-last image is one "plane" of `c`-float pixels.
                let base = p * g.height * g.width * step
                var o = p * oh * ow * step
                for rows in g.rows {
                    for cols in g.cols {
                        body(o, base, rows, cols, 1 / Float(rows.count * cols.count))
                        o += step
                    }
                }
            }
        }
    }
}
