/// Batched matrix products.
extension Ops {
    /// `a[i] · b[i]` for each `i` of the batch: `(B, M, K) · (B, K, N) → (B, M, N)`, one GEMM per
    /// batch entry. Keras: `ops.matmul` on rank-3 operands.
    public static func batchMatmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank == 3, b.rank == 3, a.shape[0] == b.shape[0], a.shape[2] == b.shape[1] else {
            throw KerasError.shapeMismatch("batchMatmul: cannot multiply shapes \(a.shape) and \(b.shape) (expected (B, M, K) and (B, K, N))")
        }
        let batch = a.shape[0], m = a.shape[1], k = a.shape[2], n = b.shape[2]
        let out = Tensor.uninitialized([batch, m, n])
        for i in 0..<batch {
            Kernels.gemm(a.data + i * m * k, transA: false, b.data + i * k * n, transB: false, out.data + i * m * n, m: m, n: n, k: k)
        }
        guard let tape = recording(a, b) else { return out }
        return tape.record(out) { g, t in
            if t.tracks(a) {
                let da = Tensor.uninitialized(a.shape)
                for i in 0..<batch {
                    Kernels.gemm(g.data + i * m * n, transA: false, b.data + i * k * n, transB: true, da.data + i * m * k, m: m, n: k, k: n)
                }
                t.accumulate(a, da)
            }
            if t.tracks(b) {
                let db = Tensor.uninitialized(b.shape)
                for i in 0..<batch {
                    Kernels.gemm(a.data + i * m * k, transA: true, g.data + i * m * n, transB: false, db.data + i * k * n, m: k, n: n, k: m)
                }
                t.accumulate(b, db)
            }
        }
    }
}
