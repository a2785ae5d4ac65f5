import XCTest
@testable import Keras

/// The pooling kernels (one output line at a time: eight channels a SIMD step, a scalar tail,
/// lines across cores) against a plain loop over each window's taps: the maxima and the element
/// each came from (ties and NaN included), the averages, and both backwards.
final class MaxPoolKernelTests: XCTestCase {
    /// (input, pool, strides, padding): tails of 3 channels, `same` padding on every side, 1-D
    /// and 3-D windows, overlapping windows (stride below the pool), a batch large enough to split.
    static let cases: [([Int], [Int], [Int], ConvPadding)] = [
        ([2, 5, 6, 19], [2, 2], [2, 2], .valid), ([3, 5, 5, 8], [3, 2], [2, 1], .same),
        ([700, 6, 6, 16], [2, 2], [2, 2], .valid), ([2, 7, 3], [3], [2], .same),
        ([2, 4, 5, 6, 11], [2, 3, 2], [1, 2, 2], .same), ([2, 5, 4, 3, 8], [3, 2, 2], [2, 1, 2], .valid),
        ([3, 9, 9, 5], [3, 3], [1, 1], .same), ([64, 12, 12, 32], [4, 4], [4, 4], .valid),
        // One channel (a channels-first plane's layout), rows wide enough for eight windows per
        // SIMD step: padded edges, a last step overlapping the one before, stride 1, strides
        // below, equal to and above the pool, 1-D and 3-D, a batch large enough to split.
        ([2, 5, 40, 1], [2, 3], [2, 2], .same), ([3, 6, 37, 1], [3, 3], [1, 1], .same),
        ([2, 4, 50, 1], [4, 4], [4, 4], .valid), ([2, 61, 1], [3], [2], .same), ([2, 7, 45, 1], [2, 2], [3, 5], .valid),
        ([2, 3, 4, 30, 1], [2, 2, 3], [1, 2, 3], .same), ([130, 4, 24, 1], [2, 2], [2, 2], .valid),
    ]

    /// The tensor of `shape` whose values repeat (0, 1, 2), so that most windows hold ties.
    static func tied(_ shape: [Int]) -> Tensor {
        let x = Tensor(shape: shape)
        for i in 0..<x.count { x.data[i] = Float((i * 7 + i / 5) % 3) }
        return x
    }

    func testMatchesAPlainLoopWithTailsPaddingAndNaN() throws {
        // (input, pool, strides, padding): 19 channels = 2·8 + 3; a large batch splits across cores.
        for (i, (shape, pool, strides, padding)) in (Self.cases + Self.cases).enumerated() {
            let tiedCase = i >= Self.cases.count
            let x = tiedCase ? Self.tied(shape) : GradientCheck.distinct(shape, seed: UInt64(60 + i))
            x.data[1] = .nan
            x.data[2] = -.infinity
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
            // Without the argmax (an input no gradient flows to): the same maxima, bit for bit.
            let plain = Tensor(shape: [rows * c])
            Kernels.maxPool(x.data, g, into: plain.data, argmax: nil)
            XCTAssertEqual(plain.scalars.map(\.bitPattern), out.scalars.map(\.bitPattern), "case \(i) without argmax")
        }
    }

