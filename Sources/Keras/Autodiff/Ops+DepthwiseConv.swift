extension Ops {
    /// N-d depthwise convolution of a channels-last input with a kernel `(k..., in, multiplier)`
    /// (output channel `c·multiplier + j` from input channel `c`), plus bias and a fused
    /// activation; a direct loop (the reduction per output is only the window).
    /// Keras: `ops.depthwise_conv` (channels-last), then bias and activation.
    public static func depthwiseConv(_ x: Tensor, kernel: Tensor, bias: Tensor?, strides: [Int], padding: ConvPadding,
                                     dilation: [Int], activation: ElementwiseActivation = .linear) throws -> Tensor {
        let r = x.rank - 2
        guard r >= 1, kernel.rank == r + 2, kernel.shape[r] == x.shape[r + 1] else {
            throw KerasError.shapeMismatch("depthwise_conv: input of shape \(x.shape) does not fit a kernel of shape \(kernel.shape) (k..., in, multiplier)")
        }
        let dm = kernel.shape[r + 1], f = x.shape[r + 1] * dm
        if let bias, bias.shape != [f] {
            throw KerasError.shapeMismatch("depthwise_conv: bias of shape \(bias.shape) does not fit \(f) output channels")
        }
        let g = try windowGeometry("depthwise_conv", input: x.shape, window: Array(kernel.shape.prefix(r)), strides: strides,
                                   dilation: dilation, padding: padding)
        let m = g.outputRows
        let out = Tensor.uninitialized(windowOutputShape(g, rank: r, channels: f))
        if let bias { Kernels.fillRows(out.data, with: bias.data, rows: m, cols: f) } else { out.data.initialize(repeating: 0, count: m * f) }
        Kernels.depthwiseConv(x.data, kernel.data, g, multiplier: dm, into: out.data)
        activation.apply(out.data, count: m * f)
        guard let tape = GradientTape.active,
              tape.tracks(x) || tape.tracks(kernel) || (bias.map(tape.tracks) ?? false) else { return out }
        return tape.record(out) { up, t in
            let dz = biasActivationBackward(out: out, upstream: up, bias: bias, activation: activation, tape: t)
            let dx = t.tracks(x) ? Tensor(shape: x.shape) : nil, dk = t.tracks(kernel) ? Tensor(shape: kernel.shape) : nil
            guard dx != nil || dk != nil else { return }
            Kernels.depthwiseConvBackward(dz.data, x.data, kernel.data, g, multiplier: dm, dx: dx?.data, dw: dk?.data)
            if let dk { t.accumulate(kernel, dk) }
            if let dx { t.accumulate(x, dx) }
        }
    }
}
