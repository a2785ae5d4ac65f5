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

extension Ops {
    /// Adaptive pooling of the spatial axes of `x` (rank 3 to 5: `(batch, spatial..., channels)`,
    /// or `(batch, channels, spatial...)` for `.channelsFirst`) into `outputSize` bins per axis
    /// (one size, repeated, or one per axis): each box in one pass for 2-D inputs
    /// (``adaptivePool2D(_:outputSize:dataFormat:takesMaximum:)``), one axis after the other
    /// otherwise (the box's mean is the mean of the axes' means, its maximum the maximum of theirs).
    /// Keras: `ops.adaptive_average_pool` / `ops.adaptive_max_pool`.
    public static func adaptivePool(_ x: Tensor, outputSize: [Int], dataFormat: DataFormat, takesMaximum: Bool) throws -> Tensor {
        let op = takesMaximum ? "adaptive_max_pool" : "adaptive_average_pool", r = x.rank - 2
        guard (1...3).contains(r) else {
            throw KerasError.shapeMismatch("\(op): supports only 1D/2D/3D inputs (rank 3 to 5), got shape \(x.shape)")
        }
        guard outputSize.count == 1 || outputSize.count == r, outputSize.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument("\(op): output_size must be one positive integer or \(r) (one per spatial axis), got \(outputSize)")
        }
        let sizes = outputSize.count == r ? outputSize : Array(repeating: outputSize[0], count: r)
        if r == 2 { return try adaptivePool2D(x, outputSize: sizes, dataFormat: dataFormat, takesMaximum: takesMaximum) }
        let first = dataFormat == .channelsLast ? 1 : 2
        var y = x
        for (i, size) in sizes.enumerated() {
            y = try adaptivePool(y, axis: first + i, outputSize: size, takesMaximum: takesMaximum)
        }
        return y
    }

    /// 2-D adaptive pooling of rank-4 images (`(batch, height, width, channels)`, or
    /// `(batch, channels, height, width)` for `.channelsFirst`) into `outputSize` (rows, columns)
    /// in one pass over each box of ``adaptiveBins(length:count:)``'s row and column bins: the
    /// numbers of ``adaptivePool(_:axis:outputSize:takesMaximum:)`` along the rows then the columns
    /// (Keras's backends), with no intermediate tensor. The backward spreads the gradient evenly
    /// over each box (mean) or onto the maximum that the row-then-column pooling would choose.
    /// Keras: `ops.adaptive_average_pool` / `ops.adaptive_max_pool` of a 4-D input.
    public static func adaptivePool2D(_ x: Tensor, outputSize: [Int], dataFormat: DataFormat, takesMaximum: Bool) throws -> Tensor {
        let op = takesMaximum ? "adaptive_max_pool" : "adaptive_average_pool"
        guard x.rank == 4 else {
            throw KerasError.shapeMismatch("\(op): expects a 4-D input for 2-D pooling, got shape \(x.shape)")
        }
        guard outputSize.count == 2, outputSize.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument("\(op): output_size must be two positive integers, got \(outputSize)")
        }
        let last = dataFormat == .channelsLast
        let (height, width) = last ? (x.shape[1], x.shape[2]) : (x.shape[2], x.shape[3])
        guard height > 0, width > 0 else {
            throw KerasError.invalidArgument("\(op): cannot pool a \(height)x\(width) image into \(outputSize[0])x\(outputSize[1]) bins (both must be positive)")
        }
        guard x.count < Int(Int32.max) else {
            throw KerasError.invalidArgument("\(op): an input of shape \(x.shape) has more elements than the pooling index holds")
        }
        let g = AdaptivePoolGeometry(batch: x.shape[0], channels: last ? x.shape[3] : x.shape[1], height: height, width: width,
                                     rows: adaptiveBins(length: height, count: outputSize[0]),
                                     cols: adaptiveBins(length: width, count: outputSize[1]), channelsLast: last)
        let out = Tensor.uninitialized(last ? [g.batch, outputSize[0], outputSize[1], g.channels]
                                            : [g.batch, g.channels, outputSize[0], outputSize[1]])
        guard takesMaximum else {
            Kernels.adaptiveAveragePool2D(x.data, g, into: out.data)
            guard let tape = recording(x) else { return out }
            return tape.record(out) { up, t in
                let dx = Tensor(shape: x.shape)
                Kernels.adaptiveAveragePool2DBackward(up.data, g, into: dx.data)
                t.accumulate(x, dx)
            }
        }
        var argmax = [Int32](repeating: 0, count: out.count)
        argmax.withUnsafeMutableBufferPointer { a in
            if let base = a.baseAddress { Kernels.adaptiveMaxPool2D(x.data, g, into: out.data, argmax: base) }
        }
        return recordingMaxPool(x, out, argmax: argmax)
    }
}
