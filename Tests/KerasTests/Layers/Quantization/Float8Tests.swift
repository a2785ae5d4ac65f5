import XCTest
@testable import Keras

/// Keras's float8 training mode (`quantize("float8")`): the float8 rounding against ml_dtypes,
/// the fake-quantized forward, the delayed-scaling updates of the scales and amax histories
/// (assigned by the optimizer as Keras's `overwrite_with_gradient`), and the gradients by finite
/// differences (the Python tests check whole fits, configs and files against real Keras).
final class Float8Tests: XCTestCase {
    /// `ml_dtypes.float8_e4m3fn` / `float8_e5m2` codes 0 ... 255 as float32 bit patterns
    /// (`np.arange(256, dtype=np.uint8).view(dtype).astype(np.float32).view(np.uint32)`).
    static let e4m3fnTable: [UInt32] = [
        0x00000000, 0x3B000000, 0x3B800000, 0x3BC00000, 0x3C000000, 0x3C200000, 0x3C400000, 0x3C600000,
        0x3C800000, 0x3C900000, 0x3CA00000, 0x3CB00000, 0x3CC00000, 0x3CD00000, 0x3CE00000, 0x3CF00000,
        0x3D000000, 0x3D100000, 0x3D200000, 0x3D300000, 0x3D400000, 0x3D500000, 0x3D600000, 0x3D700000,
        0x3D800000, 0x3D900000, 0x3DA00000, 0x3DB00000, 0x3DC00000, 0x3DD00000, 0x3DE00000, 0x3DF00000,
        0x3E000000, 0x3E100000, 0x3E200000, 0x3E300000, 0x3E400000, 0x3E500000, 0x3E600000, 0x3E700000,
        0x3E800000, 0x3E900000, 0x3EA00000, 0x3EB00000, 0x3EC00000, 0x3ED00000, 0x3EE00000, 0x3EF00000,
        0x3F000000, 0x3F100000, 0x3F200000, 0x3F300000, 0x3F400000, 0x3F500000, 0x3F600000, 0x3F700000,
        0x3F800000, 0x3F900000, 0x3FA00000, 0x3FB00000, 0x3FC00000, 0x3FD00000, 0x3FE00000, 0x3FF00000,
        0x40000000, 0x40100000, 0x40200000, 0x40300000, 0x40400000, 0x40500000, 0x40600000, 0x40700000,
        0x40800000, 0x40900000, 0x40A00000, 0x40B00000, 0x40C00000, 0x40D00000, 0x40E00000, 0x40F00000,
        0x41000000, 0x41100000, 0x41200000, 0x41300000, 0x41400000, 0x41500000, 0x41600000, 0x41700000,
        0x41800000, 0x41900000, 0x41A00000, 0x41B00000, 0x41C00000, 0x41D00000, 0x41E00000, 0x41F00000,
        0x42000000, 0x42100000, 0x42200000, 0x42300000, 0x42400000, 0x42500000, 0x42600000, 0x42700000,
        0x42800000, 0x42900000, 0x42A00000, 0x42B00000, 0x42C00000, 0x42D00000, 0x42E00000, 0x42F00000,
        0x43000000, 0x43100000, 0x43200000, 0x43300000, 0x43400000, 0x43500000, 0x43600000, 0x43700000,
        0x43800000, 0x43900000, 0x43A00000, 0x43B00000, 0x43C00000, 0x43D00000, 0x43E00000, 0x7FC00000,
        0x80000000, 0xBB000000, 0xBB800000, 0xBBC00000, 0xBC000000, 0xBC200000, 0xBC400000, 0xBC600000,
        0xBC800000, 0xBC900000, 0xBCA00000, 0xBCB00000, 0xBCC00000, 0xBCD00000, 0xBCE00000, 0xBCF00000,
        0xBD000000, 0xBD100000, 0xBD200000, 0xBD300000, 0xBD400000, 0xBD500000, 0xBD600000, 0xBD700000,
        0xBD800000, 0xBD900000, 0xBDA00000, 0xBDB00000, 0xBDC00000, 0xBDD00000, 0xBDE00000, 0xBDF00000,
        0xBE000000, 0xBE100000, 0xBE200000, 0xBE300000, 0xBE400000, 0xBE500000, 0xBE600000, 0xBE700000,
        0xBE800000, 0xBE900000, 0xBEA00000, 0xBEB00000, 0xBEC00000, 0xBED00000, 0xBEE00000, 0xBEF00000,
        0xBF000000, 0xBF100000, 0xBF200000, 0xBF300000, 0xBF400000, 0xBF500000, 0xBF600000, 0xBF700000,
        0xBF800000, 0xBF900000, 0xBFA00000, 0xBFB00000, 0xBFC00000, 0xBFD00000, 0xBFE00000, 0xBFF00000,
        0xC0000000, 0xC0100000, 0xC0200000, 0xC0300000, 0xC0400000, 0xC0500000, 0xC0600000, 0xC0700000,
        0xC0800000, 0xC0900000, 0xC0A00000, 0xC0B00000, 0xC0C00000, 0xC0D00000, 0xC0E00000, 0xC0F00000,
        0xC1000000, 0xC1100000, 0xC1200000, 0xC1300000, 0xC1400000, 0xC1500000, 0xC1600000, 0xC1700000,
        0xC1800000, 0xC1900000, 0xC1A00000, 0xC1B00000, 0xC1C00000, 0xC1D00000, 0xC1E00000, 0xC1F00000,
        0xC2000000, 0xC2100000, 0xC2200000, 0xC2300000, 0xC2400000, 0xC2500000, 0xC2600000, 0xC2700000,
        0xC2800000, 0xC2900000, 0xC2A00000, 0xC2B00000, 0xC2C00000, 0xC2D00000, 0xC2E00000, 0xC2F00000,
        0xC3000000, 0xC3100000, 0xC3200000, 0xC3300000, 0xC3400000, 0xC3500000, 0xC3600000, 0xC3700000,
        0xC3800000, 0xC3900000, 0xC3A00000, 0xC3B00000, 0xC3C00000, 0xC3D00000, 0xC3E00000, 0xFFC00000
]
    static let e5m2Table: [UInt32] = [
        0x00000000, 0x37800000, 0x38000000, 0x38400000, 0x38800000, 0x38A00000, 0x38C00000, 0x38E00000,
        0x39000000, 0x39200000, 0x39400000, 0x39600000, 0x39800000, 0x39A00000, 0x39C00000, 0x39E00000,
        0x3A000000, 0x3A200000, 0x3A400000, 0x3A600000, 0x3A800000, 0x3AA00000, 0x3AC00000, 0x3AE00000,
        0x3B000000, 0x3B200000, 0x3B400000, 0x3B600000, 0x3B800000, 0x3BA00000, 0x3BC00000, 0x3BE00000,
        0x3C000000, 0x3C200000, 0x3C400000, 0x3C600000, 0x3C800000, 0x3CA00000, 0x3CC00000, 0x3CE00000,
        0x3D000000, 0x3D200000, 0x3D400000, 0x3D600000, 0x3D800000, 0x3DA00000, 0x3DC00000, 0x3DE00000,
        0x3E000000, 0x3E200000, 0x3E400000, 0x3E600000, 0x3E800000, 0x3EA00000, 0x3EC00000, 0x3EE00000,
        0x3F000000, 0x3F200000, 0x3F400000, 0x3F600000, 0x3F800000, 0x3FA00000, 0x3FC00000, 0x3FE00000,
        0x40000000, 0x40200000, 0x40400000, 0x40600000, 0x40800000, 0x40A00000, 0x40C00000, 0x40E00000,
        0x41000000, 0x41200000, 0x41400000, 0x41600000, 0x41800000, 0x41A00000, 0x41C00000, 0x41E00000,
        0x42000000, 0x42200000, 0x42400000, 0x42600000, 0x42800000, 0x42A00000, 0x42C00000, 0x42E00000,
        0x43000000, 0x43200000, 0x43400000, 0x43600000, 0x43800000, 0x43A00000, 0x43C00000, 0x43E00000,
        0x44000000, 0x44200000, 0x44400000, 0x44600000, 0x44800000, 0x44A00000, 0x44C00000, 0x44E00000,
        0x45000000, 0x45200000, 0x45400000, 0x45600000, 0x45800000, 0x45A00000, 0x45C00000, 0x45E00000,
        0x46000000, 0x46200000, 0x46400000, 0x46600000, 0x46800000, 0x46A00000, 0x46C00000, 0x46E00000,
        0x47000000, 0x47200000, 0x47400000, 0x47600000, 0x7F800000, 0x7FC00000, 0x7FC00000, 0x7FC00000,
        0x80000000, 0xB7800000, 0xB8000000, 0xB8400000, 0xB8800000, 0xB8A00000, 0xB8C00000, 0xB8E00000,
        0xB9000000, 0xB9200000, 0xB9400000, 0xB9600000, 0xB9800000, 0xB9A00000, 0xB9C00000, 0xB9E00000,
        0xBA000000, 0xBA200000, 0xBA400000, 0xBA600000, 0xBA800000, 0xBAA00000, 0xBAC00000, 0xBAE00000,
        0xBB000000, 0xBB200000, 0xBB400000, 0xBB600000, 0xBB800000, 0xBBA00000, 0xBBC00000, 0xBBE00000,
        0xBC000000, 0xBC200000, 0xBC400000, 0xBC600000, 0xBC800000, 0xBCA00000, 0xBCC00000, 0xBCE00000,
        0xBD000000, 0xBD200000, 0xBD400000, 0xBD600000, 0xBD800000, 0xBDA00000, 0xBDC00000, 0xBDE00000,
        0xBE000000, 0xBE200000, 0xBE400000, 0xBE600000, 0xBE800000, 0xBEA00000, 0xBEC00000, 0xBEE00000,
        0xBF000000, 0xBF200000, 0xBF400000, 0xBF600000, 0xBF800000, 0xBFA00000, 0xBFC00000, 0xBFE00000,
        0xC0000000, 0xC0200000, 0xC0400000, 0xC0600000, 0xC0800000, 0xC0A00000, 0xC0C00000, 0xC0E00000,
        0xC1000000, 0xC1200000, 0xC1400000, 0xC1600000, 0xC1800000, 0xC1A00000, 0xC1C00000, 0xC1E00000,
        0xC2000000, 0xC2200000, 0xC2400000, 0xC2600000, 0xC2800000, 0xC2A00000, 0xC2C00000, 0xC2E00000,
        0xC3000000, 0xC3200000, 0xC3400000, 0xC3600000, 0xC3800000, 0xC3A00000, 0xC3C00000, 0xC3E00000,
        0xC4000000, 0xC4200000, 0xC4400000, 0xC4600000, 0xC4800000, 0xC4A00000, 0xC4C00000, 0xC4E00000,
        0xC5000000, 0xC5200000, 0xC5400000, 0xC5600000, 0xC5800000, 0xC5A00000, 0xC5C00000, 0xC5E00000,
        0xC6000000, 0xC6200000, 0xC6400000, 0xC6600000, 0xC6800000, 0xC6A00000, 0xC6C00000, 0xC6E00000,
        0xC7000000, 0xC7200000, 0xC7400000, 0xC7600000, 0xFF800000, 0xFFC00000, 0xFFC00000, 0xFFC00000
]

