extension Ops {
    /// Matrix product of `[..., m, k]` and `[k, n]`, or of two matrices. Keras: `ops.matmul`.
    public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 2, b.rank == 2, a.shape[a.rank - 1] == b.shape[0] else {
            throw KerasError.shapeMismatch("matmul: cannot multiply shapes \(a.shape) and \(b.shape)")
        }
        let k = b.shape[0], n = b.shape[1]
        let m = a.count / Swift.max(k, 1)
        var outShape = a.shape
        outShape[a.rank - 1] = n
        let out = Tensor.uninitialized(outShape)
        Kernels.gemm(a.data, transA: false, b.data, transB: false, out.data, m: m, n: n, k: k)
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            if t.tracks(a) {
                let da = Tensor.uninitialized(a.shape)
                Kernels.gemm(g.data, transA: false, b.data, transB: true, da.data, m: m, n: k, k: n)
                t.accumulate(a, da)
            }
            if t.tracks(b) {
                let db = Tensor.uninitialized(b.shape)
                Kernels.gemm(a.data, transA: true, g.data, transB: false, db.data, m: k, n: n, k: m)
                t.accumulate(b, db)
            }
        }
    }

    /// Fused `activation(x · kernel + bias)` over the last axis of `x`, with a hand-written
    /// backward: one GEMM forward, two (or one, when `x` needs no gradient) backward.
    public static func dense(_ x: Tensor, kernel: Tensor, bias: Tensor?,
                             activation: ElementwiseActivation = .linear) throws -> Tensor {
        guard x.rank >= 1, kernel.rank == 2, x.shape[x.rank - 1] == kernel.shape[0] else {
            throw KerasError.shapeMismatch("dense: input of shape \(x.shape) does not fit a kernel of shape \(kernel.shape)")
        }
        let k = kernel.shape[0], n = kernel.shape[1]
        if let bias, bias.shape != [n] {
            throw KerasError.shapeMismatch("dense: bias of shape \(bias.shape) does not fit \(n) units")
        }
        let m = x.count / Swift.max(k, 1)
        var outShape = x.shape
        outShape[x.rank - 1] = n
        let out = Tensor.uninitialized(outShape)
        Kernels.dense(x.data, kernel: kernel.data, bias: bias.map { UnsafePointer($0.data) }, into: out.data,
                      rows: m, inputs: k, units: n, activation: activation)
        guard let tape = GradientTape.active,
              tape.tracks(x) || tape.tracks(kernel) || (bias.map(tape.tracks) ?? false) else { return out }
        return tape.record(out) { g, t in
            let dz = activation == .linear ? nil : Tensor.uninitialized(outShape)
            let dk = t.tracks(kernel) ? Tensor.uninitialized(kernel.shape) : nil
            let db = bias.flatMap { t.tracks($0) ? Tensor.uninitialized([n]) : nil }
            let dx = t.tracks(x) ? Tensor.uninitialized(x.shape) : nil
            Kernels.denseBackward(x: x.data, kernel: kernel.data, output: out.data, upstream: g.data, activation: activation,
                                  dz: dz?.data, kernelGradient: dk?.data, biasGradient: db?.data, inputGradient: dx?.data,
                                  rows: m, inputs: k, units: n)
            if let dk { t.accumulate(kernel, dk) }
            if let bias, let db { t.accumulate(bias, db) }
            if let dx { t.accumulate(x, dx) }
        }
    }
}
