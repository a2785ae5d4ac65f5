extension Ops {
    /// The adaptive pooling bins of an axis of `length` cut into `count`:
    /// `[floor(i·length/count), ceil((i+1)·length/count))`, PyTorch's and Keras's windows (each
    /// `ceil(length/count)` or one more wide; they overlap where `length` is not a multiple).
    public static func adaptiveBins(length: Int, count: Int) -> [Range<Int>] {
        (0..<count).map { i in (i * length) / count..<((i + 1) * length + count - 1) / count }
    }

    /// Adaptive pooling along one axis: output element `i` of `axis` is the mean (or the maximum)
    /// of the input's elements in ``adaptiveBins(length:count:)``'s bin `i`. Pooling several axes
    /// one after the other pools their boxes, as Keras's backends do. The backward spreads the
    /// gradient evenly over each bin (mean) or onto the bin's first maximum.
    /// Keras: one axis of `ops.adaptive_average_pool` / `ops.adaptive_max_pool`.
    public static func adaptivePool(_ x: Tensor, axis: Int, outputSize: Int, takesMaximum: Bool) throws -> Tensor {
        let op = takesMaximum ? "adaptive_max_pool" : "adaptive_average_pool"
        let a = try normalizedAxis(op, axis, rank: x.rank)
        let length = x.shape[a]
        guard outputSize > 0, length > 0 else {
            throw KerasError.invalidArgument("\(op): cannot pool an axis of length \(length) into \(outputSize) bins (both must be positive)")
        }
        let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
        var outShape = x.shape
        outShape[a] = outputSize
        let bins = adaptiveBins(length: length, count: outputSize)
        let out = Tensor.uninitialized(outShape)
        // The input offset along the axis each output element came from (max only).
        var chosen = [Int32](repeating: 0, count: takesMaximum ? out.count : 0)
        guard x.count < Int(Int32.max) else {
            throw KerasError.invalidArgument("\(op): an input of shape \(x.shape) has more elements than the pooling index holds")
        }
        // Each output row (`inner` contiguous elements) comes from its bin's input rows: the loops
        // run over a row, so that they vectorize.
        let src = x.data, dst = out.data
        chosen.withUnsafeMutableBufferPointer { best in
            for o in 0..<outer {
                let rows = src + o * length * inner
                for (i, bin) in bins.enumerated() {
                    let e = (o * outputSize + i) * inner
                    let d = dst + e
                    if takesMaximum, let at = best.baseAddress.map({ $0 + e }) {
                        d.update(from: rows + bin.lowerBound * inner, count: inner)
                        at.update(repeating: Int32(bin.lowerBound), count: inner)
                        for j in bin.dropFirst() {
                            let r = rows + j * inner, jj = Int32(j)
                            // The bin's first maximum; a NaN stays, as in Keras.
                            for k in 0..<inner {
                                let v = r[k], m = d[k]
                                let takes = !m.isNaN && (v > m || v.isNaN)
                                d[k] = takes ? v : m
                                at[k] = takes ? jj : at[k]
                            }
                        }
                    } else if !takesMaximum {
                        d.update(repeating: 0, count: inner)
                        for j in bin {
                            let r = rows + j * inner
                            for k in 0..<inner { d[k] += r[k] }
                        }
                        let count = Float(bin.count)
                        for k in 0..<inner { d[k] /= count }
                    }
                }
            }
        }
        guard let tape = recording(x) else { return out }
        return tape.record(out) { up, t in
            let dx = Tensor(shape: x.shape)
            chosen.withUnsafeBufferPointer { best in
                for o in 0..<outer {
                    let rows = dx.data + o * length * inner
                    for (i, bin) in bins.enumerated() {
                        let e = (o * outputSize + i) * inner
                        let g = up.data + e
                        if takesMaximum, let at = best.baseAddress.map({ $0 + e }) {
                            for k in 0..<inner { rows[Int(at[k]) * inner + k] += g[k] }
                        } else if !takesMaximum {
                            let count = Float(bin.count)
                            for j in bin {
                                let r = rows + j * inner
                                for k in 0..<inner { r[k] += g[k] / count }
                            }
                        }
                    }
                }
            }
            t.accumulate(x, dx)
        }
    }
}
