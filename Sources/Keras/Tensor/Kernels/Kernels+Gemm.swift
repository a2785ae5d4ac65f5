import CBLAS
import CHDF5Shim

extension Kernels {
    // MARK: GEMM

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major; A is m×k after op, B is k×n.
    /// `readInPlace` (a Dense layer's products) lets the AVX2 kernel compute it when
    /// ``readsInPlace(transB:k:n:beta:)`` allows; `rowBias` (with beta 0) is added to every row of C.
    @inline(__always)
    static func gemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                     _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                     alpha: Float = 1, beta: Float = 0, readInPlace: Bool = false, rowBias: UnsafePointer<Float>? = nil) {
        guard let whole = blasCall(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: beta,
                                   readInPlace: readInPlace, rowBias: rowBias) else {
            return
        }
        let size = m * n * k
        let worker = Parallel.isWorkerThread
        if size >= threadedGemmMinimum, Parallel.cores > 2, !whole.inPlace {
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
        // bits on one core and two. (The in-place kernel's elements do not depend on the cut, so
        // its products are halved from a smaller size.)
        if whole.inPlace, !worker, size >= threadedGemmMinimum, whole.m >= 4 * GemmCall.inPlaceBlockRows,
           Parallel.cores == 2, Parallel.twoCoreFits {
            // A large in-place product (a Dense layer's predict of 1024 rows) by the kernel's own
            // row blocks, which this thread and the partner take in turn: a partner descheduled
            // on a busy machine delays the caller by one block, not by half of the product.
            let blocks = (whole.m + GemmCall.inPlaceBlockRows - 1) / GemmCall.inPlaceBlockRows
            withUnsafePointer(to: whole) { call in
                Parallel.forEachPart(blocks, parts: blocks, context: call) { context, _, blocks in
                    let whole = context.assumingMemoryBound(to: GemmCall.self).pointee, size = GemmCall.inPlaceBlockRows
                    whole.rows(blocks.lowerBound * size..<Swift.min(blocks.upperBound * size, whole.m)).run()
                }
            }
            return
        }
        let halves = size >= (whole.inPlace ? splitInPlaceMinimum : splitGemmMinimum) ? whole.halves() : nil
        func compute() {
            guard let (first, second) = halves else { return whole.run() }
            runOnBothCores(first, second, worker: worker)
        }
        if worker || whole.inPlace { compute() } else { Parallel.withSingleThreadedBLAS(compute) }
    }

    /// Two independent products (disjoint outputs, neither reading the other's), each as
    /// ``gemm(_:transA:_:transB:_:m:n:k:alpha:beta:)`` computes it alone, so the bits are the
    /// same; two that are each one OpenBLAS call below ``splitGemmMinimum`` (too small to halve:
    /// a small layer's weight and input gradients) run at the same time, one on the partner
    /// thread (``GemmPartner``), when ``Parallel/twoCoreFits`` allows.
    static func gemmPair(_ first: GemmOperands, _ second: GemmOperands) {
        let worker = Parallel.isWorkerThread
        if !worker, Parallel.twoCoreFits, first.isOneCall, second.isOneCall,
           let one = first.prepared(), let two = second.prepared() {
            if one.inPlace && two.inPlace {
                runOnBothCores(one, two, worker: false)
            } else {
                Parallel.withSingleThreadedBLAS { runOnBothCores(one, two, worker: false) }
            }
            return
        }
        first.run()
        second.run()
    }

    /// `mine` here and `theirs` on the partner when it can be had, else both here.
    @inline(__always)
    private static func runOnBothCores(_ mine: GemmCall, _ theirs: GemmCall, worker: Bool) {
        if worker || !Parallel.twoCoreFits || !(Parallel.partner?.run(mine, theirs) ?? false) {
            mine.run()
            theirs.run()
        }
    }

    /// The OpenBLAS call of a product (or, with `readInPlace`, the in-place kernel's when
    /// ``readsInPlace(transB:k:n:beta:)`` allows), or nil once a trivial or small product
    /// (``smallGemmLimit``) has been computed here. A beta of 0 clears C first for OpenBLAS: it
    /// clears C for beta = 0 with one small memset per row of a row-major C, which costs a small
    /// layer as much as its product, so C gets one memset and the call beta = 1. A `rowBias`
    /// (beta 0) is the in-place kernel's epilogue, else copied into each row of C first and the
    /// product added (beta 1): the same bits, `alpha·Σ + bias`, either way.
    @inline(__always)
    static func blasCall(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                         _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                         alpha: Float, beta: Float, readInPlace: Bool = false,
                         rowBias: UnsafePointer<Float>? = nil) -> GemmCall? {
        if m == 0 || n == 0 { return nil }
        let inPlace = readInPlace && k > 0 && m * n * k > smallGemmLimit && readsInPlace(transB: transB, k: k, n: n, beta: beta)
        var beta = beta
        if let rowBias, !inPlace {
            fillRows(c, with: rowBias, rows: m, cols: n)
            beta = 1
        }
        if k == 0 {
            if beta == 0 { c.initialize(repeating: 0, count: m * n) }
            return nil
        }
        if m * n * k <= smallGemmLimit {
            smallGemm(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: beta)
            return nil
        }
        if inPlace {
            var call = GemmCall(a, transA: transA, b, transB: false, c, m: m, n: n, k: k, alpha: alpha, beta: beta)
            call.inPlace = true
            call.bias = rowBias
            return call
        }
        if beta == 0 { c.initialize(repeating: 0, count: m * n) }
        return GemmCall(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: beta == 0 ? 1 : beta)
    }

    /// Whether a Dense layer's product (`readInPlace`) runs in `sk_gemm_strided` (AVX2 + FMA,
    /// kernels.c) instead of OpenBLAS: B not transposed, beta 0 or 1, and B (`k × n`) at most
    /// ``inPlaceMaximumB`` floats, so that it stays in the L2 cache while every four rows of A
    /// stream past it. At the Otto model's shapes OpenBLAS spent 13% of an epoch's samples
    /// packing its operands and 3% clearing C; this kernel reads both where they lie, writes C
    /// without clearing it first, and needs no OpenBLAS thread-count scope. Each element sums its
    /// k products in order (one FMA chain), so a cut of C (``GemmCall/halves()``) gives the same
    /// bits as the whole product.
    ///
    /// With AVX-512 (``wideDenseProducts``) the kernel works in blocks that keep a panel of B
    /// in L2, so on two cores or fewer it also takes a larger B: a 1024×784·784×512 predict
    /// (the bench's `dense_784_512_10_predict`) took 4.1 ms on one core against 7.1 ms in
    /// OpenBLAS with the environment's Haswell kernels. With more cores such a product stays
    /// on OpenBLAS's threads (``threadedGemmMinimum``), which the in-place halves cannot use.
    @inline(__always)
    static func readsInPlace(transB: Bool, k: Int, n: Int, beta: Float) -> Bool {
        nativeDenseProducts && !transB && (beta == 0 || beta == 1)
            && (k * n <= inPlaceMaximumB || wideDenseProducts && Parallel.cores <= 2)
    }

    /// The CPU has AVX2 and FMA (the same check as ``nativeRecurrentSteps``).
    static let nativeDenseProducts = nativeRecurrentSteps
    /// The CPU has AVX-512 (`sk_cpu_has_avx512`): the in-place kernel runs 16 lanes wide in
    /// L2-sized blocks, with the same bits per element.
    static let wideDenseProducts = nativeDenseProducts && sk_cpu_has_avx512() != 0
    /// The most floats of B that ``readsInPlace(transB:k:n:beta:)`` takes: 256 KiB, a quarter of L2.
    static let inPlaceMaximumB = 1 << 16

    /// `C = op(A)·op(B) + beta·C` as one product on the calling thread: the per-step products of
    /// a recurrent sequence, which runs each slice of its batch on its own core. No halves, no
    /// partner thread and no thread-count scope per call: the caller holds
    /// ``Parallel/withSingleThreadedBLAS(_:)`` around the whole pass.
    @inline(__always)
    static func stepGemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                         _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, beta: Float = 0) {
        blasCall(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: 1, beta: beta)?.run()
    }

    /// Writes `row` (`cols` floats) into each of the `rows` rows of `out` (a pre-broadcast bias);
    /// short rows in a loop, as a `memmove` call per row costs more (a small Dense layer's bias).
    static func fillRows(_ out: UnsafeMutablePointer<Float>, with row: UnsafePointer<Float>, rows: Int, cols: Int) {
        if cols <= shortRow {
            for r in 0..<rows { copy(row, to: out + r * cols, count: cols) }
        } else {
            for r in 0..<rows { (out + r * cols).update(from: row, count: cols) }
        }
    }

    /// Column sums of an `rows × cols` matrix into `out` (bias gradients). Eight columns at a
    /// time stay in a register while the rows are added in order, as the plain loop would; with
    /// AVX2 (`sk_column_sums`, the same bits) up to 64 columns a pass, so that a matrix larger
    /// than L2 (mha_epoch's `2048 × 192` projection gradient) is read once.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        if nativeDenseProducts { return sk_column_sums(x, rows, cols, out) }
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

