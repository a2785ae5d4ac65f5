import CHDF5Shim
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

    /// `a` (m×k) times `b` (k×n), int8 values, through the packed int8 product (`sk_i8_gemm`) on
    /// the given path, its rows in two calls split at `split`; the int32 results.
    private func packedProduct(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int, path: Int, split: Int) throws -> [Int32] {
        let packed = try PackedInt8Matrix(Tensor(shape: [k, n], scalars: b.map { Float($0) }))
        let lda = packed.rowBytes
        // The bytes past k are any: the packed kernel's rows there are zero.
        var shifted = [UInt8](repeating: 0xA7, count: Swift.max(1, m * lda))
        for r in 0..<m {
            for p in 0..<k { shifted[r * lda + p] = UInt8(truncatingIfNeeded: Int(a[r * k + p]) + 128) }
        }
        var c = [Int32](repeating: 0x5A5A5A5A, count: Swift.max(1, m * n))
        shifted.withUnsafeBufferPointer { sa in
            c.withUnsafeMutableBufferPointer { sc in
                for rows in [0..<split, split..<m] {
                    sk_i8_gemm(rows.lowerBound, rows.upperBound, n, k, sa.baseAddress, lda, packed.packed, packed.columnSums,
                               sc.baseAddress, nil, nil, nil, nil, 0, Int32(path))
                }
            }
        }
        return Array(c.prefix(m * n))
    }

    /// The int32 product as a plain triple loop, wrapping as an int32 accumulation does.
    private func naiveProduct(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        for r in 0..<m {
            for j in 0..<n {
                var acc: Int32 = 0
                for p in 0..<k { acc &+= Int32(a[r * k + p]) &* Int32(b[p * n + j]) }
                c[r * n + j] = acc
            }
        }
        return c
    }

    private func int8Values(_ count: Int, seed: UInt64) -> [Int8] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int8(truncatingIfNeeded: state >> 56)
        }
    }

    func testInt8ProductMatchesTheTripleLoopOnEveryPath() throws {
        // This CPU's paths, all of them (AVX-512 VNNI, AVX2, portable C where it has both).
        let paths = Array(0...Kernels.int8Path)
        // Shapes off the tiles (4 rows, 64 columns, k in steps of 4), k = 1, and a k whose
        // pair sums would saturate int16 (vpmaddubsw's trap): 255 · 127 · 2 > 32767.
        for (m, n, k) in [(1, 1, 1), (5, 3, 7), (3, 17, 1), (9, 70, 13), (6, 65, 33), (4, 64, 4), (7, 130, 258), (2, 5, 40000)] {
            for seed in [UInt64(1), 2] {
                let a = int8Values(m * k, seed: seed), b = int8Values(k * n, seed: seed + 100)
                let expected = naiveProduct(a, b, m: m, n: n, k: k)
                for path in paths {
                    XCTAssertEqual(try packedProduct(a, b, m: m, n: n, k: k, path: path, split: m / 2), expected,
                                   "m \(m), n \(n), k \(k), seed \(seed), path \(path)")
                }
            }
        }
        // The extremes: -128 · -128 summed past 2^31 wraps as Keras's int32 accumulation does;
        // -128 activations (the +128 shift makes them 0) and 127 ones.
        let (m, n, k) = (3, 18, 140_001)
        let a = (0..<(m * k)).map { i -> Int8 in i / k == 2 ? 127 : -128 }
        let b = (0..<(k * n)).map { i -> Int8 in i % n == 5 ? 127 : -128 }
        let expected = naiveProduct(a, b, m: m, n: n, k: k)
        XCTAssertNotEqual(Int64(expected[0]), Int64(k) * 16384, "the sum must wrap")
        for path in paths {
            XCTAssertEqual(try packedProduct(a, b, m: m, n: n, k: k, path: path, split: 1), expected, "extremes, path \(path)")
        }
    }

    func testInputQuantizerIsTheWeightsQuantizerOnEveryPath() throws {
        // Rows of widths around the 16-lane steps, with NaN (skipped by the max, quantized to 0),
        // ±inf (a scale of 0), ties (scale 1: 0.5 → 0, 1.5 → 2, 2.5 → 2, -2.5 → -2) and zeros.
        for k in [0, 1, 5, 16, 17, 37] {
            let m = 5
            var x = random([m, k], seed: UInt64(20 + k), scale: 3).scalars
            let specials: [(Int, Float)] = [(3, .nan), (k + 1, .infinity), (2 * k, -.infinity), (2 * k + 1, .nan),
                                            (3 * k, 127), (3 * k + 1, 0.5), (3 * k + 2, 1.5), (3 * k + 3, 2.5), (3 * k + 4, -2.5)]
            for (i, v) in specials where i < 4 * k { x[i] = v }
            for i in (4 * k)..<(5 * k) { x[i] = 0 }
            let lda = (k + 3) / 4 * 4
            var expected = [UInt8](repeating: 0, count: m * lda), expectedScales = [Float](repeating: 0, count: m)
            x.withUnsafeBufferPointer { px in
                guard let base = px.baseAddress else { return }
                for r in 0..<m {
                    let s = Kernels.absMaxScale(base + r * k, count: k, stride: 1)
                    expectedScales[r] = s
                    for i in 0..<k { expected[r * lda + i] = UInt8(Int(Kernels.quantizedValue(base[r * k + i], s)) + 128) }
                }
            }
            for path in 0...Kernels.int8Path {
                var a = [UInt8](repeating: 0, count: Swift.max(1, m * lda)), scales = [Float](repeating: -1, count: m)
                x.withUnsafeBufferPointer { px in
                    sk_i8_quantize_rows(0, m, k, px.baseAddress, &a, lda, &scales, Int32(path))
                }
                XCTAssertEqual(scales.map(\.bitPattern), expectedScales.map(\.bitPattern), "k \(k), path \(path)")
                XCTAssertEqual(Array(a.prefix(m * lda)), expected, "k \(k), path \(path)")
            }
        }
    }

    func testInt8DenseIsTheSameOnBothPathsAndRefusesNonInt8Kernels() throws {
        let (m, k, n) = (11, 37, 21)
        let x = random([m, k], seed: 5, scale: 2)
        let kernel = try Tensor(shape: [k, n], scalars: int8Values(k * n, seed: 9).map { Float($0) })
        let scales = random([n], seed: 6)
        let packed = try PackedInt8Matrix(kernel)
        var results: [[Float]] = []
        for path in 0...Kernels.int8Path {
            let y = [Float](unsafeUninitializedCapacity: m * n) { out, count in
                let s = UnsafeMutablePointer<Float>.allocate(capacity: m)
                let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: m * packed.rowBytes)
                if let base = out.baseAddress {
                    Kernels.int8DenseRows(x.data, rows: 0..<m, kernel: packed, kernelScale: scales.data, inputScales: s,
                                          scratch: scratch, into: base, path: path)
                }
                s.deallocate()
                scratch.deallocate()
                count = m * n
            }
            results.append(y)
        }
        XCTAssertEqual(Set(results.map { $0.map(\.bitPattern) }).count, 1)
        XCTAssertEqual(results[0], try Ops.int8Dense(x, kernel: kernel, kernelScale: scales).scalars)
        let half = try Tensor(shape: [k, n], scalars: (0..<(k * n)).map { $0 == 7 ? 0.5 : 1 })
        XCTAssertThrowsError(try Ops.int8Dense(x, kernel: half, kernelScale: scales)) {
            XCTAssertTrue("\($0)".contains("value 0.5 at index 7 is not an int8"), "\($0)")
        }
    }

    /// The bias and relu of a quantized Dense in the dequantizing pass (`sk_i8_gemm`'s epilogue)
    /// equal, on every path, the triple loop's product de-scaled, plus the bias, then Swift's
    /// `max(_, 0)` (a NaN bias element stays NaN); the layer's inference call equals the
    /// separate ops (`int8Dense`, `add`, the activation) bit for bit.
    func testInt8BiasAndReluJoinTheDequantizingPassOnEveryPath() throws {
        let (m, k, n) = (9, 37, 70)
        let x = random([m, k], seed: 31, scale: 2)
        let kernel = try Tensor(shape: [k, n], scalars: int8Values(k * n, seed: 32).map { Float($0) })
        let scales = random([n], seed: 33)
        for i in 0..<n { scales.data[i] = abs(scales.data[i]) + 0.01 }
        var biasValues = random([n], seed: 34, scale: 40).scalars
        biasValues[5] = .nan
        let bias = try Tensor(shape: [n], scalars: biasValues)
        let packed = try PackedInt8Matrix(kernel)
        for relu in [false, true] {
            var expected = [Float](repeating: 0, count: m * n)
            for r in 0..<m {
                let (q, s) = referenceQuantize(Array(x.scalars[(r * k)..<((r + 1) * k)]))
                for j in 0..<n {
                    var acc: Int64 = 0
                    for p in 0..<k { acc += Int64(q[p]) * Int64(kernel.data[p * n + j]) }
                    let v = Float(acc) / (scales.data[j] * s) + biasValues[j]
                    expected[r * n + j] = relu ? Swift.max(v, 0) : v
                }
            }
            XCTAssertTrue(expected.contains { $0 == 0 } || !relu, "the relu must clip some values")
            for path in 0...Kernels.int8Path {
                var y = [Float](repeating: -7, count: m * n)
                let s = UnsafeMutablePointer<Float>.allocate(capacity: m)
                let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: m * packed.rowBytes)
                y.withUnsafeMutableBufferPointer { out in
                    Kernels.int8DenseRows(x.data, rows: 0..<m, kernel: packed, kernelScale: scales.data, inputScales: s,
                                          scratch: scratch, into: out.baseAddress!, bias: bias.data, relu: relu, path: path)
                }
                s.deallocate()
                scratch.deallocate()
                XCTAssertEqual(y.map(\.bitPattern), expected.map(\.bitPattern), "relu \(relu), path \(path)")
            }
        }
        for activation in [ActivationFunction.relu, .sigmoid, .softmax] {
            let layer = Dense(n, activation: activation)
            _ = try layer(x)
            try layer.quantize(.int8)
            guard let kq = layer.kernel, let sq = layer.kernelScale, let bq = layer.bias else { return XCTFail("not quantized") }
            try bq.assign(bias)
            let separate = try activation(Ops.add(Ops.int8Dense(x, kernel: kq.storedValue, kernelScale: sq.storedValue), bq.storedValue))
            XCTAssertEqual(try layer(x).scalars.map(\.bitPattern), separate.scalars.map(\.bitPattern), "\(activation)")
        }
    }

    func testQuantizedDensePacksItsKernelAgainWhenTheKernelIsWritten() throws {
        let layer = Dense(5)
        let x = random([3, 6], seed: 7)
        _ = try layer(x)
        try layer.quantize(.int8)
        guard let kernel = layer.kernel, let scale = layer.kernelScale else { return XCTFail("not quantized") }
        let before = try layer(x)
        XCTAssertEqual(before.scalars, try Ops.add(Ops.int8Dense(x, kernel: kernel.storedValue, kernelScale: scale.storedValue),
                                                   layer.bias?.storedValue ?? Tensor(shape: [5])).scalars)
        try kernel.assign(integers: (0..<30).map { Int32($0 * 7 % 255) - 127 })
        let after = try layer(x)
        XCTAssertNotEqual(before.scalars, after.scalars)
        XCTAssertEqual(after.scalars, try Ops.add(Ops.int8Dense(x, kernel: kernel.storedValue, kernelScale: scale.storedValue),
                                                  layer.bias?.storedValue ?? Tensor(shape: [5])).scalars)
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
        XCTAssertThrowsError(try QuantizationMode(named: "awq")) { XCTAssertTrue("\($0)".contains("'int8'"), "\($0)") }
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
