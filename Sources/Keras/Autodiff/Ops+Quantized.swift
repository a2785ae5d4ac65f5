extension Ops {
    /// Keras's int8 Dense product (`Dense._int8_call`): each input row quantized over its own
    /// abs-max, multiplied by the int8 `kernel` (k×n, its integers as floats) exactly, and
    /// de-scaled by `kernelScale[j] · inputScale[row]`. The input gradient is the upstream one
    /// through the dequantized kernel (`kernel / kernelScale`), as Keras's custom gradient gives;
    /// the kernel and its scale get none.
    public static func int8Dense(_ x: Tensor, kernel: Tensor, kernelScale: Tensor) throws -> Tensor {
        guard x.rank >= 1, kernel.rank == 2, x.shape[x.rank - 1] == kernel.shape[0] else {
            throw KerasError.shapeMismatch("int8 dense: input of shape \(x.shape) does not fit a kernel of shape \(kernel.shape)")
        }
        let k = kernel.shape[0], n = kernel.shape[1]
        guard kernelScale.shape == [n] else {
            throw KerasError.shapeMismatch("int8 dense: kernel_scale of shape \(kernelScale.shape) does not fit \(n) units")
        }
        let m = k == 0 ? 0 : x.count / k
        var outShape = x.shape
        outShape[x.rank - 1] = n
        let out = Tensor.uninitialized(outShape)
        let q = Tensor.uninitialized([m, k]), inputScales = Tensor.uninitialized([m])
        Kernels.absMaxQuantizeRows(x.data, into: q.data, scales: inputScales.data, rows: m, width: k)
        Kernels.integerMatmul(q.data, kernel.data, into: out.data, m: m, n: n, k: k)
        let y = out.data, ks = kernelScale.data, xs = inputScales.data
        for r in 0..<m {
            for j in 0..<n { y[r * n + j] = y[r * n + j] / (ks[j] * xs[r]) }
        }
        guard let tape = GradientTape.active, tape.tracks(x) else { return out }
        return tape.record(out) { g, t in
            let dequantized = Tensor.uninitialized([k, n])
            let w = kernel.data, d = dequantized.data
            for i in 0..<k {
                for j in 0..<n { d[i * n + j] = w[i * n + j] / ks[j] }
            }
            let dx = Tensor.uninitialized(x.shape)
            Kernels.gemm(g.data, transA: false, d, transB: true, dx.data, m: m, n: k, k: n)
            t.accumulate(x, dx)
        }
    }
}
