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
        // Calls `body(o, b, bin)` for each output element `o`: input element `j` of its bin is `b + j · inner`.
        func eachOutput(_ body: (Int, Int, Range<Int>) -> Void) {
            for o in 0..<outer {
                for (i, bin) in bins.enumerated() {
                    for k in 0..<inner { body((o * outputSize + i) * inner + k, o * length * inner + k, bin) }
                }
            }
        }
        let src = x.data, dst = out.data
        chosen.withUnsafeMutableBufferPointer { best in
            eachOutput { e, base, bin in
                if takesMaximum {
                    var at = bin.lowerBound, m = src[base + at * inner]
                    for j in bin.dropFirst() where !m.isNaN {   // a NaN stays, as in Keras
                        let v = src[base + j * inner]
                        if v > m || v.isNaN { m = v; at = j }
                    }
                    dst[e] = m
                    best[e] = Int32(at)
                } else {
                    var s: Float = 0
                    for j in bin { s += src[base + j * inner] }
                    dst[e] = s / Float(bin.count)
                }
            }
        }
        guard let tape = recording(x) else { return out }
        return tape.record(out) { up, t in
            let dx = Tensor(shape: x.shape)
            let g = up.data, d = dx.data
            eachOutput { e, base, bin in
                if takesMaximum {
                    d[base + Int(chosen[e]) * inner] += g[e]
                } else {
                    for j in bin { d[base + j * inner] += g[e] / Float(bin.count) }
                }
            }
            t.accumulate(x, dx)
        }
    }
}
