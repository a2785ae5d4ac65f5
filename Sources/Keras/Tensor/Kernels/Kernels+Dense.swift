import CHDF5Shim

extension Kernels {
    // MARK: Dense

    /// `y = activation(x · kernel + bias)` for `rows` rows of `inputs` values into `units`
    /// outputs: the bias is the product's epilogue (or goes in first and the product accumulates
    /// onto it, beta = 1), so there is no second pass. Shared by `Ops.dense` and the Dense-stack plans.
    static func dense(_ x: UnsafePointer<Float>, kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                      into y: UnsafeMutablePointer<Float>, rows m: Int, inputs k: Int, units n: Int,
                      activation: ElementwiseActivation) {
        if let bias {
            gemm(x, transA: false, kernel, transB: false, y, m: m, n: n, k: k, readInPlace: true, rowBias: bias)
        } else {
            y.initialize(repeating: 0, count: m * n)
            gemm(x, transA: false, kernel, transB: false, y, m: m, n: n, k: k, beta: 1, readInPlace: true)
        }
        activation.apply(y, count: m * n)
    }

    /// The backward of ``dense(_:kernel:bias:into:rows:inputs:units:activation:)`` from the
    /// upstream gradient `g` of its output `y`: the pre-activation gradient into `dz` (unused,
    /// and `g` itself taken, for a linear activation), then each gradient whose buffer is given.
    /// Returns the pre-activation gradient.
    @discardableResult
    static func denseBackward(x: UnsafePointer<Float>, kernel: UnsafePointer<Float>, output y: UnsafePointer<Float>,
                              upstream g: UnsafePointer<Float>, activation: ElementwiseActivation,
                              dz: UnsafeMutablePointer<Float>?, kernelGradient dk: UnsafeMutablePointer<Float>?,
                              biasGradient db: UnsafeMutablePointer<Float>?, inputGradient dx: UnsafeMutablePointer<Float>?,
                              rows m: Int, inputs k: Int, units n: Int) -> UnsafePointer<Float> {
        var z = g
        if activation != .linear, let dz {
            activation.backward(output: y, upstream: g, into: dz, count: m * n)
            z = UnsafePointer(dz)
        }
        // The input gradient z·kernelᵀ in place, on the kernel transposed into scratch
        // (``transposesKernel(rows:inputs:units:)``), else on OpenBLAS with B transposed.
        let transposed = dx != nil && transposesKernel(rows: m, inputs: k, units: n) ? BufferPool.current.take(k * n) : nil
        defer { if let transposed { BufferPool.current.give(transposed, k * n) } }
        if let transposed { sk_transpose(k, n, kernel, n, transposed) }
        // The weight and input gradients are independent: a pair (on both cores when each is
        // one small product), or whichever is asked for.
        let weights = dk.map { GemmOperands(a: x, transA: true, b: z, transB: false, c: $0, m: k, n: n, k: m, readInPlace: true) }
        let inputs = dx.map { dx in
            transposed.map { GemmOperands(a: z, transA: false, b: $0, transB: false, c: dx, m: m, n: k, k: n, readInPlace: true) }
                ?? GemmOperands(a: z, transA: false, b: kernel, transB: true, c: dx, m: m, n: k, k: n, readInPlace: true)
        }
        if let weights, let inputs {
            gemmPair(inputs, weights)
        } else {
            weights?.run()
            inputs?.run()
        }
        if let db { columnSums(z, rows: m, cols: n, into: db) }
        return z
    }

    /// Whether ``denseBackward(x:kernel:output:upstream:activation:dz:kernelGradient:biasGradient:inputGradient:rows:inputs:units:)``
    /// computes the input gradient (`rows × units` by the `inputs × units` kernel transposed) in
    /// `sk_gemm_strided` on a transposed copy of the kernel (`sk_transpose`, into the thread's
    /// pool) instead of OpenBLAS with B transposed: when the copy is an in-place B
    /// (``readsInPlace(transB:k:n:beta:)``), the product is not a ``smallGemm`` and there are at
    /// least ``transposedKernelMinimumRows`` rows to share the copy's cost. OpenBLAS packed both
    /// operands of the Otto model's 128×100·9 input gradient on every step, and its pair with the
    /// weight gradient needed the OpenBLAS thread-count scope; in place, each element is one FMA
    /// chain over the units in order, so the bits do not depend on a cut.
    @inline(__always)
    static func transposesKernel(rows m: Int, inputs k: Int, units n: Int) -> Bool {
        m >= transposedKernelMinimumRows && m * n * k > smallGemmLimit && readsInPlace(transB: false, k: n, n: k, beta: 0)
    }

    /// The fewest rows for which ``transposesKernel(rows:inputs:units:)`` copies the kernel.
    static let transposedKernelMinimumRows = 16
}