    func testAveragePoolAndBackwardsMatchPlainLoops() throws {
        for (i, (shape, pool, strides, padding)) in Self.cases.enumerated() {
            let x = GradientCheck.distinct(shape, seed: UInt64(80 + i))
            let g = try Ops.windowGeometry("test", input: shape, window: pool, strides: strides,
                                           dilation: pool.map { _ in 1 }, padding: padding)
            let c = g.channels, rows = g.outputRows
            let up = GradientCheck.distinct([rows * c], seed: UInt64(90 + i))
            // Average and its adjoint: the same sums in the same order, divided by the number of
            // taps inside the input as Keras divides, so the same bits.
            let out = Tensor(shape: [rows * c])
            Kernels.averagePool(x.data, g, into: out.data)
            let dx = Tensor(shape: [x.count]), want = Tensor(shape: [x.count])
            Kernels.averagePoolBackward(up.data, g, into: dx.data)
            g.forEachWindow { row, taps in
                let inside = taps.filter { $0 >= 0 }, count = Float(Swift.max(inside.count, 1))
                for j in 0..<c {
                    var sum: Float = 0
                    for t in inside { sum += x.data[t * c + j] }
                    XCTAssertEqual(out.data[row * c + j], sum / count, "case \(i) average[\(row), \(j)]")
                    for t in inside { want.data[t * c + j] += up.data[row * c + j] / count }
                }
            }
            XCTAssertEqual(dx.scalars, want.scalars, "case \(i) average backward")
            // Max's adjoint: every element written (the buffer starts as garbage), each upstream
            // value added onto its argmax.
            let argmax = UnsafeMutablePointer<Int32>.allocate(capacity: rows * c)
            defer { argmax.deallocate() }
            Kernels.maxPool(x.data, g, into: out.data, argmax: argmax)
            let scattered = Tensor(shape: [x.count], repeating: .nan), plain = Tensor(shape: [x.count])
            Kernels.maxPoolBackward(up.data, argmax: argmax, count: rows * c, samples: shape[0], inputCount: x.count,
                                    into: scattered.data)
            for k in 0..<rows * c { plain.data[Int(argmax[k])] += up.data[k] }
            XCTAssertEqual(scattered.scalars, plain.scalars, "case \(i) max backward")
        }
    }

    /// Channels-first poolings run on the planes as they lie (no transpose): the numbers of the
    /// channels-last layer on the transposed input, and finite-difference gradients.
    func testChannelsFirstPoolingsMatchChannelsLast() throws {
        let cases: [(BasePooling.Type, [Int], [Int], [Int], ConvPadding)] = [
            (MaxPooling2D.self, [3, 5, 7, 6], [2, 3], [2, 2], .same), (AveragePooling2D.self, [3, 5, 7, 6], [3, 2], [1, 2], .same),
            (MaxPooling1D.self, [2, 4, 9], [3], [2], .valid), (AveragePooling3D.self, [2, 3, 4, 5, 4], [2, 2, 2], [2, 1, 2], .same),
            (MaxPooling3D.self, [2, 3, 4, 5, 4], [2, 3, 2], [1, 2, 2], .valid),
            // Rows wide enough for the planes' eight windows per SIMD step (padded edges, an
            // overlapping last step, stride 1, odd sizes, strides other than the pool).
            (MaxPooling2D.self, [2, 3, 6, 41], [2, 4], [2, 4], .valid), (AveragePooling2D.self, [2, 3, 7, 40], [3, 3], [2, 2], .same),
            (MaxPooling2D.self, [2, 2, 5, 21], [3, 3], [1, 1], .same), (AveragePooling2D.self, [2, 2, 5, 23], [2, 3], [1, 1], .valid),
            (AveragePooling1D.self, [2, 3, 50], [4], [3], .same), (MaxPooling1D.self, [2, 3, 53], [2], [3], .same),
            (AveragePooling2D.self, [2, 2, 4, 36], [2, 4], [2, 4], .valid),
        ]
        for (i, (type, shape, pool, strides, padding)) in cases.enumerated() {
            let r = shape.count - 2
            let first = try type.init(poolSize: pool, strides: strides, padding: padding, dataFormat: .channelsFirst)
            let last = try type.init(poolSize: pool, strides: strides, padding: padding, dataFormat: .channelsLast)
            // Values at least 0.1 apart, so that the finite differences' step (0.01) never
            // moves a window's maximum.
            let x = GradientCheck.distinct(shape, in: -30...30, seed: UInt64(100 + i))
            let toLast = [0] + Array(2..<(r + 2)) + [1], toFirst = [0, r + 1] + Array(1...r)
            let want = try Ops.transpose(try last(try Ops.transpose(x, toLast)), toFirst)
            let got = try first(x)
            XCTAssertEqual(got.shape, want.shape, "case \(i)")
            XCTAssertEqual(got.scalars, want.scalars, "case \(i)")
            try GradientCheck.check(layer: first, input: x)
        }
    }
}
