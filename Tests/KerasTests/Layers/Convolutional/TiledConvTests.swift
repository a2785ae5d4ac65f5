import Foundation
import XCTest
@testable import Keras

/// The tiled im2col + GEMM path of ``Ops/conv(_:kernel:bias:strides:padding:dilation:groups:activation:)``
/// (a reduction above ``Kernels/directConvLimit``, groups 1): output, input, kernel and bias
/// gradients against a plain 2-D convolution in Double, over several tiles and both sample
/// parts (the data gradient by col2im for strides above 1, as the flipped convolution for unit
/// strides), and the same bits whether the parts run on two cores or one.
final class TiledConvTests: XCTestCase {
    typealias Case = DirectConvTests.Case

    private let cases: [Case] = [
        // k = 36: 1,816 rows a tile, 3 samples of 1,600 rows a part: several tiles, a short last one.
        Case(x: [6, 40, 40, 4], kernel: [3, 3, 4, 8], padding: .same, activation: .relu),
        Case(x: [3, 11, 9, 6], kernel: [3, 2, 6, 10], strides: [2, 1], dilation: [1, 2], activation: .tanh),
        Case(x: [2, 8, 7, 9], kernel: [2, 3, 9, 3], strides: [1, 2], padding: .same),              // linear, odd filters
        // Unit strides: the data gradient as the flipped convolution, valid and dilated, and same with an even kernel.
        Case(x: [3, 10, 9, 6], kernel: [3, 2, 6, 7], dilation: [2, 1], activation: .tanh),
        Case(x: [2, 9, 8, 5], kernel: [2, 4, 5, 6], dilation: [1, 2], padding: .same),
    ]

    private func run(_ c: Case, _ i: Int) throws -> (out: Tensor, grads: [Tensor], x: Tensor, k: Tensor, bias: Tensor, r: Tensor) {
        let x = GradientCheck.random(c.x, seed: UInt64(500 + i)), k = GradientCheck.random(c.kernel, in: -0.5...0.5, seed: UInt64(600 + i))
        let bias = GradientCheck.random([c.kernel[3]], seed: UInt64(700 + i))
        let r = GradientCheck.random(DirectConvTests.reference(x, k, bias, c).shape, seed: UInt64(800 + i))
        let tape = GradientTape()
        let (wx, wk, wb, out, loss) = try tape.record { () throws -> (Tensor, Tensor, Tensor, Tensor, Tensor) in
            let wx = tape.watch(x), wk = tape.watch(k), wb = tape.watch(bias)
            let out = try Ops.conv(wx, kernel: wk, bias: wb, strides: c.strides, padding: c.padding, dilation: c.dilation,
                                   activation: c.activation)
            return (wx, wk, wb, out, try Ops.sum(Ops.multiply(out, r)))
        }
        return (out, try tape.gradient(of: loss, with: [wx, wk, wb]), x, k, bias, r)
    }

    func testTiledPathMatchesAPlainConvolutionAndItsGradients() throws {
        for (i, c) in cases.enumerated() {
            let cin = c.x[3], f = c.kernel[3]
            let (out, grads, x, k, bias, r) = try run(c, i)
            let (pre, shape, taps) = DirectConvTests.reference(x, k, bias, c)
            XCTAssertEqual(out.shape, shape, "case \(i)")
            var dxRef = [Double](repeating: 0, count: x.count), dkRef = [Double](repeating: 0, count: k.count)
            var dbRef = [Double](repeating: 0, count: f)
            for (row, rowTaps) in taps.enumerated() {
                for o in 0..<f {
                    let z = pre[row * f + o]
                    let act = c.activation == .relu ? max(z, 0) : c.activation == .tanh ? Foundation.tanh(z) : z
                    let slope = c.activation == .relu ? (z > 0 ? 1 : 0) : c.activation == .tanh ? 1 - act * act : 1
                    XCTAssertEqual(Double(out.data[row * f + o]), act, accuracy: 1e-5 + 1e-5 * abs(act), "case \(i) out[\(row), \(o)]")
                    let dz = Double(r.data[row * f + o]) * slope
                    dbRef[o] += dz
                    for (t, base) in rowTaps.enumerated() {
                        guard let base else { continue }
                        for ch in 0..<cin {
                            dkRef[(t * cin + ch) * f + o] += Double(x.data[base + ch]) * dz
                            dxRef[base + ch] += Double(k.data[(t * cin + ch) * f + o]) * dz
                        }
                    }
                }
            }
            for (name, got, want) in [("dx", grads[0], dxRef), ("dkernel", grads[1], dkRef), ("dbias", grads[2], dbRef)] {
                XCTAssertEqual(got.count, want.count, "case \(i) \(name)")
                for j in 0..<min(got.count, want.count) {
                    XCTAssertEqual(Double(got.data[j]), want[j], accuracy: 1e-3 + 1e-4 * abs(want[j]), "case \(i) \(name)[\(j)]")
                }
            }
        }
    }

    /// The two sample parts run concurrently by default and one after the other on a worker
    /// thread (one core): the same tiles and sums, so the same bits.
    func testOneCoreAndTwoCoresGiveTheSameBits() throws {
        let c = cases[0]
        let two = try run(c, 0), one = try Parallel.asWorker { try run(c, 0) }
        XCTAssertEqual(two.out.data.withCount(two.out.count), one.out.data.withCount(one.out.count), "forward")
        for (a, b) in zip(two.grads, one.grads) { XCTAssertEqual(a.data.withCount(a.count), b.data.withCount(b.count)) }
    }
}

private extension UnsafeMutablePointer where Pointee == Float {
    /// The `count` floats from here, as bit patterns (so that equal means bit-identical).
    func withCount(_ count: Int) -> [UInt32] { (0..<count).map { self[$0].bitPattern } }
}
