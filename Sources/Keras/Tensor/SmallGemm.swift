extension Kernels {
    /// Below this many multiply-adds, ``gemm(_:transA:_:transB:_:m:n:k:alpha:beta:)`` runs a plain
    /// loop instead of OpenBLAS: for the tiny matrices of small tabular models, OpenBLAS's per-call
    /// cost exceeds the arithmetic, and its buffer allocator takes one process-wide mutex per call
    /// (`blas_memory_alloc`/`blas_memory_free`), which serialises parallel fits.
    static let smallGemmLimit = 4096

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major, for small sizes (same contract as `gemm`).
    static func smallGemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                          _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
        for i in 0..<m {
            let crow = c + i * n
            if beta == 0 {
                crow.initialize(repeating: 0, count: n)
            } else if beta != 1 {
                for j in 0..<n { crow[j] *= beta }
            }
            if !transB {
                for p in 0..<k {
                    let av = alpha * (transA ? a[p * m + i] : a[i * k + p])
                    let brow = b + p * n
                    for j in 0..<n { crow[j] += av * brow[j] }
                }
            } else {
                for j in 0..<n {
                    let bcol = b + j * k
                    var s: Float = 0
                    if transA {
                        for p in 0..<k { s += a[p * m + i] * bcol[p] }
                    } else {
                        let arow = a + i * k
                        for p in 0..<k { s += arow[p] * bcol[p] }
                    }
                    crow[j] += alpha * s
                }
            }
        }
    }
}
