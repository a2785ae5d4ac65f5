import Dispatch
import XCTest
@testable import Keras
import KerasDatasets

/// Two-core products (``GemmPartner``, ``Parallel/twoCoreFits``): the same bits as one core,
/// one core per worker of a parallel search, safe with several callers.
final class GemmPartnerTests: XCTestCase {
    override func tearDown() {
        Parallel.twoCoreFits = true
        super.tearDown()
    }

    /// Fails with the number of differing elements and the largest difference (not the arrays).
    func assertSameBits(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let differing = zip(a, b).filter { $0.bitPattern != $1.bitPattern }
        let largest = differing.map { abs($0 - $1) }.max() ?? 0
        XCTAssertEqual(differing.count, 0, "\(message): \(differing.count) of \(a.count) differ, by up to \(largest)", file: file, line: line)
    }

    /// `gemm` over fresh random operands (C starts from `c0`), with two-core products on or off.
    func product(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float,
                 seed: UInt64, twoCores: Bool) -> [Float] {
        let g = RandomGenerator(seed: seed)
        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
        var c = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
        Parallel.twoCoreFits = twoCores
        defer { Parallel.twoCoreFits = true }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Kernels.gemm(pa.baseAddress!, transA: transA, pb.baseAddress!, transB: transB, pc.baseAddress!,
                                 m: m, n: n, k: k, alpha: alpha, beta: beta)
                }
            }
        }
        return c
    }

    /// The same product in double precision, from the same random operands as ``product``.
    func reference(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float, seed: UInt64) -> [Double] {
        let g = RandomGenerator(seed: seed)
        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
        let c = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
        return (0..<(m * n)).map { e in
            let i = e / n, j = e % n
            var s = 0.0
            for p in 0..<k {
                s += Double(transA ? a[p * m + i] : a[i * k + p]) * Double(transB ? b[j * k + p] : b[p * n + j])
            }
            return Double(alpha) * s + Double(beta) * Double(c[e])
        }
    }

    /// Every shape, transposition, alpha and beta gives bit-identical results on one core and on
    /// two (cut by rows, or by columns when C has few rows), right to float precision against a
    /// double-precision product, and the products were shared.
    func testTwoCoreProductsAreBitIdenticalToOneCore() throws {
        try XCTSkipIf(Parallel.partner == nil, "one core: nothing to share")
        let partner = try XCTUnwrap(Parallel.partner)
        partner.clearBusy()
        let before = partner.products.load(ordering: .relaxed)
        var expectedShares = 0
        // Otto's first layer forward and weight gradient, a column cut, odd sizes, a longer reduction.
        let shapes = [(128, 100, 93), (93, 100, 128), (20, 700, 40), (77, 45, 61), (40, 64, 300)]
        for (i, (m, n, k)) in shapes.enumerated() {
            XCTAssertGreaterThanOrEqual(m * n * k, Kernels.splitGemmMinimum)
            XCTAssertLessThan(m * n * k, Kernels.threadedGemmMinimum)
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (2, -0.5)] {
                        let args = (seed: UInt64(100 + i), m: m, n: n, k: k)
                        let one = product(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta,
                                          seed: args.seed, twoCores: false)
                        let two = product(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta,
                                          seed: args.seed, twoCores: true)
                        let what = "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB) alpha=\(alpha) beta=\(beta)"
                        assertSameBits(one, two, what)
                        expectedShares += 1
                        guard beta == 0 else { continue }
                        let exact = reference(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta, seed: args.seed)
                        let worst = zip(two, exact).map { abs(Double($0) - $1) / Swift.max(1, abs($1)) }.max() ?? 0
                        XCTAssertLessThan(worst, 1e-6 + 1e-7 * Double(k), what)
                    }
                }
            }
        }
        // Shares are refused for a while when the machine is found busy; the first one was not.
        let shared = partner.products.load(ordering: .relaxed) - before
        XCTAssertGreaterThan(shared, 0, "no product was shared")
        XCTAssertLessThanOrEqual(shared, expectedShares)
    }

    /// A Dense layer's products in the in-place AVX2 kernel (``Kernels/readsInPlace(transB:k:n:beta:)``)
    /// equal, bit for bit, a plain loop that sums each element's k products in order with fused
    /// multiply-adds, then adds C for beta 1 (or the bias's element of its column for a row
    /// bias), on one core and on two (halved or not): the Otto layers' forward and
    /// weight-gradient shapes and odd ones, A plain and transposed.
    func testDenseProductsInPlaceMatchAnFMALoopOnOneAndTwoCores() throws {
        try XCTSkipUnless(Kernels.nativeDenseProducts, "no AVX2 + FMA: Dense products stay on OpenBLAS")
        Parallel.partner?.clearBusy()
        var shapes = [(128, 100, 93), (93, 100, 128), (64, 100, 93), (128, 9, 100), (100, 9, 128), (77, 45, 61), (54, 100, 93)]
        // A B past ``Kernels/inPlaceMaximumB`` (the AVX-512 kernel's L2 blocks, rows and columns off its tiles).
        if Kernels.readsInPlace(transB: false, k: 250, n: 264, beta: 0) { shapes.append((13, 264, 250)) }
        for (i, (m, n, k)) in shapes.enumerated() {
            XCTAssertGreaterThan(m * n * k, Kernels.smallGemmLimit)
            for transA in [false, true] {
                for (beta, withBias) in [(Float(0), false), (1, false), (0, true)] {
                    let seed = UInt64(300 + i)
                    let g = RandomGenerator(seed: seed)
                    let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
                    let c0 = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
                    let bias = (0..<n).map { _ in g.uniform(-1, 1) }
                    var expected = c0
                    for e in 0..<(m * n) {
                        let row = e / n, col = e % n
                        var acc: Float = 0
                        for p in 0..<k { acc.addProduct(transA ? a[p * m + row] : a[row * k + p], b[p * n + col]) }
                        expected[e] = withBias ? acc + bias[col] : beta == 0 ? acc : acc + c0[e]
                    }
                    for twoCores in [false, true] {
                        Parallel.twoCoreFits = twoCores
                        var c = c0
                        a.withUnsafeBufferPointer { pa in
                            b.withUnsafeBufferPointer { pb in
                                c.withUnsafeMutableBufferPointer { pc in
                                    bias.withUnsafeBufferPointer { pbias in
                                        Kernels.gemm(pa.baseAddress!, transA: transA, pb.baseAddress!, transB: false, pc.baseAddress!,
                                                     m: m, n: n, k: k, beta: beta, readInPlace: true,
                                                     rowBias: withBias ? pbias.baseAddress! : nil)
                                    }
                                }
                            }
                        }
                        Parallel.twoCoreFits = true
                        assertSameBits(c, expected, "m=\(m) n=\(n) k=\(k) transA=\(transA) beta=\(beta) bias=\(withBias) twoCores=\(twoCores)")
                    }
                }
            }
        }
        // What stays on OpenBLAS: B transposed, another beta, a B larger than the limit (unless
        // the AVX-512 kernel takes it on two cores or fewer).
        XCTAssertFalse(Kernels.readsInPlace(transB: true, k: 100, n: 9, beta: 0))
        XCTAssertFalse(Kernels.readsInPlace(transB: false, k: 100, n: 9, beta: 0.5))
        XCTAssertEqual(Kernels.readsInPlace(transB: false, k: 512, n: 512, beta: 0), Kernels.wideDenseProducts && Parallel.cores <= 2)
        Parallel.withCores(4) { XCTAssertFalse(Kernels.readsInPlace(transB: false, k: 512, n: 512, beta: 0)) }
        XCTAssertTrue(Kernels.readsInPlace(transB: false, k: 93, n: 100, beta: 1))
    }

    /// A large in-place product (``Kernels/threadedGemmMinimum`` multiply-adds and four or more
    /// of the kernel's 96-row blocks: a Dense predict of 1024 rows) runs as those blocks, taken
    /// in turn by this thread and the partner: bit for bit the FMA loop (the bias added last), on
    /// one core and on two, A plain and transposed, its last block partial, and it was offered
    /// to the partner.
    func testLargeInPlaceProductsByRowBlocksMatchAnFMALoop() throws {
        try XCTSkipUnless(Kernels.nativeDenseProducts, "no AVX2 + FMA: Dense products stay on OpenBLAS")
        let (m, n, k) = (4 * GemmCall.inPlaceBlockRows + 37, 96, 112)
        XCTAssertGreaterThanOrEqual(m * n * k, Kernels.threadedGemmMinimum)
        let g = RandomGenerator(seed: 340)
        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
        let bias = (0..<n).map { _ in g.uniform(-1, 1) }
        try Parallel.withCores(2) {
            let partner = try XCTUnwrap(Parallel.partner)
            for transA in [false, true] {
                var expected = [Float](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        for row in 0..<m {
                            for col in 0..<n {
                                var acc: Float = 0
                                for p in 0..<k { acc.addProduct(transA ? a[p * m + row] : a[row * k + p], b[p * n + col]) }
                                expected[row * n + col] = acc + bias[col]
                            }
                        }
                    }
                }
                for twoCores in [false, true] {
                    Parallel.twoCoreFits = twoCores
                    partner.clearBusy()
                    let before = partner.fanOuts.load(ordering: .relaxed)
                    var c = [Float](repeating: .nan, count: m * n)
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                bias.withUnsafeBufferPointer { pbias in
                                    Kernels.gemm(pa.baseAddress!, transA: transA, pb.baseAddress!, transB: false, pc.baseAddress!,
                                                 m: m, n: n, k: k, readInPlace: true, rowBias: pbias.baseAddress!)
                                }
                            }
                        }
                    }
                    Parallel.twoCoreFits = true
                    XCTAssertEqual(partner.fanOuts.load(ordering: .relaxed), before + (twoCores ? 1 : 0),
                                   "transA=\(transA) twoCores=\(twoCores): the blocks were offered to the partner or not")
                    assertSameBits(c, expected, "m=\(m) n=\(n) k=\(k) transA=\(transA) twoCores=\(twoCores)")
                }
            }
        }
    }

    /// A Dense layer's backward with the kernel transposed into scratch
    /// (``Kernels/transposesKernel(rows:inputs:units:)``): the input gradient `z·kernelᵀ` and the
    /// weight gradient `xᵀ·z` are each a plain FMA loop bit for bit, on one core and on two, and the
    /// bias gradient the column sums; what stays on OpenBLAS is named.
    func testDenseBackwardInPlaceMatchesAnFMALoopOnOneAndTwoCores() throws {
        try XCTSkipUnless(Kernels.nativeDenseProducts, "no AVX2 + FMA: Dense products stay on OpenBLAS")
        Parallel.partner?.clearBusy()
        // (rows, inputs, units): Otto's second layer, its last batch, odd sizes, few rows.
        let shapes = [(128, 100, 9), (54, 100, 9), (77, 61, 45), (16, 300, 20), (128, 93, 100)]
        for (i, (m, k, n)) in shapes.enumerated() {
            XCTAssertTrue(Kernels.transposesKernel(rows: m, inputs: k, units: n), "m=\(m) k=\(k) n=\(n)")
            let g = RandomGenerator(seed: UInt64(400 + i))
            let x = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, kernel = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
            let z = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
            var expectedDx = [Float](repeating: 0, count: m * k), expectedDk = [Float](repeating: 0, count: k * n)
            for r in 0..<m {
                for c in 0..<k {
                    var acc: Float = 0
                    for p in 0..<n { acc.addProduct(z[r * n + p], kernel[c * n + p]) }
                    expectedDx[r * k + c] = acc
                }
            }
            for r in 0..<k {
                for c in 0..<n {
                    var acc: Float = 0
                    for p in 0..<m { acc.addProduct(x[p * k + r], z[p * n + c]) }
                    expectedDk[r * n + c] = acc
                }
            }
            for twoCores in [false, true] {
                Parallel.twoCoreFits = twoCores
                var dx = [Float](repeating: .nan, count: m * k), dk = [Float](repeating: .nan, count: k * n)
                var db = [Float](repeating: .nan, count: n)
                let y = [Float](repeating: 0, count: m * n)
                x.withUnsafeBufferPointer { px in
                    kernel.withUnsafeBufferPointer { pk in
                        z.withUnsafeBufferPointer { pz in
                            y.withUnsafeBufferPointer { py in
                                dx.withUnsafeMutableBufferPointer { pdx in
                                    dk.withUnsafeMutableBufferPointer { pdk in
                                        db.withUnsafeMutableBufferPointer { pdb in
                                            Kernels.denseBackward(x: px.baseAddress!, kernel: pk.baseAddress!, output: py.baseAddress!,
                                                                  upstream: pz.baseAddress!, activation: .linear, dz: nil,
                                                                  kernelGradient: pdk.baseAddress!, biasGradient: pdb.baseAddress!,
                                                                  inputGradient: pdx.baseAddress!, rows: m, inputs: k, units: n)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                Parallel.twoCoreFits = true
                let label = "m=\(m) k=\(k) n=\(n) twoCores=\(twoCores)"
                assertSameBits(dx, expectedDx, "input gradient, " + label)
                assertSameBits(dk, expectedDk, "weight gradient, " + label)
                var sums = [Float](repeating: 0, count: n)
                z.withUnsafeBufferPointer { pz in
                    sums.withUnsafeMutableBufferPointer { Kernels.columnSums(pz.baseAddress!, rows: m, cols: n, into: $0.baseAddress!) }
                }
                assertSameBits(db, sums, "bias gradient, " + label)
            }
        }
        // Few rows, a tiny product, a kernel larger than the in-place B (unless the AVX-512
        // kernel takes it on two cores or fewer): OpenBLAS (or the small loop).
        XCTAssertFalse(Kernels.transposesKernel(rows: 8, inputs: 100, units: 9))
        XCTAssertFalse(Kernels.transposesKernel(rows: 16, inputs: 8, units: 3))
        XCTAssertEqual(Kernels.transposesKernel(rows: 128, inputs: 512, units: 512), Kernels.wideDenseProducts && Parallel.cores <= 2)
        Parallel.withCores(4) { XCTAssertFalse(Kernels.transposesKernel(rows: 128, inputs: 512, units: 512)) }
    }

    /// The halves cover C exactly: rows when there are at least 32, else columns, else no cut.
    func testHalvesCutRowsThenColumnsAndNeverTheReduction() throws {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: 1), c = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        defer { a.deallocate(); c.deallocate() }
        let rows = GemmCall(a, transA: false, a, transB: false, c, m: 93, n: 100, k: 128, alpha: 1, beta: 1)
        let (top, bottom) = try XCTUnwrap(rows.halves())
        XCTAssertEqual([top.m, bottom.m, top.n, bottom.n, top.k, bottom.k], [48, 45, 100, 100, 128, 128])
        XCTAssertEqual(bottom.c - c, 48 * 100)
        XCTAssertEqual(bottom.a - UnsafePointer(a), 48 * 128)
        let transposed = GemmCall(a, transA: true, a, transB: false, c, m: 93, n: 100, k: 128, alpha: 1, beta: 1)
        let (_, lower) = try XCTUnwrap(transposed.halves())
        XCTAssertEqual(lower.a - UnsafePointer(a), 48, "a transposed A is cut by columns")
        XCTAssertEqual(lower.lda, 93)
        let columns = GemmCall(a, transA: false, a, transB: true, c, m: 20, n: 700, k: 40, alpha: 1, beta: 1)
        let (left, right) = try XCTUnwrap(columns.halves())
        XCTAssertEqual([left.m, right.m, left.n, right.n], [20, 20, 352, 348])
        XCTAssertEqual(right.c - c, 352)
        XCTAssertEqual(right.b - UnsafePointer(a), 352 * 40, "a transposed B is cut by rows")
        XCTAssertNil(GemmCall(a, transA: false, a, transB: false, c, m: 31, n: 31, k: 4096, alpha: 1, beta: 0).halves())
    }

    /// Workers of a parallel search keep one core: their products are never shared.
    func testWorkersOfASearchDoNotShareProducts() throws {
        try XCTSkipIf(Parallel.partner == nil, "one core: nothing to share")
        let partner = try XCTUnwrap(Parallel.partner)
        let before = partner.products.load(ordering: .relaxed)
        let inWorker = Parallel.asWorker {
            product(m: 128, n: 100, k: 93, transA: false, transB: false, alpha: 1, beta: 0, seed: 7, twoCores: true)
        }
        XCTAssertEqual(partner.products.load(ordering: .relaxed), before)
        assertSameBits(inWorker, product(m: 128, n: 100, k: 93, transA: false, transB: false, alpha: 1, beta: 0,
                                         seed: 7, twoCores: false), "worker")
    }

    /// Two threads multiplying at once (one gets the partner, the other runs alone) both get the
    /// one-core bits.
    func testConcurrentCallersGetOneCoreResults() {
        let reference = (0..<2).map { product(m: 128, n: 100, k: 93, transA: $0 == 1, transB: false, alpha: 1, beta: 0,
                                               seed: 40 + UInt64($0), twoCores: false) }
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 2)
        results.initialize(repeating: [])
        defer { results.deinitialize(); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            var last: [Float] = []
            for _ in 0..<10 {
                last = product(m: 128, n: 100, k: 93, transA: t == 1, transB: false, alpha: 1, beta: 0,
                               seed: 40 + UInt64(t), twoCores: true)
                if last != reference[t] { break }
            }
            results[t] = last
        }
        assertSameBits(results[0], reference[0], "thread 0")
        assertSameBits(results[1], reference[1], "thread 1")
    }

    /// Trains the Otto-shaped MLP for two epochs on `data` with and without the partner and
    /// checks that the weights are the same, bit for bit.
    func assertOttoFitSameOnOneAndTwoCores(_ data: (x: Tensor, yOneHot: Tensor), seed: Int,
                                           file: StaticString = #filePath, line: UInt = #line) throws {
        func train(twoCores: Bool) throws -> [Tensor] {
            Parallel.twoCoreFits = twoCores
            defer { Parallel.twoCoreFits = true }
            setRandomSeed(seed)
            let model = try Sequential([Dense(100, inputShape: [93]), Dense(9), Activation("softmax")])
            try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
            try model.fit(data.x, data.yOneHot, batchSize: 128, epochs: 2, verbose: 0)
            return model.weights.map(\.value)
        }
        let one = try train(twoCores: false), two = try train(twoCores: true)
        XCTAssertEqual(one.count, two.count, file: file, line: line)
        for (i, (a, b)) in zip(one, two).enumerated() {
            assertSameBits(a.scalars, b.scalars, "weight \(i)", file: file, line: line)
        }
    }

    /// Training the Otto-shaped MLP with and without the partner gives the same weights, bit for bit.
    func testOttoShapedFitIsBitIdenticalOnOneAndTwoCores() throws {
        let data = Datasets.ottoLike(samples: 640)
        try assertOttoFitSameOnOneAndTwoCores((data.x, data.yOneHot), seed: 21)
    }

    /// Rows copied in the background (``GemmPartner/startCopy(indices:count:parts:_:)``: slices
    /// claimed by the partner between the halves of products shared at the same time, the rest by
    /// the caller in ``GemmPartner/finishCopy()``) are exactly the rows of a plain gather, for
    /// copies of every length from 1 to 128 rows and two arrays of different widths; while a copy
    /// is started, a second one is refused.
    func testBackgroundCopyGivesThePlainGather() throws {
        guard let partner = Parallel.partner else { throw XCTSkip("one core: no partner thread") }
        let rows = 3000, wide = 37, narrow = 3
        let g = RandomGenerator(seed: 8)
        let x = (0..<(rows * wide)).map { _ in g.uniform(-1, 1) }, y = (0..<(rows * narrow)).map { _ in g.uniform(-1, 1) }
        let a = (0..<(128 * 93)).map { _ in g.uniform(-1, 1) }, b = (0..<(93 * 100)).map { _ in g.uniform(-1, 1) }
        var c = [Float](repeating: 0, count: 128 * 100)
        var outX = [Float](repeating: 0, count: 128 * wide), outY = [Float](repeating: 0, count: 128 * narrow)
        let idx = UnsafeMutablePointer<Int>.allocate(capacity: 128)
        defer { idx.deallocate() }
        var started = 0
        let copiedBefore = partner.rowsCopied.load(ordering: .relaxed)
        for round in 0..<300 {
            let n = 1 + round % 128
            let order = g.permutation(rows)
            for k in 0..<n { idx[k] = order[k] }
            outX.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) }
            outY.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) }
            partner.clearBusy()
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    outX.withUnsafeMutableBufferPointer { ox in
                        outY.withUnsafeMutableBufferPointer { oy in
                            let ok = partner.startCopy(indices: idx, count: n, parts: 2) { slots in
                                slots[0] = .init(source: px.baseAddress!, row: wide, destination: ox.baseAddress!)
                                slots[1] = .init(source: py.baseAddress!, row: narrow, destination: oy.baseAddress!)
                            }
                            guard ok else {
                                Kernels.gatherShuffledRows(px.baseAddress!, idx, rows: 0..<n, of: n, row: wide, into: ox.baseAddress!)
                                Kernels.gatherShuffledRows(py.baseAddress!, idx, rows: 0..<n, of: n, row: narrow, into: oy.baseAddress!)
                                return
                            }
                            started += 1
                            XCTAssertFalse(partner.startCopy(indices: idx, count: n, parts: 2) { _ in }, "a second copy started")
                            // A product shared meanwhile: the partner takes its half between slices.
                            a.withUnsafeBufferPointer { pa in
                                b.withUnsafeBufferPointer { pb in
                                    c.withUnsafeMutableBufferPointer { pc in
                                        Kernels.gemm(pa.baseAddress!, transA: false, pb.baseAddress!, transB: false, pc.baseAddress!,
                                                     m: 128, n: 100, k: 93)
                                    }
                                }
                            }
                            partner.finishCopy()
                        }
                    }
                }
            }
            for k in 0..<n {
                XCTAssertEqual(Array(outX[(k * wide)..<((k + 1) * wide)]), Array(x[(order[k] * wide)..<((order[k] + 1) * wide)]),
                               "round \(round), row \(k) of x")
                XCTAssertEqual(Array(outY[(k * narrow)..<((k + 1) * narrow)]), Array(y[(order[k] * narrow)..<((order[k] + 1) * narrow)]),
                               "round \(round), row \(k) of y")
            }
        }
        XCTAssertGreaterThan(started, 0, "no copy was started")
        print("GemmPartnerTests: \(started) of 300 copies started, \(partner.rowsCopied.load(ordering: .relaxed) - copiedBefore) rows copied by the partner")
    }

    /// An Otto-shaped fit on data large enough for its batches to be copied on the partner thread
    /// gives the same weights with and without the partner, bit for bit.
    func testOttoShapedFitWithBackgroundBatchesIsBitIdenticalOnOneAndTwoCores() throws {
        let data = Datasets.ottoLike(samples: 3000)
        XCTAssertGreaterThanOrEqual(data.x.count * 4, BatchGatherer.prefetchMinimumBytes)
        try assertOttoFitSameOnOneAndTwoCores((data.x, data.yOneHot), seed: 22)
    }

    /// A fan-out on two cores (``Parallel/withCores(_:_:)`` forces it on a machine of any size):
    /// this thread and the partner take the parts in turn and every part runs exactly once, on
    /// one thread at a time; the partner ran some (each part sleeps, so even on one core the
    /// partner gets it); a fan-out inside a part (the partner owned) runs all its parts alone.
    func testFanOutRunsEachPartOnceOnThisThreadAndThePartner() throws {
        try Parallel.withCores(2) {
            let partner = try XCTUnwrap(Parallel.partner)
            let parts = 12, rounds = 20
            let runs = UnsafeMutablePointer<Int>.allocate(capacity: parts)
            let nested = UnsafeMutablePointer<Int>.allocate(capacity: parts * 3)
            let onPartner = UnsafeMutablePointer<Bool>.allocate(capacity: parts)
            defer { runs.deallocate(); nested.deallocate(); onPartner.deallocate() }
            let caller = pthread_self()
            var partnerParts = 0
            for _ in 0..<rounds {
                runs.initialize(repeating: 0, count: parts)
                nested.initialize(repeating: 0, count: parts * 3)
                onPartner.initialize(repeating: false, count: parts)
                partner.clearBusy()
                let before = partner.fanOuts.load(ordering: .relaxed)
                Parallel.forEachPart(parts, parts: parts) { p, rows in
                    XCTAssertEqual(rows, p..<(p + 1))
                    runs[p] += 1
                    onPartner[p] = pthread_equal(pthread_self(), caller) == 0
                    usleep(100)
                    Parallel.forEachPart(3, parts: 3) { q, _ in nested[p * 3 + q] += 1 }
                }
                XCTAssertEqual(partner.fanOuts.load(ordering: .relaxed), before + 1, "the fan-out was not offered to the partner")
                XCTAssertEqual(Array(UnsafeBufferPointer(start: runs, count: parts)), Array(repeating: 1, count: parts))
                XCTAssertEqual(Array(UnsafeBufferPointer(start: nested, count: parts * 3)), Array(repeating: 1, count: parts * 3))
                partnerParts += (0..<parts).filter { onPartner[$0] }.count
            }
            XCTAssertGreaterThan(partnerParts, 0, "the partner ran no part in \(rounds) fan-outs")
            XCTAssertLessThan(partnerParts, parts * rounds, "this thread ran no part")
        }
    }

    /// Elementwise work split in chunks (``Parallel/forEachChunk(_:_:)``) covers every element
    /// once on two cores, and a worker of a search does not offer it to the partner.
    func testChunksCoverEveryElementOnceOnTwoCores() throws {
        try Parallel.withCores(2) {
            let partner = try XCTUnwrap(Parallel.partner)
            let n = Parallel.threshold * 3 + 5
            var seen = [UInt8](repeating: 0, count: n)
            partner.clearBusy()
            let before = partner.fanOuts.load(ordering: .relaxed)
            seen.withUnsafeMutableBufferPointer { p in
                Parallel.forEachChunk(n) { r in for i in r { p[i] &+= 1 } }
            }
            XCTAssertEqual(partner.fanOuts.load(ordering: .relaxed), before + 1)
            XCTAssertTrue(seen.allSatisfy { $0 == 1 })
            Parallel.asWorker {
                seen.withUnsafeMutableBufferPointer { p in
                    Parallel.forEachChunk(n) { r in for i in r { p[i] &+= 1 } }
                }
            }
            XCTAssertEqual(partner.fanOuts.load(ordering: .relaxed), before + 1, "a worker of a search fanned out")
            XCTAssertTrue(seen.allSatisfy { $0 == 2 })
        }
    }
}