/// The arguments of ``Kernels/gemm(_:transA:_:transB:_:m:n:k:alpha:beta:)``, for
/// ``Kernels/gemmPair(_:_:)``.
struct GemmOperands {
    var a: UnsafePointer<Float>, transA: Bool, b: UnsafePointer<Float>, transB: Bool
    var c: UnsafeMutablePointer<Float>
    var m: Int, n: Int, k: Int
    var alpha: Float = 1, beta: Float = 0
    /// A Dense layer's product (``Kernels/readsInPlace(transB:k:n:beta:)``).
    var readInPlace = false

    /// True when one call on one thread gives it the bits `gemm` gives it: below
    /// ``Kernels/splitGemmMinimum`` and above ``Kernels/smallGemmLimit`` (an OpenBLAS product
    /// there is one call in `gemm`; an in-place one may be halved from
    /// ``Kernels/splitInPlaceMinimum``, but its elements do not depend on the cut).
    var isOneCall: Bool {
        let size = m * n * k
        return size > Kernels.smallGemmLimit && size < Kernels.splitGemmMinimum
    }

    /// ``Kernels/blasCall(_:transA:_:transB:_:m:n:k:alpha:beta:)`` of these operands.
    func prepared() -> GemmCall? {
        Kernels.blasCall(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: beta,
                         readInPlace: readInPlace)
    }

    /// The product as `gemm` computes it alone.
    func run() {
        Kernels.gemm(a, transA: transA, b, transB: transB, c, m: m, n: n, k: k, alpha: alpha, beta: beta,
                     readInPlace: readInPlace)
    }
}
