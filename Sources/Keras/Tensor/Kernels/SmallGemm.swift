extension Kernels {
    /// Below this many multiply-adds, ``gemm(_:transA:_:transB:_:m:n:k:alpha:beta:)`` runs a plain
    /// loop instead of OpenBLAS: for the tiny matrices of small tabular models, OpenBLAS's per-call
    /// cost exceeds the arithmetic, and its buffer allocator takes one process-wide mutex per call
    /// (`blas_memory_alloc`/`blas_memory_free`), which serialises parallel fits.
    static let smallGemmLimit = 4096

    /// From this many multiply-adds, ``gemm(_:transA:_:transB:_:m:n:k:alpha:beta:)`` lets OpenBLAS
    /// use all its threads. Below it one thread is faster: a 128×93·93×100 product (a dense
    /// layer of the Otto model) takes 25 µs on one thread and 17–67 µs on two, as the second
    /// thread wakes and syncs per call (toolchain.md §5: small shapes on two threads are bimodal).
    /// Measured on the 2-core build machine: two threads first win at m·n·k = 128·256·128 (2²²,
    /// 71 µs against 83), and by 1.5× at 512³. Only on more than two cores, though: on two, the
    /// partner's halves (``splitGemmMinimum``) are the same parallelism, while OpenBLAS's caller
    /// spin-waits (`sched_yield`) for a second thread that another process may hold, and that
    /// thread then spins ~0.1 s against the kernels' own threads. `conv_epoch` (three 6.9M
    /// products per step between the convolution's parallel kernels) spent a third of its
    /// samples in `sched_yield`, and ran 1.8x slower at load 19 than with OpenBLAS on one thread.
    static let threadedGemmMinimum = 1 << 22

    /// From this many multiply-adds (up to ``threadedGemmMinimum`` on more than two cores),
    /// ``gemm(_:transA:_:transB:_:m:n:k:alpha:beta:)`` computes C as two halves (``GemmCall/halves()``), one on the partner thread
    /// (``GemmPartner``) when ``Parallel/twoCoreFits`` allows: a 128×93·93×100 product (the
    /// Otto model's first layer) is two 64-row halves. Below it the hand-over and the smaller
    /// halves' lower kernel efficiency eat the gain.
    static let splitGemmMinimum = 1 << 17

    /// From this many multiply-adds a product computed in place (``readsInPlace(transB:k:n:beta:)``)
    /// is halved: its elements do not depend on the cut, so its halves need not be fixed, and
    /// with no packing a half is worth handing over sooner. The Otto model's 128×100·100×9
    /// forward (115,200) ran whole on the caller while the partner spun.
    static let splitInPlaceMinimum = 1 << 16

    /// Up to this many floats of op(B) (with four of padding), ``smallGemm(_:transA:_:transB:_:m:n:k:alpha:beta:)``
    /// copies it row-major onto the stack (1 KiB: always on the stack, never the heap) so that
    /// every column block is a vector load.
    static let smallGemmPaddedB = 256

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major, for small sizes (same contract as `gemm`).
    /// Each element rounds as the plain float loop does: `c = beta·c`, then with B as given
    /// `c += (alpha·a)·b` for p ascending, and with B transposed `s = Σ a·b` (p ascending, from 0)
    /// and `c += alpha·s`; the vector paths keep that order lane by lane.
    static func smallGemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                          _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
        // With A transposed, the columns left over after the eight-column blocks (a weight
        // gradient into 3 classes) are summed for eight rows at once, after the row loop.
        let rowBlocks = transA && !transB && n % 8 != 0 ? m / 8 : 0
        // With B transposed each element is otherwise a strided scalar chain (a layer's input
        // gradient, 32×8·3 in iris), and columns left past the eight-column blocks are scalar
        // chains too (the forward into 3 classes): both go through a padded copy of op(B).
        if (transB || (n % 8 != 0 && rowBlocks == 0)) && k * n + 4 <= smallGemmPaddedB {
            var done = false
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k * n + 4) { buffer in
                guard let bp = buffer.baseAddress else { return }
                if transB {
                    for j in 0..<n {
                        for p in 0..<k { bp[p * n + j] = b[j * k + p] }
                    }
                } else {
                    bp.update(from: b, count: k * n)
                }
                (bp + k * n).initialize(repeating: 0, count: 4)
                smallGemmRows(a, transA: transA, UnsafePointer(bp), accumulateOntoC: !transB, c, m: m, n: n, k: k,
                              alpha: alpha, beta: beta)
                done = true
            }
            if done { return }
        }
        for i in 0..<m {
            let crow = c + i * n
            scaleRow(crow, n, beta)
            // Row i of op(A) is a[i * k + p], or a[p * m + i] when A is transposed.
            let arow = transA ? a + i : a + i * k
            let aStride = transA ? m : 1
            if !transB {
                // Eight columns of the row stay in a register while the k products are added in
                // order (p ascending, as `c[i][j] += a[i][p] * b[p][j]` would), so each element
                // rounds exactly as the plain loop does.
                var j = 0
                while j + 8 <= n {
                    var acc = UnsafeRawPointer(crow + j).loadUnaligned(as: SIMD8<Float>.self)
                    for p in 0..<k {
                        acc += alpha * arow[p * aStride] * UnsafeRawPointer(b + p * n + j).loadUnaligned(as: SIMD8<Float>.self)
                    }
                    UnsafeMutableRawPointer(crow + j).storeBytes(of: acc, as: SIMD8<Float>.self)
                    j += 8
                }
                if i < rowBlocks * 8 { continue }
                // The remaining columns, each summed in a register in the same order.
                for jj in j..<n {
                    var acc = crow[jj]
                    for p in 0..<k { acc += alpha * arow[p * aStride] * b[p * n + jj] }
                    crow[jj] = acc
                }
            } else {
                for j in 0..<n {
                    let bcol = b + j * k
                    var s: Float = 0
                    for p in 0..<k { s += arow[p * aStride] * bcol[p] }
                    crow[j] += alpha * s
                }
            }
        }
        // The remaining columns of the first `rowBlocks` × 8 rows: a transposed A holds a column
        // of op(A) contiguously, so eight rows take one vector, each lane summed in the same
        // order as the loop above (p ascending onto C): the same bits, without a chain of k
        // dependent scalar additions per element.
        for block in 0..<rowBlocks {
            let i = block * 8
            for jj in n / 8 * 8..<n {
                var acc = SIMD8<Float>(repeating: 0)
                for r in 0..<8 { acc[r] = c[(i + r) * n + jj] }
                for p in 0..<k {
                    acc += alpha * UnsafeRawPointer(a + p * m + i).loadUnaligned(as: SIMD8<Float>.self) * b[p * n + jj]
                }
                for r in 0..<8 { c[(i + r) * n + jj] = acc[r] }
            }
        }
    }

    /// `crow = beta · crow` for one row of C (beta 0 clears it, beta 1 leaves it).
    @inline(__always)
    private static func scaleRow(_ crow: UnsafeMutablePointer<Float>, _ n: Int, _ beta: Float) {
        if beta == 0 {
            crow.initialize(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { crow[j] *= beta }
        }
    }

    /// The rows of ``smallGemm(_:transA:_:transB:_:m:n:k:alpha:beta:)`` from `bp`, op(B) as a
    /// row-major k×n matrix followed by four floats of padding: eight columns per vector, then
    /// four (the last block's lanes past column n read padding or the next row and are not
    /// stored). `accumulateOntoC` is B as given (`c += (alpha·a)·b`), else B transposed
    /// (`c += alpha·Σ a·b`).
    private static func smallGemmRows(_ a: UnsafePointer<Float>, transA: Bool, _ bp: UnsafePointer<Float>,
                                      accumulateOntoC: Bool, _ c: UnsafeMutablePointer<Float>,
                                      m: Int, n: Int, k: Int, alpha: Float, beta: Float) {
        let aStride = transA ? m : 1
        for i in 0..<m {
            let crow = c + i * n
            scaleRow(crow, n, beta)
            let arow = transA ? a + i : a + i * k
            var j = 0
            while j + 8 <= n {
                let cv = UnsafeRawPointer(crow + j).loadUnaligned(as: SIMD8<Float>.self)
                var acc = accumulateOntoC ? cv : SIMD8<Float>(repeating: 0)
                if accumulateOntoC {
                    for p in 0..<k { acc += alpha * arow[p * aStride] * UnsafeRawPointer(bp + p * n + j).loadUnaligned(as: SIMD8<Float>.self) }
                } else {
                    for p in 0..<k { acc += arow[p * aStride] * UnsafeRawPointer(bp + p * n + j).loadUnaligned(as: SIMD8<Float>.self) }
                    acc = cv + alpha * acc
                }
                UnsafeMutableRawPointer(crow + j).storeBytes(of: acc, as: SIMD8<Float>.self)
                j += 8
            }
            while j < n {
                let lanes = Swift.min(4, n - j)
                var cv = SIMD4<Float>(repeating: 0)
                for l in 0..<lanes { cv[l] = crow[j + l] }
                var acc = accumulateOntoC ? cv : SIMD4<Float>(repeating: 0)
                if accumulateOntoC {
                    for p in 0..<k { acc += alpha * arow[p * aStride] * UnsafeRawPointer(bp + p * n + j).loadUnaligned(as: SIMD4<Float>.self) }
                } else {
                    for p in 0..<k { acc += arow[p * aStride] * UnsafeRawPointer(bp + p * n + j).loadUnaligned(as: SIMD4<Float>.self) }
                    acc = cv + alpha * acc
                }
                for l in 0..<lanes { crow[j + l] = acc[l] }
                j += 4
            }
        }
    }
}