    func testRoundingMatchesMLDtypesOnEveryCodeAndEveryTie() {
        for (format, table) in [(Float8Format.e4m3fn, Self.e4m3fnTable), (.e5m2, Self.e5m2Table)] {
            XCTAssertEqual(table.count, 256)
            var finite: [(Float, UInt8)] = []
            for code in 0..<256 {
                let expected = Float(bitPattern: table[code])
                let got = format.decode(UInt8(code))
                if expected.isNaN { XCTAssertTrue(got.isNaN, "\(format) code \(code)"); continue }
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(format) code \(code)")
                XCTAssertEqual(format.round(expected).bitPattern, expected.bitPattern, "\(format) value \(expected)")
                if expected.isFinite {
                    XCTAssertEqual(format.encode(expected), UInt8(code), "\(format) value \(expected)")
                    if expected >= 0 && code < 128 { finite.append((expected, UInt8(code))) }
                }
            }
            finite.sort { $0.0 < $1.0 }
            XCTAssertEqual(finite.last?.0, format.max)
            // Halfway between neighbours: to the even code; a hair either side: to the nearer one.
            for i in 0..<(finite.count - 1) {
                let (lo, loCode) = finite[i], (hi, _) = finite[i + 1]
                let mid = (lo + hi) / 2
                XCTAssertEqual(Double(mid), (Double(lo) + Double(hi)) / 2, "the midpoint is exact in float32")
                let even = loCode & 1 == 0 ? lo : hi
                XCTAssertEqual(format.round(mid), even, "\(format) tie \(mid)")
                XCTAssertEqual(format.round(-mid), -even, "\(format) tie \(-mid)")
                XCTAssertEqual(format.round(mid.nextUp), hi, "\(format) above \(mid)")
                XCTAssertEqual(format.round(mid.nextDown), lo, "\(format) below \(mid)")
            }
        }
        // Past the largest value (ml_dtypes: e4m3fn to NaN, e5m2 to infinity); NaN stays; the
        // sign of a zero stays; float32 subnormals round to zero.
        XCTAssertEqual(Float8Format.e4m3fn.round(464), 448)
        XCTAssertTrue(Float8Format.e4m3fn.round(465).isNaN)
        XCTAssertTrue(Float8Format.e4m3fn.round(.infinity).isNaN)
        XCTAssertEqual(Float8Format.e5m2.round(61439), 57344)
        XCTAssertEqual(Float8Format.e5m2.round(61440), .infinity)
        XCTAssertEqual(Float8Format.e5m2.round(-.infinity), -.infinity)
        XCTAssertTrue(Float8Format.e5m2.round(.nan).isNaN)
        XCTAssertEqual(Float8Format.e4m3fn.round(-1e-30).sign, .minus)
        XCTAssertEqual(Float8Format.e4m3fn.round(.leastNonzeroMagnitude), 0)
    }

