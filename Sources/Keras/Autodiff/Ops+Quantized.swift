extension Ops {
    /// Keras's int8 Dense product (`Dense._int8_call`): each input row quantized over its own
    /// abs-max, multiplied by the int8 `kernel` (k×n, its integers as floats) exactly, and
    /// de-scaled by `kernelScale[j] · inputScale[row]`. The input gradient is the upstream one
    /// through the dequantized kernel (`kernel / kernelScale`), as Keras's custom gradient gives;
    /// the kernel and its scale get none.
    public static func int8Dense(_ x: Tensor, kernel: Tensor, kernelScale: Tensor) throws -> Tensor {
        try int8Dense(x, kernel: kernel, kernelScale: kernelScale, packed: nil)
    }

    /// As ``int8Dense(_:kernel:kernelScale:)``, with `packed` the kernel already packed for the
    /// int8 product (a quantized layer's, made once per kernel value); packed here when nil.
    static func int8Dense(_ x: Tensor, kernel: Tensor, kernelScale: Tensor, packed: PackedInt8Matrix?) throws -> Tensor {
        try int8Dense(x, kernel: kernel, kernelScale: kernelScale, packed: packed, bias: nil, activation: .linear)
    }

    /// A quantized Dense's whole inference call, `activation(int8Dense(x) + bias)`: the bias and
    /// a relu added in the product's dequantizing pass (`sk_i8_gemm`), any other elementwise
    /// activation in place after it, with the bits of the separate ops. Only while nothing
    /// records (the ops' gradients are not recorded here).
    static func int8DenseInference(_ x: Tensor, kernel: Tensor, kernelScale: Tensor, packed: PackedInt8Matrix?,
                                   bias: Tensor?, activation: ElementwiseActivation) throws -> Tensor {
        guard GradientTape.active == nil else {
            throw KerasError.invalidState("int8 dense: the fused inference call does not record gradients")
        }
        let n = kernel.rank == 2 ? kernel.shape[1] : 0
        if let bias, bias.shape != [n] {
            throw KerasError.shapeMismatch("int8 dense: bias of shape \(bias.shape) does not fit \(n) units")
        }
        return try int8Dense(x, kernel: kernel, kernelScale: kernelScale, packed: packed, bias: bias, activation: activation)
    }

    private static func int8Dense(_ x: Tensor, kernel: Tensor, kernelScale: Tensor, packed: PackedInt8Matrix?,
                                  bias: Tensor?, activation: ElementwiseActivation) throws -> Tensor {
        guard x.rank >= 1, kernel.rank == 2, x.shape[x.rank - 1] == kernel.shape[0] else {
            throw KerasError.shapeMismatch("int8 dense: input of shape \(x.shape) does not fit a kernel of shape \(kernel.shape)")
        }
        let k = kernel.shape[0], n = kernel.shape[1]
        guard kernelScale.shape == [n] else {
            throw KerasError.shapeMismatch("int8 dense: kernel_scale of shape \(kernelScale.shape) does not fit \(n) units")
        }
        let matrix = try packed ?? PackedInt8Matrix(kernel)
        guard matrix.k == k, matrix.n == n else {
            throw KerasError.shapeMismatch("int8 dense: the packed kernel (\(matrix.k), \(matrix.n)) does not fit a kernel of shape \(kernel.shape)")
        }
        var outShape = x.shape
        outShape[x.rank - 1] = n
        let out = Tensor.uninitialized(outShape)
        let m = n == 0 ? 0 : out.count / n
        let inputScales = Tensor.uninitialized([m])
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(1, m * matrix.rowBytes))
        defer { scratch.deallocate() }
        let xs = x.data, ks = kernelScale.data, scales = inputScales.data, y = out.data
        let b = bias.map { UnsafePointer($0.data) }, relu = activation == .relu
        Parallel.forEachPart(m, parts: Parallel.balancedPartCount(rows: m, width: Swift.max(1, n * k / 32))) { _, rows in
            Kernels.int8DenseRows(xs, rows: rows, kernel: matrix, kernelScale: ks, inputScales: scales, scratch: scratch,
                                  into: y, bias: b, relu: relu)
        }
        if !relu && activation != .linear { activation.apply(y, count: out.count) }
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
