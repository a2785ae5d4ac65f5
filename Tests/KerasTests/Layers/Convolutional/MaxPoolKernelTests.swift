import XCTest
@testable import Keras

/// ``Kernels/maxPool(_:_:into:argmax:)`` (eight channels a SIMD step, a scalar tail, samples
/// across cores) against a plain loop: the maxima and the element each came from.
final class MaxPoolKernelTests: XCTestCase {
    func testMatchesAPlainLoopWithTailsPaddingAndNaN() throws {
        // (input, pool, strides, padding): 19 channels = 2·8 + 3; a large batch splits across cores.
        let cases: [([Int], [Int], [Int], ConvPadding)] = [
            ([2, 5, 6, 19], [2, 2], [2, 2], .valid), ([3, 5, 5, 8], [3, 2], [2, 1], .same),
            ([700, 6, 6, 16], [2, 2], [2, 2], .valid), ([2, 7, 3], [3], [2], .same),
        ]
        for (i, (shape, pool, strides, padding)) in cases.enumerated() {
            let x = GradientCheck.distinct(shape, seed: UInt64(60 + i))
            x.data[1] = .nan
            let g = try Ops.windowGeometry("test", input: shape, window: pool, strides: strides,
                                           dilation: pool.map { _ in 1 }, padding: padding)
            let c = g.channels, rows = g.outputRows
            let out = Tensor(shape: [rows * c]), argmax = UnsafeMutablePointer<Int32>.allocate(capacity: rows * c)
            defer { argmax.deallocate() }
            Kernels.maxPool(x.data, g, into: out.data, argmax: argmax)
            g.forEachWindow { row, taps in
                for j in 0..<c {
                    var best = -Float.infinity, at = (taps.first(where: { $0 >= 0 }) ?? 0) * c + j
                    for t in taps where t >= 0 && x.data[t * c + j] > best {
                        best = x.data[t * c + j]
                        at = t * c + j
                    }
                    XCTAssertEqual(out.data[row * c + j], best, "case \(i) out[\(row), \(j)]")
                    XCTAssertEqual(Int(argmax[row * c + j]), at, "case \(i) argmax[\(row), \(j)]")
                }
            }
        }
    }
}
