/// How a convolution or pooling window treats the borders. Keras: the `padding` argument.
public enum ConvPadding: String, Sendable, CaseIterable, LayerArgumentValue {
    /// No padding: windows lie inside the input.
    case valid
    /// Zero padding (split evenly, the extra one after) so that the output has `ceil(in / stride)` positions.
    case same
    /// Padding before the first axis only, so that no output sees later inputs (Conv1D).
    case causal

    public var configValue: JSON { .string(rawValue) }

    /// The padding with a Keras name; throws naming `context` for anything else.
    public static func named(_ name: String, _ context: String) throws -> ConvPadding {
        guard let p = ConvPadding(rawValue: name.lowercased()) else {
            throw KerasError.invalidArgument("\(context): padding '\(name)' is not one of \"valid\", \"same\", \"causal\"")
        }
        return p
    }
}

extension Ops {
    /// The window geometry of a channels-last input `(batch, spatial..., channels)` under a
    /// window of `window` taps per spatial axis; throws naming `op` for a bad size.
    static func windowGeometry(_ op: String, input shape: [Int], window: [Int], strides: [Int],
                               dilation: [Int], padding: ConvPadding) throws -> WindowGeometry {
        let r = shape.count - 2
        guard (1...3).contains(r) else {
            throw KerasError.shapeMismatch("\(op): expects an input of rank 3 to 5 (batch, spatial..., channels), got shape \(shape)")
        }
        for (label, v) in [("kernel/pool size", window), ("strides", strides), ("dilation_rate", dilation)] {
            guard v.count == r, v.allSatisfy({ $0 > 0 }) else {
                throw KerasError.invalidArgument("\(op): \(label) \(v) must be \(r) positive integers for an input of shape \(shape)")
            }
        }
        var ins = [1, 1, 1], ks = [1, 1, 1], ss = [1, 1, 1], ds = [1, 1, 1], before = [0, 0, 0], outs = [1, 1, 1]
        for a in 0..<r {
            let i = 3 - r + a, n = shape[a + 1]
            let effective = try ShapeMath.sum(try ShapeMath.product([window[a] - 1, dilation[a]], op), 1, op)
            ins[i] = n; ks[i] = window[a]; ss[i] = strides[a]; ds[i] = dilation[a]
            guard let (o, b) = windowLength(n, window: window[a], stride: strides[a], dilation: dilation[a], padding: padding) else {
                throw KerasError.shapeMismatch("\(op): the window of \(effective) (kernel/pool size \(window[a]), dilation \(dilation[a])) is larger than the input's \(n) positions on spatial axis \(a) of shape \(shape) with padding 'valid'")
            }
            outs[i] = o; before[i] = b
        }
        return WindowGeometry(batch: shape[0], channels: shape[r + 1], input: (ins[0], ins[1], ins[2]),
                              window: (ks[0], ks[1], ks[2]), stride: (ss[0], ss[1], ss[2]),
                              dilation: (ds[0], ds[1], ds[2]), padBefore: (before[0], before[1], before[2]),
                              output: (outs[0], outs[1], outs[2]))
    }

    /// The output length and leading padding of one spatial axis of `n` positions; nil when the
    /// (dilated) window does not fit a `valid` input (or its size overflows). Keras: `compute_conv_output_shape`.
    static func windowLength(_ n: Int, window k: Int, stride s: Int, dilation d: Int,
                             padding: ConvPadding) -> (output: Int, before: Int)? {
        let (span, overflow) = (k - 1).multipliedReportingOverflow(by: d)
        guard !overflow, span < Int.max - n else { return nil }
        let effective = span + 1
        switch padding {
        case .valid:
            return n >= effective ? ((n - effective) / s + 1, 0) : nil
        case .same:
            let out = (n + s - 1) / s
            return (out, Swift.max((out - 1) * s + effective - n, 0) / 2)
        case .causal:
            return (n == 0 ? 0 : (n - 1) / s + 1, effective - 1)
        }
    }

    /// The output shape `(batch, spatial..., channels)` of geometry `g` over `r` spatial axes.
    static func windowOutputShape(_ g: WindowGeometry, rank r: Int, channels: Int) -> [Int] {
        [g.batch] + [g.output.0, g.output.1, g.output.2].suffix(r) + [channels]
    }

