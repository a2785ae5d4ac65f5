extension Kernels {
    /// Products of `batch` pairs of matrices, `c[i] = op(a[i]) · op(b[i])`, each `m × k` by `k × n`
    /// after `op`, stored contiguously one after the other (attention's per-head products).
    static func batchedGemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                            _ c: UnsafeMutablePointer<Float>, batch: Int, m: Int, n: Int, k: Int) {
        func products() {
            for i in 0..<batch {
                gemm(a + i * m * k, transA: transA, b + i * k * n, transB: transB, c + i * m * n, m: m, n: n, k: k)
            }
        }
        // One single-threaded BLAS scope for the whole stack: `gemm` would otherwise switch
        // OpenBLAS's thread count off and back on around each small product.
        let each = m * n * k
        if batch > 1, each > smallGemmLimit, each < threadedGemmMinimum, !Parallel.isWorkerThread {
            Parallel.withSingleThreadedBLAS(products)
        } else {
            products()
        }
    }

    /// Softmax of each row of `rows × cols` over the entries whose `mask` is above 0.5; masked
    /// entries get 0. A row with nothing unmasked gets zeros (Keras's `Softmax(mask=…)`) or, with
    /// `uniformWhenEmpty`, `1 / cols` everywhere (Keras's `Attention`, which subtracts 1e9).
    static func maskedSoftmaxRows(_ x: UnsafePointer<Float>, mask: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                  rows: Int, cols: Int, uniformWhenEmpty: Bool) {
        for r in 0..<rows {
            let px = x + r * cols, pm = mask + r * cols, py = y + r * cols
            var m = -Float.infinity
            for j in 0..<cols where pm[j] > 0.5 { m = Swift.max(m, px[j]) }
            guard m > -Float.infinity else {
                py.initialize(repeating: uniformWhenEmpty ? 1 / Float(cols) : 0, count: cols)
                continue
            }
            // exp(-100) is flushed to 0 by expInPlace: masked entries weigh nothing.
            for j in 0..<cols { py[j] = pm[j] > 0.5 ? px[j] - m : -100 }
            expInPlace(py, count: cols)
            var s: Float = 0
            for j in 0..<cols { s += py[j] }
            let inv = 1 / s
            for j in 0..<cols { py[j] *= inv }
        }
    }
}
