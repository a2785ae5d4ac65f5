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
        // The weight and input gradients are independent: a pair (on both cores when each is
        // one small product), or whichever is asked for.
        let weights = dk.map { GemmOperands(a: x, transA: true, b: z, transB: false, c: $0, m: k, n: n, k: m, readInPlace: true) }
        let inputs = dx.map { GemmOperands(a: z, transA: false, b: kernel, transB: true, c: $0, m: m, n: k, k: n, readInPlace: true) }
        if let weights, let inputs {
            gemmPair(inputs, weights)
        } else {
            weights?.run()
            inputs?.run()
        }
        if let db { columnSums(z, rows: m, cols: n, into: db) }
        return z
    }
}
