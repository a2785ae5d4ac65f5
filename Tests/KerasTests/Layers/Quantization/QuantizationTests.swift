import XCTest
@testable import Keras

/// Keras's int8 quantization (`quantize("int8")`) of Dense, EinsumDense and Embedding, checked
/// against plain reference loops (the Python tests check the same layers against real Keras).
final class QuantizationTests: XCTestCase {
    /// Keras's abs-max quantization of one line of values, written out plainly.
    private func referenceQuantize(_ values: [Float]) -> (q: [Float], scale: Float) {
        let m = values.map { abs($0) }.max() ?? 0
        let scale = Float(127) / (m + Float(1e-7))
        return (values.map { Swift.min(Swift.max(($0 * scale).rounded(.toNearestOrEven), -127), 127) }, scale)
    }

    private func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let t = GradientCheck.random(shape, seed: seed)
        for i in 0..<t.count { t.data[i] *= scale }
        return t
    }

    func testInt8DenseMatchesAReferenceOfKerasInt8Call() throws {
        let (m, k, n) = (5, 7, 3)
        let x = random([m, k], seed: 1, scale: 3)
        let kernel = try Tensor(shape: [k, n], scalars: (0..<(k * n)).map { Float(($0 * 37) % 255 - 127) })
        let scales = try Tensor(shape: [n], scalars: [0.5, 2, 17])
        let y = try Ops.int8Dense(x, kernel: kernel, kernelScale: scales)
        for r in 0..<m {
            let (q, s) = referenceQuantize(Array(x.scalars[(r * k)..<((r + 1) * k)]))
            for j in 0..<n {
                var acc: Int64 = 0
                for p in 0..<k { acc += Int64(q[p]) * Int64(kernel.data[p * n + j]) }
                XCTAssertEqual(y.data[r * n + j], Float(acc) / (scales.data[j] * s), "row \(r), unit \(j)")
            }
        }
    }

    func testIntegerProductIsExactPastFloat32Integers() throws {
        // 2000 · 127 · 127 > 2^24: float32 GEMM would round the partial sums; Keras's int32
        // accumulation (and this kernel) does not.
        let (m, k, n) = (2, 2000, 3)
        let a = (0..<(m * k)).map { Float(($0 * 91) % 255 - 127) }
        let b = (0..<(k * n)).map { Float(($0 * 53) % 255 - 127) }
        var y = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                y.withUnsafeMutableBufferPointer { py in
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let out = py.baseAddress else { return }
                    Kernels.integerMatmul(a, b, into: out, m: m, n: n, k: k)
                }
            }
        }
        for r in 0..<m {
            for j in 0..<n {
                var acc: Int64 = 0
                for p in 0..<k { acc += Int64(a[r * k + p]) * Int64(b[p * n + j]) }
                XCTAssertEqual(y[r * n + j], Float(acc))
            }
        }
    }

    func testInt8DenseInputGradientGoesThroughTheDequantizedKernel() throws {
        // Keras's custom gradient: upstream · (kernel / kernel_scale)ᵀ; nothing for the kernel.
        let (m, k, n) = (3, 4, 2)
        let x = Variable(random([m, k], seed: 2), name: "x")
        let kernel = try Tensor(shape: [k, n], scalars: [12, -127, 5, 90, -33, 0, 64, 1])
        let scales = try Tensor(shape: [n], scalars: [4, 0.25])
        let seed = random([m, n], seed: 3)
        let tape = GradientTape()
        let loss = try tape.record { try Ops.sum(Ops.multiply(Ops.int8Dense(x.value, kernel: kernel, kernelScale: scales), seed)) }
        let g = try tape.gradient(of: loss, with: [x])[0]
        for r in 0..<m {
            for p in 0..<k {
                var expected: Float = 0
                for j in 0..<n { expected += seed.data[r * n + j] * kernel.data[p * n + j] / scales.data[j] }
                XCTAssertEqual(g.data[r * k + p], expected, accuracy: 1e-5)
            }
        }
    }

    func testDenseQuantizeKeepsInt8KernelAndTrainableBias() throws {
        let layer = Dense(3, activation: .relu)
        _ = try layer(random([2, 4], seed: 4))
        let float = layer.kernel?.storedValue.copy() ?? Tensor(shape: [0])
        try layer.quantize(.int8)
        XCTAssertEqual(layer.weights.map(\.name), ["bias", "kernel", "kernel_scale"])
        XCTAssertEqual(layer.weights.map(\.trainable), [true, false, false])
        XCTAssertEqual(layer.kernel?.dtype, .int8)
        XCTAssertEqual(layer.variablesInSaveOrder.map(\.name), ["kernel", "bias", "kernel_scale"])
        for j in 0..<3 {
            let column = (0..<4).map { float.data[$0 * 3 + j] }
            let (q, s) = referenceQuantize(column)
            XCTAssertEqual((0..<4).map { Float(layer.kernel?.integers[$0 * 3 + j] ?? 999) }, q)
            XCTAssertEqual(layer.kernelScale?.storedValue.data[j], s)
        }
        XCTAssertEqual(layer.getConfig()["dtype"]?["class_name"]?.stringValue, "QuantizedDTypePolicy")
        XCTAssertThrowsError(try layer.quantize(.int8)) { XCTAssertTrue("\($0)".contains("already quantized"), "\($0)") }
        XCTAssertThrowsError(try Dense(2).quantize(.int8)) { XCTAssertTrue("\($0)".contains("isn't yet built"), "\($0)") }
        XCTAssertThrowsError(try QuantizationMode(named: "int4")) { XCTAssertTrue("\($0)".contains("'int8'"), "\($0)") }
    }

    func testEmbeddingQuantizesEachRow() throws {
        let layer = try Embedding(4, 3)
        let ids = try Tensor(shape: [2], scalars: [3, 1])
        _ = try layer(ids)
        let float = layer.embeddings?.storedValue.copy() ?? Tensor(shape: [0])
        try layer.quantize(.int8)
        let out = try layer(ids)
        for (i, row) in [3, 1].enumerated() {
            let (q, s) = referenceQuantize(Array(float.scalars[(row * 3)..<(row * 3 + 3)]))
            XCTAssertEqual(Array(out.scalars[(i * 3)..<(i * 3 + 3)]), q.map { $0 / s })
        }
    }

    func testKernelScaleShapeIsKerasLayout() throws {
        // Shapes real Keras 3.15 gives `kernel_scale` after quantize("int8").
        for (equation, input, output, bias, expected) in [
            ("ab,bc->ac", [nil, 5], [4], "c", [1, 4]),
            ("abc,cd->abd", [nil, 3, 5], [3, 6], "d", [1, 1, 6]),
            ("abc,cde->abde", [nil, 3, 5], [3, 2, 4], "de", [1, 1, 2, 4]),
            ("abc,cd->adb", [nil, 3, 5], [6, 3], "b", [1, 6, 1]),
        ] as [(String, [Int?], [Int?], String, [Int])] {
            let plan = try EinsumPlan(equation, biasAxes: bias, inputShape: input, partialOutput: output, layer: "e")
            XCTAssertEqual(plan.kernelScaleShape, expected, equation)
        }
    }
}
