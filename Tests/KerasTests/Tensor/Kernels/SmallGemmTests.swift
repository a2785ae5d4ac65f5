import XCTest
@testable import Keras

final class SmallGemmTests: XCTestCase {
    /// The plain-loop GEMM for tiny sizes agrees with a double-precision product for every transposition, alpha and beta.
    func testSmallGemmMatchesADoublePrecisionProduct() {
        let g = RandomGenerator(seed: 11)
        for (m, n, k) in [(1, 1, 1), (16, 16, 4), (16, 3, 16), (3, 7, 5), (4, 16, 16)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, -0.5)] {
                        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }
                        let b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
                        let c0 = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
                        var small = c0, blas = c0
                        small.withUnsafeMutableBufferPointer { c in
                            Kernels.smallGemm(a, transA: transA, b, transB: transB, c.baseAddress!, m: m, n: n, k: k, alpha: alpha, beta: beta)
                        }
                        blas.withUnsafeMutableBufferPointer { c in
                            cblasReference(a, transA, b, transB, c.baseAddress!, m, n, k, alpha, beta)
                        }
                        for (x, y) in zip(small, blas) {
                            XCTAssertEqual(x, y, accuracy: 1e-5, "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB)")
                        }
                    }
                }
            }
        }
        XCTAssertLessThanOrEqual(16 * 16 * 16, Kernels.smallGemmLimit)
    }

    /// With A transposed, the columns beyond the eight-column blocks are summed eight rows at a
    /// time (a weight gradient into 3 classes); each element still gets the bits of the plain
    /// float loop, `c = beta·c; c += (alpha·a)·b` for p in order, whatever the row count.
    func testTransposedAWithLeftoverColumnsKeepsThePlainLoopsBits() {
        let g = RandomGenerator(seed: 13)
        for (m, n, k) in [(8, 3, 32), (13, 3, 32), (16, 11, 8), (24, 9, 5), (7, 3, 40)] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, -0.5)] {
                let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }
                let b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
                var small = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
                var plain = small
                for i in 0..<m {
                    for j in 0..<n {
                        var acc = beta == 0 ? 0 : beta == 1 ? plain[i * n + j] : plain[i * n + j] * beta
                        for p in 0..<k { acc += alpha * a[p * m + i] * b[p * n + j] }
                        plain[i * n + j] = acc
                    }
                }
                small.withUnsafeMutableBufferPointer { c in
                    Kernels.smallGemm(a, transA: true, b, transB: false, c.baseAddress!, m: m, n: n, k: k, alpha: alpha, beta: beta)
                }
                XCTAssertEqual(small.map(\.bitPattern), plain.map(\.bitPattern), "m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta)")
            }
        }
    }

    /// Every path of the small product (the eight- and four-column vectors over a padded copy of
    /// op(B), B transposed or not, and the plain loops past the copy's size) gives each element
    /// the bits of the plain float loop: `c = beta·c`, then `c += (alpha·a)·b` for p ascending
    /// with B as given, or `c += alpha·s` with `s = Σ a·b` (p ascending from 0) with B transposed.
    func testEveryShapeKeepsThePlainLoopsBits() {
        let g = RandomGenerator(seed: 17)
        for (m, n, k) in [(32, 3, 8), (32, 8, 3), (15, 3, 8), (15, 8, 3), (5, 11, 7), (3, 7, 5), (1, 1, 1),
                          (2, 1, 9), (7, 13, 2), (8, 3, 32), (16, 3, 16), (4, 16, 16), (9, 5, 50)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, -0.5)] {
                        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }
                        let b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
                        var small = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
                        var plain = small
                        for i in 0..<m {
                            for j in 0..<n {
                                var acc = beta == 0 ? 0 : beta == 1 ? plain[i * n + j] : plain[i * n + j] * beta
                                var s: Float = 0
                                for p in 0..<k {
                                    let av = transA ? a[p * m + i] : a[i * k + p]
                                    if transB { s += av * b[j * k + p] } else { acc += alpha * av * b[p * n + j] }
                                }
                                if transB { acc += alpha * s }
                                plain[i * n + j] = acc
                            }
                        }
                        small.withUnsafeMutableBufferPointer { c in
                            Kernels.smallGemm(a, transA: transA, b, transB: transB, c.baseAddress!, m: m, n: n, k: k, alpha: alpha, beta: beta)
                        }
                        XCTAssertEqual(small.map(\.bitPattern), plain.map(\.bitPattern),
                                       "m=\(m) n=\(n) k=\(k) transA=\(transA) transB=\(transB) alpha=\(alpha) beta=\(beta)")
                    }
                }
            }
        }
    }

    /// Single-threaded BLAS scopes nest, hold while a worker runs, and give the process its
    /// thread count back when the last one closes; a mid-sized product inside a scope is right.
    func testSingleThreadedBLASScopesNestAndRestoreTheThreadCount() {
        let before = Parallel.blasThreads
        Parallel.withSingleThreadedBLAS {
            XCTAssertEqual(Parallel.blasThreads, 1)
            Parallel.asWorker {
                XCTAssertTrue(Parallel.isWorkerThread)
                XCTAssertEqual(Parallel.blasThreads, 1)
            }
            XCTAssertFalse(Parallel.isWorkerThread)
            XCTAssertEqual(Parallel.blasThreads, 1)
        }
        XCTAssertEqual(Parallel.blasThreads, before)

        let (m, n, k) = (128, 100, 93)
        XCTAssertLessThan(m * n * k, Kernels.threadedGemmMinimum)
        let g = RandomGenerator(seed: 12)
        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
        var c = [Float](repeating: .nan, count: m * n), reference = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Kernels.gemm(pa.baseAddress!, transA: false, pb.baseAddress!, transB: false, pc.baseAddress!, m: m, n: n, k: k)
                }
            }
        }
        reference.withUnsafeMutableBufferPointer { cblasReference(a, false, b, false, $0.baseAddress!, m, n, k, 1, 0) }
        for (x, y) in zip(c, reference) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        XCTAssertEqual(Parallel.blasThreads, before)
    }

    /// A naive triple loop in double precision.
    func cblasReference(_ a: [Float], _ transA: Bool, _ b: [Float], _ transB: Bool, _ c: UnsafeMutablePointer<Float>,
                        _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ beta: Float) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(Double(alpha) * s + (beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])))
            }
        }
    }
}
