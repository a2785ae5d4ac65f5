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
        let matrix = try packed ?? PackedInt8Matrix(kernel)   // (checks that the values are int8s)
        return try int8Dense(x, kernelShape: kernel.shape, kernelScale: kernelScale, bias: nil, activation: .linear,
                             packed: { matrix }, kernelBytes: { VariableDType.int8.bytes(of: kernel) })
    }

    /// A quantized layer's int8 product: `kernelBytes` gives its `[k, n]` int8 kernel as bytes
    /// (the variable's own, not copied, for Dense), read only when the input's gradient is
    /// recorded, and dequantized straight from them then (no float copy of the values is made
    /// per call).
    static func int8Dense(_ x: Tensor, kernelShape: [Int], kernelScale: Tensor, packed: PackedInt8Matrix,
                          kernelBytes: () throws -> [UInt8]) throws -> Tensor {
        try int8Dense(x, kernelShape: kernelShape, kernelScale: kernelScale, bias: nil, activation: .linear,
                      packed: { packed }, kernelBytes: kernelBytes)
    }

    /// A quantized Dense's whole inference call, `activation(int8Dense(x) + bias)`: the bias and
    /// a relu added in the product's dequantizing pass (`sk_i8_gemm`), any other elementwise
    /// activation in place after it, with the bits of the separate ops. Only while nothing
    /// records (the ops' gradients are not recorded here).
    /// The kernel is the packed one's: its float form is not needed, as nothing records.
    static func int8DenseInference(_ x: Tensor, packed: PackedInt8Matrix, kernelScale: Tensor,
                                   bias: Tensor?, activation: ElementwiseActivation) throws -> Tensor {
        guard GradientTape.active == nil else {
            throw KerasError.invalidState("int8 dense: the fused inference call does not record gradients")
        }
        if let bias, bias.shape != [packed.n] {
            throw KerasError.shapeMismatch("int8 dense: bias of shape \(bias.shape) does not fit \(packed.n) units")
        }
        return try int8Dense(x, kernelShape: [packed.k, packed.n], kernelScale: kernelScale, bias: bias, activation: activation,
                             packed: { packed }, kernelBytes: {
            throw KerasError.invalidState("int8 dense: the fused inference call does not record gradients")
        })
    }

    /// The product of a kernel of `kernelShape`: `packed` gives it packed, `kernelBytes` its
    /// int8 values as bytes, read only when the input's gradient is recorded (a quantized
    /// layer's int8 kernel keeps only its bytes).
    private static func int8Dense(_ x: Tensor, kernelShape: [Int], kernelScale: Tensor, bias: Tensor?,
                                  activation: ElementwiseActivation, packed: () throws -> PackedInt8Matrix,
                                  kernelBytes: () throws -> [UInt8]) throws -> Tensor {
        guard x.rank >= 1, kernelShape.count == 2, x.shape[x.rank - 1] == kernelShape[0] else {
            throw KerasError.shapeMismatch("int8 dense: input of shape \(x.shape) does not fit a kernel of shape \(kernelShape)")
        }
        let k = kernelShape[0], n = kernelShape[1]
        guard kernelScale.shape == [n] else {
            throw KerasError.shapeMismatch("int8 dense: kernel_scale of shape \(kernelScale.shape) does not fit \(n) units")
        }
        let matrix = try packed()
        guard matrix.k == k, matrix.n == n else {
            throw KerasError.shapeMismatch("int8 dense: the packed kernel (\(matrix.k), \(matrix.n)) does not fit a kernel of shape \(kernelShape)")
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
        let bytes = try kernelBytes()
        guard bytes.count == k * n else {
            throw KerasError.shapeMismatch("int8 dense: \(bytes.count) kernel values do not fit the packed kernel (\(k), \(n))")
        }
        return tape.record(out) { g, t in
            let dequantized = Tensor.uninitialized([k, n])
            let d = dequantized.data
            bytes.withUnsafeBufferPointer { w in
                for i in 0..<k {
                    for j in 0..<n { d[i * n + j] = Float(Int8(bitPattern: w[i * n + j])) / ks[j] }
                }
            }
            let dx = Tensor.uninitialized(x.shape)
            Kernels.gemm(g.data, transA: false, d, transB: true, dx.data, m: m, n: k, k: n)
            t.accumulate(x, dx)
        }
    }
}

extension Ops {
    /// The rows of an int4 kernel read into float scratch per step of the int4 product: 512 (a
    /// 512 × 512 block is 1 MiB; int4_dense_predict's 784 × 512 kernel in 2 blocks measured ~7%
    /// faster than in 7 of 128 rows, each block re-reading the output, and no slower than 1).
    static let int4BlockRows = 512

