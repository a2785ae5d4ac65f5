import Foundation
import XCTest
@testable import Keras

/// ``Ops/conv(_:kernel:bias:strides:padding:dilation:groups:activation:)`` on both of its paths
/// (the direct kernel for a reduction of at most ``Kernels/directConvLimit``, im2col + GEMM
/// above) against a plain 2-D convolution in Double: output, kernel and bias gradients.
final class DirectConvTests: XCTestCase {
    struct Case {
        var x: [Int]          // (n, h, w, c)
        var kernel: [Int]     // (kh, kw, c, f)
        var strides = [1, 1]
        var dilation = [1, 1]
        var padding = ConvPadding.valid
        var activation = ElementwiseActivation.linear
    }

    private let cases: [Case] = [
        Case(x: [3, 9, 8, 1], kernel: [3, 3, 1, 32], activation: .relu),                         // the first layer of conv_epoch
        Case(x: [2, 7, 6, 3], kernel: [3, 3, 3, 5], strides: [2, 1], padding: .same),            // RGB, a filter tail
        Case(x: [2, 9, 9, 2], kernel: [2, 3, 2, 11], dilation: [2, 1], padding: .same, activation: .tanh),
        Case(x: [1, 5, 5, 4], kernel: [3, 3, 4, 9], padding: .same, activation: .relu),          // k = 36: GEMM
        Case(x: [600, 6, 6, 1], kernel: [3, 3, 1, 16], activation: .relu),                       // split across cores
    ]

    /// The pre-activation output in Double of a (h, w) convolution, and the input offset of each tap.
    static func reference(_ x: Tensor, _ k: Tensor, _ bias: Tensor, _ c: Case) -> (out: [Double], shape: [Int], taps: [[Int?]]) {
        let (n, h, w, cin) = (c.x[0], c.x[1], c.x[2], c.x[3]), (kh, kw, f) = (c.kernel[0], c.kernel[1], c.kernel[3])
        func axis(_ len: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
            let span = (k - 1) * d + 1
            if c.padding == .valid { return ((len - span) / s + 1, 0) }
            let out = (len + s - 1) / s
            return (out, max((out - 1) * s + span - len, 0) / 2)
        }
        let (oh, padH) = axis(h, kh, c.strides[0], c.dilation[0]), (ow, padW) = axis(w, kw, c.strides[1], c.dilation[1])
        var out = [Double](repeating: 0, count: n * oh * ow * f), taps: [[Int?]] = []
        for b in 0..<n {
            for i in 0..<oh {
                for j in 0..<ow {
                    var rowTaps: [Int?] = []
                    for a in 0..<kh {
                        for e in 0..<kw {
                            let y = i * c.strides[0] - padH + a * c.dilation[0], z = j * c.strides[1] - padW + e * c.dilation[1]
                            rowTaps.append(y >= 0 && y < h && z >= 0 && z < w ? ((b * h + y) * w + z) * cin : nil)
                        }
                    }
                    let row = taps.count
                    for o in 0..<f {
                        var s = Double(bias.data[o])
                        for (t, base) in rowTaps.enumerated() {
                            guard let base else { continue }
                            for ch in 0..<cin { s += Double(x.data[base + ch]) * Double(k.data[(t * cin + ch) * f + o]) }
                        }
                        out[row * f + o] = s
                    }
                    taps.append(rowTaps)
                }
            }
        }
        return (out, [n, oh, ow, f], taps)
    }

    func testBothPathsMatchAPlainConvolutionAndItsGradients() throws {
        for (i, c) in cases.enumerated() {
            let cin = c.x[3], f = c.kernel[3]
            let x = GradientCheck.random(c.x, seed: UInt64(100 + i)), k = GradientCheck.random(c.kernel, in: -0.5...0.5, seed: UInt64(200 + i))
            let bias = GradientCheck.random([f], seed: UInt64(300 + i))
            let (pre, shape, taps) = Self.reference(x, k, bias, c)
            let r = GradientCheck.random(shape, seed: UInt64(400 + i))
            let tape = GradientTape()
            let (wk, wb, out, loss) = try tape.record { () throws -> (Tensor, Tensor, Tensor, Tensor) in
                let wk = tape.watch(k), wb = tape.watch(bias)
                let out = try Ops.conv(x, kernel: wk, bias: wb, strides: c.strides, padding: c.padding, dilation: c.dilation,
                                       activation: c.activation)
                return (wk, wb, out, try Ops.sum(Ops.multiply(out, r)))
            }
            XCTAssertEqual(out.shape, shape, "case \(i)")
            let grads = try tape.gradient(of: loss, with: [wk, wb]), dk = grads[0], db = grads[1]
            var dkRef = [Double](repeating: 0, count: k.count), dbRef = [Double](repeating: 0, count: f)
            for (row, rowTaps) in taps.enumerated() {
                for o in 0..<f {
                    let z = pre[row * f + o], y = Double(out.data[row * f + o])
                    var act = z, slope = 1.0
                    if c.activation == .relu {
                        act = max(z, 0)
                        slope = z > 0 ? 1 : 0
                    } else if c.activation == .tanh {
                        act = Foundation.tanh(z)
                        slope = 1 - y * y
                    }
                    XCTAssertEqual(y, act, accuracy: 1e-5 + 1e-5 * abs(act), "case \(i) out[\(row), \(o)]")
                    let dz = Double(r.data[row * f + o]) * slope
                    dbRef[o] += dz
                    for (t, base) in rowTaps.enumerated() {
                        guard let base else { continue }
                        for ch in 0..<cin { dkRef[(t * cin + ch) * f + o] += Double(x.data[base + ch]) * dz }
                    }
                }
            }
            for j in 0..<k.count { XCTAssertEqual(Double(dk.data[j]), dkRef[j], accuracy: 1e-3 + 1e-4 * abs(dkRef[j]), "case \(i) dkernel[\(j)]") }
            for o in 0..<f { XCTAssertEqual(Double(db.data[o]), dbRef[o], accuracy: 1e-3 + 1e-4 * abs(dbRef[o]), "case \(i) dbias[\(o)]") }
        }
    }

    /// The input gradient on the direct path (a layer whose input needs one) by finite differences.
    func testDirectInputGradient() throws {
        let k = GradientCheck.random([3, 2, 2, 3], in: -0.5...0.5, seed: 7)
        try GradientCheck.check([GradientCheck.random([2, 5, 4, 2], seed: 8)], step: 1e-2, "direct conv dx") {
            try Ops.conv($0[0], kernel: k, bias: nil, strides: [1, 2], padding: .same, dilation: [1, 1])
        }
    }
}
