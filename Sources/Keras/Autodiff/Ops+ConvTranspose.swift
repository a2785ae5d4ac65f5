extension Ops {
    /// The output length and the leading crop of one spatial axis of a transposed convolution
    /// of `n` input positions; nil when `padding` is `causal` or a size overflows. The crop is
    /// the leading padding of the convolution whose input gradient the transposed one is.
    /// Keras: `compute_conv_transpose_output_shape` and the JAX padding it derives.
    static func transposeLength(_ n: Int, window k: Int, stride s: Int, dilation d: Int, padding: ConvPadding,
                                outputPadding: Int?) -> (output: Int, before: Int)? {
        let (span, overflow) = (k - 1).multipliedReportingOverflow(by: d)
        let (scaled, overflow2) = (n - 1).multipliedReportingOverflow(by: s)
        let limit = Int.max / 4
        guard !overflow, !overflow2, span < limit, scaled < limit, s < limit, (outputPadding ?? 0) < limit else { return nil }
        let effective = span + 1
        switch padding {
        case .valid:
            let extra = outputPadding ?? (Swift.max(effective, s) - effective)
            return (scaled + effective + extra, 0)
        case .same:
            let padTotal = outputPadding.map { effective + effective % 2 - 2 + $0 } ?? (s + effective - 2)
            let left = Swift.min(padTotal / 2 + padTotal % 2, effective - 1)
            let out = outputPadding.map { scaled + effective % 2 + $0 } ?? n * s
            return (out, effective - 1 - left)
        case .causal:
            return nil
        }
    }

    /// The geometry of the convolution whose input gradient is the transposed convolution of a
    /// channels-last `shape` into `filters` channels: its input is the transposed output.
    static func transposeGeometry(_ op: String, input shape: [Int], filters: Int, window: [Int], strides: [Int],
                                  dilation: [Int], padding: ConvPadding, outputPadding: [Int]?) throws -> WindowGeometry {
        let r = shape.count - 2
        guard (1...3).contains(r) else {
            throw KerasError.shapeMismatch("\(op): expects an input of rank 3 to 5 (batch, spatial..., channels), got shape \(shape)")
        }
        for (label, v) in [("kernel size", window), ("strides", strides), ("dilation_rate", dilation)] {
            guard v.count == r, v.allSatisfy({ $0 > 0 }) else {
                throw KerasError.invalidArgument("\(op): \(label) \(v) must be \(r) positive integers for an input of shape \(shape)")
            }
        }
        if let outputPadding, outputPadding.count != r || outputPadding.contains(where: { $0 < 0 }) {
            throw KerasError.invalidArgument("\(op): output_padding \(outputPadding) must be \(r) non-negative integers")
        }
        var ins = [1, 1, 1], ks = [1, 1, 1], ss = [1, 1, 1], ds = [1, 1, 1], before = [0, 0, 0], outs = [1, 1, 1]
        for a in 0..<r {
            let i = 3 - r + a, n = shape[a + 1]
            guard let (o, b) = transposeLength(n, window: window[a], stride: strides[a], dilation: dilation[a],
                                               padding: padding, outputPadding: outputPadding?[a]), o > 0 else {
                throw KerasError.shapeMismatch("\(op): an input of shape \(shape) gives no output (or one too large) on spatial axis \(a) (kernel size \(window[a]), strides \(strides[a]), padding '\(padding.rawValue)', output_padding \(outputPadding.map { "\($0)" } ?? "None"))")
            }
            ins[i] = o; ks[i] = window[a]; ss[i] = strides[a]; ds[i] = dilation[a]; before[i] = b; outs[i] = n
        }
        return WindowGeometry(batch: shape[0], channels: filters, input: (ins[0], ins[1], ins[2]),
                              window: (ks[0], ks[1], ks[2]), stride: (ss[0], ss[1], ss[2]),
                              dilation: (ds[0], ds[1], ds[2]), padBefore: (before[0], before[1], before[2]),
                              output: (outs[0], outs[1], outs[2]))
    }

    /// N-d transposed convolution (1 to 3 spatial axes) of a channels-last input with a kernel
    /// `(k..., filters, in)`, plus bias and a fused activation: the input gradient of a
    /// convolution, computed as one GEMM and col2im. Keras: `ops.conv_transpose` (channels-last),
    /// then bias and activation.
    public static func convTranspose(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: [Int], padding: ConvPadding,
                                     outputPadding: [Int]? = nil, dilation: [Int],
                                     activation: ElementwiseActivation = .linear) throws -> Tensor {
        let r = x.rank - 2
        guard r >= 1, kernel.rank == r + 2, kernel.shape[r + 1] == x.shape[r + 1] else {
            throw KerasError.shapeMismatch("conv_transpose: input of shape \(x.shape) does not fit a kernel of shape \(kernel.shape) (k..., filters, in)")
        }
        let cin = x.shape[r + 1], f = kernel.shape[r]
        if let bias, bias.shape != [f] {
            throw KerasError.shapeMismatch("conv_transpose: bias of shape \(bias.shape) does not fit \(f) filters")
        }
        let g = try transposeGeometry("conv_transpose", input: x.shape, filters: f, window: Array(kernel.shape.prefix(r)),
                                      strides: strides, dilation: dilation, padding: padding, outputPadding: outputPadding)
        let m = g.outputRows, k = g.windowSize * f
        let outShape = [g.batch] + [g.input.0, g.input.1, g.input.2].suffix(r) + [f]
        try checkOutputFits(outShape, "conv_transpose")
        try checkOutputFits([m, k], "conv_transpose (its columns)")
        let rows = outShape.dropLast().reduce(1, *)
        let out = Tensor.uninitialized(outShape), cols = Tensor.uninitialized([m, k])
        if let bias { Kernels.fillRows(out.data, with: bias.data, rows: rows, cols: f) } else { out.data.initialize(repeating: 0, count: rows * f) }
        Kernels.gemm(x.data, transA: false, kernel.data, transB: true, cols.data, m: m, n: k, k: cin)
        Kernels.col2im(cols.data, g, channelStart: 0, channels: f, into: out.data)
        activation.apply(out.data, count: rows * f)
        guard let tape = GradientTape.active,
              tape.tracks(x) || tape.tracks(kernel) || (bias.map(tape.tracks) ?? false) else { return out }
        return tape.record(out) { up, t in
            let dz = biasActivationBackward(out: out, upstream: up, bias: bias, activation: activation, tape: t)
            guard t.tracks(kernel) || t.tracks(x) else { return }
            Kernels.im2col(dz.data, g, channelStart: 0, channels: f, into: cols.data)
            if t.tracks(kernel) {
                let dk = Tensor.uninitialized(kernel.shape)
                Kernels.gemm(cols.data, transA: true, x.data, transB: false, dk.data, m: k, n: cin, k: m)
                t.accumulate(kernel, dk)
            }
            if t.tracks(x) {
                let dx = Tensor.uninitialized(x.shape)
                Kernels.gemm(cols.data, transA: false, kernel.data, transB: false, dx.data, m: m, n: cin, k: k)
                t.accumulate(x, dx)
            }
        }
    }

    /// The gradient before a fused activation of `out` (channels last), accumulating the bias
    /// gradient (the sum over positions) when the tape tracks `bias`.
    static func biasActivationBackward(out: Tensor, upstream up: Tensor, bias: Tensor?, activation: ElementwiseActivation,
                                       tape t: GradientTape) -> Tensor {
        let count = out.count, f = out.shape.last ?? 1
        let dz: Tensor
        if activation == .linear {
            dz = up
        } else {
            dz = Tensor.uninitialized(out.shape)
            activation.backward(output: out.data, upstream: up.data, into: dz.data, count: count)
        }
        if let bias, t.tracks(bias) {
            let db = Tensor.uninitialized([f])
            Kernels.columnSums(dz.data, rows: count / Swift.max(f, 1), cols: f, into: db.data)
            t.accumulate(bias, db)
        }
        return dz
    }
}