    /// Keras's int4 Dense product (`_int4_call`, weight-only): `x · W` with `W` the kernel's
    /// float form (in blocks `(values - zero[g]) · scale[g]`; per channel the values, the
    /// product then divided by each column's scale unless the matrix is `divided`), computed
    /// ``int4BlockRows`` rows of `W` at a time from the packed nibbles, so that no float copy of
    /// the kernel is kept. The input gradient goes through the same float form, as Keras's custom
    /// gradient gives; the int4 weights get none. `bias` and `activation` join the pass only
    /// while nothing records.
    static func int4Dense(_ x: Tensor, kernel w: some BlockwiseKernel, bias: Tensor? = nil,
                          activation: ElementwiseActivation = .linear) throws -> Tensor {
        let k = w.rows, n = w.cols
        guard x.rank >= 1, x.shape[x.rank - 1] == k else {
            throw KerasError.shapeMismatch("int4 dense: input of shape \(x.shape) does not fit a kernel of shape [\(k), \(n)]")
        }
        if let bias, bias.shape != [n] {
            throw KerasError.shapeMismatch("int4 dense: bias of shape \(bias.shape) does not fit \(n) units")
        }
        if (bias != nil || activation != .linear), GradientTape.active != nil {
            throw KerasError.invalidState("int4 dense: the fused bias and activation are for inference (their gradients are not recorded here)")
        }
        var outShape = x.shape
        outShape[x.rank - 1] = n
        let out = Tensor.uninitialized(outShape)
        let m = n == 0 ? 0 : out.count / n
        let y = out.data, columnScale = w.columnScale
        // Per channel the bias comes after the division; in blocks it starts the sum.
        let startBias = columnScale == nil ? bias.map { UnsafePointer($0.data) } : nil
        if k == 0 || m == 0 {
            for r in 0..<m {
                for j in 0..<n { y[r * n + j] = startBias?[j] ?? 0 }
            }
        }
        let blockRows = Swift.min(int4BlockRows, k)
        let block = Tensor.uninitialized([blockRows, n])
        // A block of x's columns, copied contiguous when x has more than one block.
        let xBlock = k > blockRows ? Tensor.uninitialized([m, blockRows]) : nil
        var k0 = 0
        while k0 < k, m > 0 {
            let kb = Swift.min(blockRows, k - k0)
            w.floatRows(k0..<(k0 + kb), into: block.data)
            var a = UnsafePointer(x.data)
            if let xBlock {
                let xs = x.data, xb = xBlock.data
                for r in 0..<m { (xb + r * kb).update(from: xs + r * k + k0, count: kb) }
                a = UnsafePointer(xb)
            }
            Kernels.gemm(a, transA: false, block.data, transB: false, y, m: m, n: n, k: kb,
                         beta: k0 == 0 ? 0 : 1, readInPlace: true, rowBias: k0 == 0 ? startBias : nil)
            k0 += kb
        }
        if let s = columnScale {
            let b = bias.map { UnsafePointer($0.data) }
            for r in 0..<m {
                let row = y + r * n
                if let b { for j in 0..<n { row[j] = row[j] / s[j] + b[j] } } else { for j in 0..<n { row[j] /= s[j] } }
            }
        }
        activation.apply(y, count: out.count)
        guard let tape = GradientTape.active, tape.tracks(x) else { return out }
        return tape.record(out) { g, t in
            // dx = g' · Wᵀ, g' = g over the column scales when the product was divided.
            var upstream = g
            if let s = columnScale {
                upstream = Tensor.uninitialized(g.shape)
                let gs = g.data, u = upstream.data
                for r in 0..<m {
                    for j in 0..<n { u[r * n + j] = gs[r * n + j] / s[j] }
                }
            }
            let dx = Tensor.uninitialized(x.shape)
            let block = Tensor.uninitialized([blockRows, n])
            let dxBlock = k > blockRows ? Tensor.uninitialized([m, blockRows]) : nil
            var k0 = 0
            while k0 < k {
                let kb = Swift.min(blockRows, k - k0)
                w.floatRows(k0..<(k0 + kb), into: block.data)
                let c = dxBlock?.data ?? dx.data
                Kernels.gemm(upstream.data, transA: false, block.data, transB: true, c, m: m, n: kb, k: n)
                if dxBlock != nil {
                    let d = dx.data
                    for r in 0..<m { (d + r * k + k0).update(from: c + r * kb, count: kb) }
                }
                k0 += kb
            }
            t.accumulate(x, dx)
        }
    }
}