    /// N-d convolution (1 to 3 spatial axes) of a channels-last input with a kernel
    /// `(k..., in / groups, filters)`, plus bias and a fused activation; im2col and GEMM.
    /// Keras: `ops.conv` (with `data_format="channels_last"`), then bias and activation.
    public static func conv(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: [Int], padding: ConvPadding,
                            dilation: [Int], groups: Int = 1,
                            activation: ElementwiseActivation = .linear) throws -> Tensor {
        let r = x.rank - 2
        guard r >= 1, kernel.rank == r + 2 else {
            throw KerasError.shapeMismatch("conv: input of shape \(x.shape) does not fit a kernel of shape \(kernel.shape)")
        }
        let cin = x.shape[r + 1], f = kernel.shape[r + 1], cg = kernel.shape[r]
        guard groups > 0, cg * groups == cin, f % groups == 0 else {
            throw KerasError.shapeMismatch("conv: input of shape \(x.shape) with groups \(groups) does not fit a kernel of shape \(kernel.shape)")
        }
        if let bias, bias.shape != [f] {
            throw KerasError.shapeMismatch("conv: bias of shape \(bias.shape) does not fit \(f) filters")
        }
        let g = try windowGeometry("conv", input: x.shape, window: Array(kernel.shape.prefix(r)), strides: strides,
                                   dilation: dilation, padding: padding)
        let m = g.outputRows, fg = f / groups, k = g.windowSize * cg
        let outShape = windowOutputShape(g, rank: r, channels: f)
        // A tiny reduction runs the direct kernel (no im2col, bias and relu fused); a larger one
        // im2col + GEMM by tiles in cache (bias and activation fused); groups a full im2col per group.
        let direct = groups == 1 && k <= Kernels.directConvLimit, tiled = groups == 1 && !direct
        let out = Tensor.uninitialized(outShape), cols = groups == 1 ? nil : Tensor.uninitialized([m, k])
        if tiled {
            Kernels.tiledConv(x.data, kernel.data, bias: bias?.data, g, filters: f, activation: activation, into: out.data)
        } else if let cols {
            if let bias { Kernels.fillRows(out.data, with: bias.data, rows: m, cols: f) } else { out.data.initialize(repeating: 0, count: m * f) }
            let wg = Tensor.uninitialized([k, fg]), og = Tensor.uninitialized([m, fg])
            for gi in 0..<groups {
                Kernels.im2col(x.data, g, channelStart: gi * cg, channels: cg, into: cols.data)
                Kernels.copyColumns(kernel.data, rows: k, cols: f, start: gi * fg, width: fg, into: wg.data)
                Kernels.copyColumns(out.data, rows: m, cols: f, start: gi * fg, width: fg, into: og.data)
                Kernels.gemm(cols.data, transA: false, wg.data, transB: false, og.data, m: m, n: fg, k: k, beta: 1)
                Kernels.storeColumns(og.data, rows: m, cols: f, start: gi * fg, width: fg, into: out.data)
            }
            activation.apply(out.data, count: m * f)
        } else {
            Kernels.directConv(x.data, kernel.data, bias: bias?.data, g, filters: f, relu: activation == .relu, into: out.data)
            if activation != .relu { activation.apply(out.data, count: m * f) }
        }
        guard let tape = GradientTape.active,
              tape.tracks(x) || tape.tracks(kernel) || (bias.map(tape.tracks) ?? false) else { return out }
        return tape.record(out) { up, t in
            let dk = t.tracks(kernel) ? Tensor.uninitialized(kernel.shape) : nil
            if tiled {
                let dx = t.tracks(x) ? Tensor(shape: x.shape) : nil
                let db = bias.flatMap { t.tracks($0) ? Tensor.uninitialized([f]) : nil }
                guard dk != nil || dx != nil || db != nil else { return }
                Kernels.tiledConvBackward(x.data, kernel.data, g, filters: f, activation: activation, output: out.data,
                                          upstream: up.data, dx: dx?.data, dw: dk?.data, db: db?.data)
                if let dk { t.accumulate(kernel, dk) }
                if let bias, let db { t.accumulate(bias, db) }
                if let dx { t.accumulate(x, dx) }
                return
            }
            if direct, !t.tracks(x), activation == .relu || activation == .linear {
                // The first layer of an image model: the relu's backward, the bias and kernel gradients in one pass.
                let db = bias.flatMap { t.tracks($0) ? Tensor.uninitialized([f]) : nil }
                guard dk != nil || db != nil else { return }
                let dw = dk ?? Tensor.uninitialized(kernel.shape)
                Kernels.directConvBackward(x.data, upstream: up.data, output: out.data, relu: activation == .relu, g,
                                           filters: f, kernel: dw.data, bias: db?.data)
                if let dk { t.accumulate(kernel, dk) }
                if let bias, let db { t.accumulate(bias, db) }
                return
            }
            let dz = biasActivationBackward(out: out, upstream: up, bias: bias, activation: activation, tape: t)
            let dx = t.tracks(x) ? Tensor(shape: x.shape) : nil
            guard dk != nil || dx != nil else { return }
            let dcols = dx == nil ? nil : Tensor.uninitialized([m, k])
            let single = groups == 1
            let dzg = single ? dz : Tensor.uninitialized([m, fg]), wg = single ? kernel : Tensor.uninitialized([k, fg])
            let dwg = single ? dk : dk.map { _ in Tensor.uninitialized([k, fg]) }
            if direct, let dk {
                Kernels.directConvBackward(x.data, upstream: dz.data, output: out.data, relu: false, g, filters: f,
                                           kernel: dk.data, bias: nil)
            }
            for gi in 0..<groups {
                if !single, let cols {
                    Kernels.im2col(x.data, g, channelStart: gi * cg, channels: cg, into: cols.data)
                    Kernels.copyColumns(dz.data, rows: m, cols: f, start: gi * fg, width: fg, into: dzg.data)
                    Kernels.copyColumns(kernel.data, rows: k, cols: f, start: gi * fg, width: fg, into: wg.data)
                }
                if let dk, let dwg, let cols {
                    Kernels.gemm(cols.data, transA: true, dzg.data, transB: false, dwg.data, m: k, n: fg, k: m)
                    if !single { Kernels.storeColumns(dwg.data, rows: k, cols: f, start: gi * fg, width: fg, into: dk.data) }
                }
                if let dx, let dcols {
                    Kernels.gemm(dzg.data, transA: false, wg.data, transB: true, dcols.data, m: m, n: k, k: fg)
                    Kernels.col2im(dcols.data, g, channelStart: gi * cg, channels: cg, into: dx.data)
                }
            }
            if let dk { t.accumulate(kernel, dk) }
            if let dx { t.accumulate(x, dx) }
        }
    }

