import CBLAS

extension Kernels {
    // MARK: GEMM

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major; A is m×k after op, B is k×n.
    @inline(__always)
    static func gemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                     _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                     alpha: Float = 1, beta: Float = 0) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.initialize(repeating: 0, count: m * n) }
            return
        }
        if m * n * k <= smallGemmLimit {
            smallGemm(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: beta)
            return
        }
        if beta == 0 {
            // OpenBLAS clears C for beta = 0 with one small memset per row of a row-major C,
            // which costs a small layer as much as its product: one memset, then beta = 1.
            c.initialize(repeating: 0, count: m * n)
        }
        let blasBeta: Float = beta == 0 ? 1 : beta
        let whole = GemmCall(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: blasBeta)
        let size = m * n * k
        let worker = Parallel.isWorkerThread
        if size >= threadedGemmMinimum, Parallel.cores > 2 {
            // OpenBLAS's own threads (workers of a parallel search already run it on one). On
            // two cores the halves below are the same parallelism without OpenBLAS's waits.
            if !worker { GemmPartner.standDown() }
            whole.run()
            return
        }
        // A mid-sized product is always computed as the same two halves of C, whether the partner
        // thread takes one (two cores) or this thread runs both (one core, a worker of a search,
        // `Parallel.twoCoreFits` off, the partner busy): OpenBLAS's kernels round an element
        // differently depending on the shape of the call, so only a fixed cut gives the same
        // bits on one core and two.
        let halves = size >= splitGemmMinimum ? whole.halves() : nil
        func compute() {
            guard let (first, second) = halves else { return whole.run() }
            if worker || !Parallel.twoCoreFits || !(GemmPartner.shared?.run(first, second) ?? false) {
                first.run()
                second.run()
            }
        }
        if worker { compute() } else { Parallel.withSingleThreadedBLAS(compute) }
    }

    /// Writes `row` (`cols` floats) into each of the `rows` rows of `out` (a pre-broadcast bias).
    static func fillRows(_ out: UnsafeMutablePointer<Float>, with row: UnsafePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows { (out + r * cols).update(from: row, count: cols) }
    }

    /// Column sums of an `rows × cols` matrix into `out` (bias gradients). Eight columns at a
    /// time stay in a register while the rows are added in order, as the plain loop would.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= cols {
            var acc = SIMD8<Float>(repeating: 0)
            for r in 0..<rows { acc += UnsafeRawPointer(x + r * cols + j).loadUnaligned(as: SIMD8<Float>.self) }
            UnsafeMutableRawPointer(out + j).storeBytes(of: acc, as: SIMD8<Float>.self)
            j += 8
        }
        for jj in j..<cols {
            var acc: Float = 0
            for r in 0..<rows { acc += x[r * cols + jj] }
            out[jj] = acc
        }
    }
}
