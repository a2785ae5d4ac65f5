import XCTest
@testable import Keras

/// Checks the broadcasting kernels against a plain index-by-index reference.
final class KernelsTests: XCTestCase {
    /// numpy broadcasting written out the slow way.
    func referenceBroadcast(_ a: Tensor, _ b: Tensor, _ shape: [Int], _ f: (Float, Float) -> Float) -> [Float] {
        let n = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: n)
        func offset(_ index: [Int], _ s: [Int]) -> Int {
            var o = 0
            let lead = index.count - s.count
            for (d, size) in s.enumerated() { o = o * size + (size == 1 ? 0 : index[lead + d]) }
            return o
        }
        for i in 0..<n {
            var index = [Int](repeating: 0, count: shape.count)
            var r = i
            for d in stride(from: shape.count - 1, through: 0, by: -1) { index[d] = r % shape[d]; r /= shape[d] }
            out[i] = f(a.data[offset(index, a.shape)], b.data[offset(index, b.shape)])
        }
        return out
    }

    func testBroadcastMatchesReferenceOnEveryPath() throws {
        let pairs: [([Int], [Int])] = [
            ([2, 3], [2, 3]), ([2, 3], []), ([], [2, 3]), ([1, 1], []), ([], [1, 1]), ([1, 1], [3, 4]),
            ([3, 4], [1, 1]), ([1], [1, 5]), ([4, 3], [3]), ([3], [4, 3]), ([2, 1, 3], [4, 1]), ([2, 1], [1, 3]),
        ]
        for (k, (sa, sb)) in pairs.enumerated() {
            let a = GradientCheck.random(sa, seed: UInt64(k)), b = GradientCheck.random(sb, seed: UInt64(100 + k))
            let shape = try XCTUnwrap(Kernels.broadcastShape(sa, sb))
            let out = Kernels.broadcast(a, b, shape: shape) { $0 * 10 + $1 }
            XCTAssertEqual(out.scalars, referenceBroadcast(a, b, shape) { $0 * 10 + $1 }, "\(sa) with \(sb)")
        }
    }

    func testSumToShapeUndoesBroadcast() throws {
        let g = GradientCheck.random([2, 3, 4], seed: 5)
        for target in [[2, 3, 4], [4], [3, 1], [1, 1, 1], [], [2, 1, 4], [1, 3, 1]] {
            let s = Kernels.sumToShape(g, target)
            XCTAssertEqual(s.shape, target)
            var expected = [Float](repeating: 0, count: target.reduce(1, *))
            let lead = 3 - target.count
            for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
                let idx = [i, j, k]
                var o = 0
                for (d, size) in target.enumerated() { o = o * size + (size == 1 ? 0 : idx[lead + d]) }
                expected[o] += g.data[(i * 3 + j) * 4 + k]
            } } }
            for (x, y) in zip(s.scalars, expected) { XCTAssertEqual(x, y, accuracy: 1e-5, "\(target)") }
        }
    }

    /// broadcastTo and sumToShape over one run of axes (the contiguous fast path) and over
    /// separated axes (the general path) agree with the index arithmetic, rank 4.
    func testBroadcastAndSumOverAxisRunsMatchIndexArithmetic() throws {
        let big = [2, 3, 4, 5]
        let g = GradientCheck.random(big, seed: 9)
        for small in [[2, 1, 1, 5], [2, 3, 1, 1], [1, 1, 4, 5], [2, 1, 4, 1], [1, 3, 1, 5], [5], [4, 1]] {
            let lead = big.count - small.count
            func offset(_ idx: [Int]) -> Int {
                small.enumerated().reduce(0) { o, e in o * e.element + (e.element == 1 ? 0 : idx[lead + e.offset]) }
            }
            let x = GradientCheck.random(small, seed: 3)
            let b = Kernels.broadcastTo(x, big), s = Kernels.sumToShape(g, small)
            XCTAssertEqual(b.shape, big)
            var sums = [Float](repeating: 0, count: small.reduce(1, *))
            for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { for l in 0..<5 {
                let flat = ((i * 3 + j) * 4 + k) * 5 + l, o = offset([i, j, k, l])
                XCTAssertEqual(b.data[flat], x.data[o], "\(small)")
                sums[o] += g.data[flat]
            } } } }
            for (got, want) in zip(s.scalars, sums) { XCTAssertEqual(got, want, accuracy: 1e-4, "\(small)") }
        }
    }
}