    /// The geometry of a pooling of `x` and its output's shape: a channels-last input as it is;
    /// a channels-first one as the channels-last pooling of its `batch · channels` planes, each
    /// one channel, whose outputs (and argmax, flat indices into `x`) come out in the
    /// channels-first layout, so that no transpose is made either way.
    static func poolingGeometry(_ op: String, _ x: Tensor, poolSize: [Int], strides: [Int], padding: ConvPadding,
                                dataFormat: DataFormat) throws -> (WindowGeometry, [Int]) {
        let r = x.rank - 2
        guard dataFormat == .channelsFirst else {
            let g = try windowGeometry(op, input: x.shape, window: poolSize, strides: strides,
                                       dilation: poolSize.map { _ in 1 }, padding: padding)
            return (g, windowOutputShape(g, rank: r, channels: g.channels))
        }
        guard (1...3).contains(r) else {
            throw KerasError.shapeMismatch("\(op): expects an input of rank 3 to 5 (batch, channels, spatial...), got shape \(x.shape)")
        }
        let planes = try ShapeMath.product([x.shape[0], x.shape[1]], op)
        let g = try windowGeometry(op, input: [planes] + x.shape[2...] + [1], window: poolSize, strides: strides,
                                   dilation: poolSize.map { _ in 1 }, padding: padding)
        return (g, [x.shape[0], x.shape[1]] + [g.output.0, g.output.1, g.output.2].suffix(r))
    }

    /// N-d max pooling (channels-last unless `dataFormat` says otherwise); the backward scatters
    /// onto each window's argmax. Keras: `ops.max_pool`.
    public static func maxPool(_ x: Tensor, poolSize: [Int], strides: [Int], padding: ConvPadding,
                               dataFormat: DataFormat = .channelsLast) throws -> Tensor {
        let (g, shape) = try poolingGeometry("max_pool", x, poolSize: poolSize, strides: strides, padding: padding,
                                             dataFormat: dataFormat)
        let out = Tensor.uninitialized(shape)
        guard recording(x) != nil else {
            // No gradient flows to `x` (inference, a model's input in `fit`): no argmax to keep.
            Kernels.maxPool(x.data, g, into: out.data, argmax: nil)
            return out
        }
        guard x.count < Int(Int32.max) else {
            throw KerasError.invalidArgument("max_pool: an input of shape \(x.shape) has more elements than the pooling index holds")
        }
        // Every index is written by the kernel: no zeroing first.
        let argmax = [Int32](unsafeUninitializedCapacity: out.count) { a, initialized in
            if let base = a.baseAddress { Kernels.maxPool(x.data, g, into: out.data, argmax: base) }
            initialized = out.count
        }
        return recordingMaxPool(x, out, argmax: argmax)
    }

    /// `out`, the max pooling of `x` whose maxima `argmax` holds (flat indices into `x`, one per
    /// output value), recorded on the tape: the backward sends each output's gradient to its maximum.
    static func recordingMaxPool(_ x: Tensor, _ out: Tensor, argmax: [Int32]) -> Tensor {
        guard let tape = recording(x) else { return out }
        return tape.record(out) { up, t in
            let dx = Tensor.uninitialized(x.shape)
            argmax.withUnsafeBufferPointer { a in
                if let base = a.baseAddress {
                    Kernels.maxPoolBackward(up.data, argmax: base, count: a.count, samples: x.shape.first ?? 1,
                                            inputCount: x.count, into: dx.data)
                } else {
                    dx.data.update(repeating: 0, count: x.count)
                }
            }
            t.accumulate(x, dx)
        }
    }

    /// N-d average pooling (channels-last unless `dataFormat` says otherwise), averaging only the
    /// taps inside the input. Keras: `ops.average_pool`.
    public static func averagePool(_ x: Tensor, poolSize: [Int], strides: [Int], padding: ConvPadding,
                                   dataFormat: DataFormat = .channelsLast) throws -> Tensor {
        let (g, shape) = try poolingGeometry("average_pool", x, poolSize: poolSize, strides: strides, padding: padding,
                                             dataFormat: dataFormat)
        let out = Tensor.uninitialized(shape)
        Kernels.averagePool(x.data, g, into: out.data)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { up, t in
            let dx = Tensor(shape: x.shape)
            Kernels.averagePoolBackward(up.data, g, into: dx.data)
            t.accumulate(x, dx)
        }
    }
}