    func testBFloat16RoundTripIsNearestEven() {
        XCTAssertEqual(Kernels.bfloat16RoundTrip(1 + 0x1p-8), 1)              // a tie, to even
        XCTAssertEqual(Kernels.bfloat16RoundTrip(1 + 3 * 0x1p-8), 1 + 0x1p-6) // a tie, to even
        XCTAssertEqual(Kernels.bfloat16RoundTrip(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7)
        XCTAssertEqual(Kernels.bfloat16RoundTrip(-0.1), Float(bitPattern: 0xBDCD_0000))
        XCTAssertTrue(Kernels.bfloat16RoundTrip(.nan).isNaN)
    }

    /// Keras's `quantize_and_dequantize` of one value, plainly.
    private func qdq(_ x: Float, _ scale: Float, _ format: Float8Format) -> Float {
        format.round(Swift.min(Swift.max(x / scale, -format.max), format.max)) * scale
    }

    /// A float8 Dense: its variables as Keras's `_float8_build` makes them, its forward as
    /// `_float8_call`'s, and two SGD steps: the kernel and bias moved by the fake-quantized
    /// gradients, the scales and histories overwritten by Keras's delayed-scaling rule.
    func testDenseFloat8VariablesForwardAndTwoSteps() throws {
        let layer = Dense(3, activation: .linear)
        let x = GradientCheck.random([4, 5], seed: 11)
        _ = try layer(x)
        try layer.quantize(.float8(amaxHistoryLength: 4))
        XCTAssertEqual(layer.quantizationMode, .float8(amaxHistoryLength: 4))
        XCTAssertEqual(layer.variablesInSaveOrder.map(\.name), ["kernel", "bias"] + Float8Variables.names)
        for v in layer.variablesInSaveOrder.dropFirst(2) {
            XCTAssertTrue(v.trainable && v.overwriteWithGradient, v.name)
            XCTAssertEqual(v.shape, v.name.hasSuffix("history") ? [4] : [])
            XCTAssertEqual(v.storedValue.scalars, Array(repeating: v.name.hasSuffix("history") ? 0 : 1, count: v.storedValue.count))
        }
        XCTAssertEqual(layer.getConfig()["dtype"]?["class_name"]?.stringValue, "QuantizedFloat8DTypePolicy")
        guard let kernel = layer.kernel, let bias = layer.bias else { return XCTFail("no kernel") }
        try bias.assign(Tensor([0.1, -0.2, 0.3]))
        let vars = Dictionary(uniqueKeysWithValues: layer.variablesInSaveOrder.map { ($0.name, $0) })

        // Forward: qdq(x) · qdq(kernel) + bf16(bias), scales 1.
        func reference(_ x: Tensor, _ sx: Float, _ sk: Float) -> [Float] {
            var out: [Float] = []
            for r in 0..<4 {
                for j in 0..<3 {
                    var acc: Float = 0
                    for i in 0..<5 {
                        acc += qdq(x.data[r * 5 + i], sx, .e4m3fn) * qdq(kernel.storedValue.data[i * 3 + j], sk, .e4m3fn)
                    }
                    out.append(acc + Kernels.bfloat16RoundTrip(bias.storedValue.data[j]))
                }
            }
            return out
        }
        let y = try layer(x)
        for (a, b) in zip(y.scalars, reference(x, 1, 1)) { XCTAssertEqual(a, b, accuracy: 1e-5) }

        // Two steps of SGD(0.1) on sum(y · c), c exactly representable in e5m2 at scale 1.
        let c = try Tensor(shape: [4, 3], scalars: (0..<12).map { Float($0 % 5) * 0.25 - 0.5 })
        let optimizer = try SGD(learningRate: 0.1)
        var amaxX: [Float] = [], amaxK: [Float] = []
        for step in 0..<2 {
            let k0 = kernel.storedValue.copy(), b0 = bias.storedValue.copy()
            let sx = vars["inputs_scale"]?.storedValue.data[0] ?? 0, sk = vars["kernel_scale"]?.storedValue.data[0] ?? 0
            let tape = GradientTape()
            let loss = try tape.record { try Ops.sum(Ops.multiply(layer.call(x, training: true), c)) }
            let grads = try tape.gradient(of: loss, with: layer.trainableWeights)
            try optimizer.apply(grads, to: layer.trainableWeights)
            amaxX.append(x.scalars.map(abs).max() ?? 0)
            amaxK.append(k0.scalars.map(abs).max() ?? 0)
            // The kernel: qdq(x)ᵀ · qdq_e5m2(c), at the output gradient's scale of the step (1:
            // the history before each of the two steps has no amax above zero... then c's).
            let sg: Float = 1
            for i in 0..<5 {
                for j in 0..<3 {
                    var g: Float = 0
                    for r in 0..<4 { g += qdq(x.data[r * 5 + i], sx, .e4m3fn) * qdq(c.data[r * 3 + j], sg, .e5m2) }
                    XCTAssertEqual(kernel.storedValue.data[i * 3 + j], k0.data[i * 3 + j] - 0.1 * g, accuracy: 1e-5)
                }
            }
            for j in 0..<3 {
                let g = (0..<4).reduce(Float(0)) { $0 + c.data[$1 * 3 + j] }
                XCTAssertEqual(bias.storedValue.data[j], b0.data[j] - 0.1 * g, accuracy: 1e-6)
            }
            // Delayed scaling: the new scale from the history before this step, the history
            // rolled left with this step's amax first.
            let expectedScale: (Float, Float) -> Float = { amax, old in amax > 0 ? 1 / (448 / amax) : old }
            XCTAssertEqual(vars["inputs_scale"]?.storedValue.data[0], expectedScale(step == 0 ? 0 : amaxX[0], sx))
            XCTAssertEqual(vars["kernel_scale"]?.storedValue.data[0], expectedScale(step == 0 ? 0 : amaxK[0], sk))
            XCTAssertEqual(vars["inputs_amax_history"]?.storedValue.scalars, step == 0 ? [amaxX[0], 0, 0, 0] : [amaxX[1], 0, 0, amaxX[0]])
            XCTAssertEqual(vars["outputs_grad_amax_history"]?.storedValue.data[0], c.scalars.map(abs).max())
            XCTAssertEqual(vars["outputs_grad_scale"]?.storedValue.data[0], step == 0 ? 1 : 1 / (57344 / 0.5))
        }
        // Adam keeps no slots for the overwritten variables: iteration, learning rate, and two
        // slots of the kernel (5 × 3) and the bias (3).
        let adam = try Adam()
        try adam.apply(layer.trainableWeights.map { Tensor(shape: $0.shape) }, to: layer.trainableWeights)
        XCTAssertEqual(adam.variableScalarCount, 2 + 2 * (15 + 3))
    }

    /// The gradients of the float8 Dense's composition by finite differences: with the loss
    /// weights exact in e5m2 (so the output gradient's qdq keeps them), the tape's gradients of
    /// the input, kernel and bias are those of the straight-through function
    /// `x · qdq(kernel) + bias` (input), `qdq(x) · kernel + bias` (kernel) at the same point.
    func testFloat8DenseGradientsByFiniteDifferences() throws {
        let layer = try EinsumDense("ab,bc->ac", outputShape: [3], biasAxes: "c")
        let x = GradientCheck.random([2, 4], seed: 5)
        _ = try layer(x)
        try layer.quantize(.float8)
        guard let kernel = layer.kernel, let bias = layer.bias else { return XCTFail("no kernel") }
        let c = try Tensor(shape: [2, 3], scalars: [0.5, -1, 0.25, 1.5, -0.75, 2])
        let tape = GradientTape()
        let (xw, loss) = try tape.record { () throws -> (Tensor, Tensor) in
            let xw = tape.watch(x)
            return (xw, try Ops.sum(Ops.multiply(layer.call(xw, training: true), c)))
        }
        let gx = try tape.gradient(of: loss, with: [xw])[0]
        let gv = try tape.gradient(of: loss, with: [kernel, bias])
        let qk = kernel.storedValue.copy(), qx = x.copy()
        for i in 0..<qk.count { qk.data[i] = qdq(qk.data[i], 1, .e4m3fn) }
        for i in 0..<qx.count { qx.data[i] = qdq(qx.data[i], 1, .e4m3fn) }
        func f(_ a: Tensor, _ w: Tensor, _ b: Tensor) throws -> Double {
            let y = try Ops.add(Ops.matmul(a, w), b)
            return (0..<y.count).reduce(0.0) { $0 + Double(y.data[$1]) * Double(c.data[$1]) }
        }
        let h: Float = 1e-2
        func numeric(_ t: Tensor, _ j: Int, _ eval: () throws -> Double) rethrows -> Double {
            let v = t.data[j]
            t.data[j] = v + h; let plus = try eval()
            t.data[j] = v - h; let minus = try eval()
            t.data[j] = v
            return (plus - minus) / Double(2 * h)
        }
        let b = bias.storedValue.copy(), xs = x.copy(), w = kernel.storedValue.copy()
        for j in 0..<xs.count { XCTAssertEqual(Double(gx.data[j]), try numeric(xs, j) { try f(xs, qk, b) }, accuracy: 1e-3) }
        for j in 0..<w.count { XCTAssertEqual(Double(gv[0].data[j]), try numeric(w, j) { try f(qx, w, b) }, accuracy: 1e-3) }
        for j in 0..<b.count { XCTAssertEqual(Double(gv[1].data[j]), try numeric(b, j) { try f(qx, qk, b) }, accuracy: 1e-3) }
    }

    /// Keras's `overwrite_with_gradient`: the variable takes its gradient as it is, also under a
    /// LossScaleOptimizer (not divided by the loss scale), and the others step.
    func testOverwrittenVariablesTakeTheirGradients() throws {
        let overwritten = Variable(Tensor([1, 2, 3, 4]), name: "kernel_amax_history")
        overwritten.overwriteWithGradient = true
        let stepped = Variable(Tensor([1, 2]), name: "kernel")
        let grads = [Tensor([1, 6, 7, 2]), Tensor([0.5, -1])]
        let sgd = try SGD(learningRate: 0.5)
        try sgd.apply(grads, to: [overwritten, stepped])
        XCTAssertEqual(overwritten.storedValue.scalars, [1, 6, 7, 2])
        XCTAssertEqual(stepped.storedValue.scalars, [0.75, 2.5])
        XCTAssertEqual(sgd.iterations, 1)
        let lso = try LossScaleOptimizer(try SGD(learningRate: 0.5), initialScale: 4)
        try lso.apply([Tensor([3, 1, 4, 1]), Tensor([2, -4])], to: [overwritten, stepped])
        XCTAssertEqual(overwritten.storedValue.scalars, [3, 1, 4, 1])
        XCTAssertEqual(stepped.storedValue.scalars, [0.5, 3])
    }

    /// Keras's `overwrite_with_gradient` under `gradient_accumulation_steps`: between updates the
    /// variable keeps its value and its accumulator takes the running maximum of the gradients;
    /// on the k-th step the variable takes that maximum and the accumulator restarts at zeros,
    /// while the others step with the mean gradient.
    func testOverwrittenVariablesUnderGradientAccumulation() throws {
        let overwritten = Variable(Tensor([3, 1, 4, 1]), name: "kernel_amax_history")
        overwritten.overwriteWithGradient = true
        let stepped = Variable(Tensor([0.5, 3]), name: "kernel")
        let sgd = try SGD(learningRate: 0.5, options: OptimizerArguments(gradientAccumulationSteps: 2))
        try sgd.apply([Tensor([1, 6, 7, 2]), Tensor([0.5, -1])], to: [overwritten, stepped])
        XCTAssertEqual(overwritten.storedValue.scalars, [3, 1, 4, 1])
        XCTAssertEqual(stepped.storedValue.scalars, [0.5, 3])
        try sgd.apply([Tensor([2, 5, 9, 0]), Tensor([1.5, 1])], to: [overwritten, stepped])
        XCTAssertEqual(overwritten.storedValue.scalars, [2, 6, 9, 2])
        XCTAssertEqual(stepped.storedValue.scalars, [0, 3])
        // The accumulator restarted: the next maximum forgets the 6, 9 above.
        try sgd.apply([Tensor([1, 1, 1, 1]), Tensor([0, 0])], to: [overwritten, stepped])
        XCTAssertEqual(overwritten.storedValue.scalars, [2, 6, 9, 2])
        try sgd.apply([Tensor([0, 0, 0, 0.5]), Tensor([0, 0])], to: [overwritten, stepped])
        XCTAssertEqual(overwritten.storedValue.scalars, [1, 1, 1, 1])
        XCTAssertEqual(sgd.iterations, 4)
    }

    func testModesPoliciesAndRefusals() throws {
        XCTAssertEqual(try QuantizationMode(named: "float8"), .float8(amaxHistoryLength: 1024))
        let policy: JSON = ["class_name": "QuantizedFloat8DTypePolicy",
                            "config": ["mode": "float8", "source_name": "float32", "amax_history_length": 16]]
        XCTAssertEqual(try QuantizationMode.of(dtypePolicy: policy), .float8(amaxHistoryLength: 16))
        XCTAssertEqual(try QuantizationMode.of(dtypePolicy: "float8_from_float32"), .float8)
        let embedding = try Embedding(5, 2)
        _ = try embedding(Tensor([[1, 2]]))
        XCTAssertThrowsError(try embedding.quantize(.float8)) {
            XCTAssertTrue("\($0)".contains("Expected one of ('int8', 'int4')"), "\($0)")
        }
        let dense = Dense(2)
        _ = try dense(Tensor([[1, 2]]))
        try dense.quantize(.float8)
        XCTAssertThrowsError(try dense.quantize(.int8)) {
            XCTAssertTrue("\($0)".contains("already quantized with dtype_policy='float8_from_float32'"), "\($0)")
        }
    }
}
