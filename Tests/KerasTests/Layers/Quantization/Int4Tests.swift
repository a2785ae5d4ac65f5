import XCTest
@testable import Keras

/// Keras's int4 quantization (`quantize("int4")`) of Dense and Embedding, checked against
/// Keras's documented packing and plain reference loops (the Python tests check the same layers
/// against real Keras: bytes, scales, zero points, predictions, training and files).
final class Int4Tests: XCTestCase {
    func testPackAndUnpackAreKerasDocumentedExample() throws {
        // `keras.quantizers.pack_int4([[-3, 7, 2], [-8, 1, 0]], axis=1)` is [[125, 2], [24, 0]].
        let packed = Int4.pack(([-3, 7, 2, -8, 1, 0] as [Int8]).map { UInt8(bitPattern: $0) }, rows: 2, cols: 3)
        XCTAssertEqual(packed, [125, 2, 24, 0])
        let unpacked = try Int4.unpack(Tensor(shape: [2, 2], scalars: packed.map(Float.init)), cols: 3)
        XCTAssertEqual(unpacked.scalars, [-3, 7, 2, -8, 1, 0])
        XCTAssertThrowsError(try Int4.unpack(Tensor(shape: [2, 3], scalars: Array(repeating: 0, count: 6)), cols: 3))
    }

    /// Keras's grouped quantization of one column over `values` (a group padded with zeros to
    /// `block`), written out plainly: (q, scale, zero).
    private func referenceGroup(_ values: [Float], block: Int) -> ([Float], Float, Float) {
        let padded = values + Array(repeating: 0, count: block - values.count)
        let lo = padded.min() ?? 0, hi = padded.max() ?? 0
        let scale = (hi - lo + 1e-7) / 15
        let zero = Swift.min(Swift.max((-lo / scale).rounded(.toNearestOrEven) - 8, -8), 7)
        return (values.map { Swift.min(Swift.max(($0 / scale).rounded(.toNearestOrEven) + zero, -8), 7) }, scale, zero)
    }

    func testDenseInt4InBlocksPredictsThroughTheDequantizedKernel() throws {
        let (k, n, block) = (5, 3, 2)
        let layer = Dense(n)
        let x = GradientCheck.random([4, k], seed: 3)
        _ = try layer(x)
        let float = layer.kernel?.storedValue.copy() ?? Tensor(shape: [0])
        try layer.quantize(.int4(blockSize: block))
        XCTAssertEqual(layer.weights.map(\.name), ["bias", "kernel", "kernel_scale", "kernel_zero", "g_idx"])
        XCTAssertEqual(layer.weights.map(\.shape), [[3], [5, 2], [3, 3], [3, 3], [5]])
        XCTAssertEqual(layer.variablesInSaveOrder.map(\.name), ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"])
        XCTAssertEqual(layer.getConfig()["dtype"]?["config"]?["mode"]?.stringValue, "int4/2")
        // The dequantized kernel, from the reference groups.
        var w = [Float](repeating: 0, count: k * n)
        for j in 0..<n {
            for g in 0..<3 {
                let rows = Array((g * block)..<Swift.min(k, (g + 1) * block))
                let (q, s, z) = referenceGroup(rows.map { float.data[$0 * n + j] }, block: block)
                XCTAssertEqual(layer.kernelScale?.storedValue.data[g * n + j], s)
                XCTAssertEqual(layer.kernelZero?.integers[g * n + j], Int32(z))
                for (i, r) in rows.enumerated() { w[r * n + j] = (q[i] - z) * s }
            }
        }
        let y = try layer(x)
        for r in 0..<4 {
            for j in 0..<n {
                let expected = (0..<k).reduce(Float(0)) { $0 + x.data[r * k + $1] * w[$1 * n + j] }
                XCTAssertEqual(y.data[r * n + j], expected, accuracy: 1e-5)
            }
        }
    }

    func testDenseInt4PerChannelDividesTheProductByTheScale() throws {
        let layer = Dense(3, activation: .relu)
        let x = GradientCheck.random([2, 4], seed: 5)
        _ = try layer(x)
        let float = layer.kernel?.storedValue.copy() ?? Tensor(shape: [0])
        try layer.quantize(.int4(blockSize: nil))
        XCTAssertEqual(layer.weights.map(\.shape), [[3], [4, 2], [3]])
        let unpacked = try Int4.unpack(layer.kernel?.storedValue ?? Tensor(shape: [0]), cols: 3)
        let y = try layer(x)
        for j in 0..<3 {
            let m = (0..<4).map { abs(float.data[$0 * 3 + j]) }.max() ?? 0
            let s = Float(7) / (m + 1e-7)
            XCTAssertEqual(layer.kernelScale?.storedValue.data[j], s)
            for p in 0..<4 {
                XCTAssertEqual(unpacked.data[p * 3 + j], Swift.min(Swift.max((float.data[p * 3 + j] * s).rounded(.toNearestOrEven), -8), 7))
            }
            for r in 0..<2 {
                let dot = (0..<4).reduce(Float(0)) { $0 + x.data[r * 4 + $1] * unpacked.data[$1 * 3 + j] }
                XCTAssertEqual(y.data[r * 3 + j], Swift.max(dot / s, 0), accuracy: 1e-5)
            }
        }
    }

    func testDenseInt4GradientsOfInputAndBiasByFiniteDifferences() throws {
        for block in [2, nil] as [Int?] {
            let layer = Dense(3, activation: .tanh)
            let x = GradientCheck.random([2, 5], seed: 7)
            _ = try layer(x)
            try layer.quantize(.int4(blockSize: block))
            guard let bias = layer.bias else { return XCTFail("no bias") }
            try GradientCheck.check([x], variables: [bias], "int4 Dense") { xs in try layer(xs[0]) }
        }
    }

    func testDenseInt4OverSeveralBlocksOfRowsAndItsGradients() throws {
        // 2 blocks and 4 rows: the product reads the packed kernel in blocks of
        // `Ops.int4BlockRows` rows, with no float copy kept; it must equal x · (the whole
        // dequantized kernel), and its input gradient the finite differences.
        let (k, n) = (2 * Ops.int4BlockRows + 4, 5)
        XCTAssertGreaterThan(k, 2 * Ops.int4BlockRows)
        for block in [64, nil] as [Int?] {
            let layer = Dense(n, activation: .sigmoid)
            let x = GradientCheck.random([1, k], in: -1...1, seed: 11)
            _ = try layer(x)
            try layer.quantize(.int4(blockSize: block))
            guard let kernel = layer.kernel, let scale = layer.kernelScale, let bias = layer.bias else { return XCTFail("not built") }
            let w = try Int4Kernel(kernel: kernel, scale: scale, zero: layer.kernelZero, gIdx: layer.gIdx).floatKernel(cols: n, divided: true)
            let y = try layer(x)
            for r in 0..<1 {
                for j in 0..<n {
                    let dot = (0..<k).reduce(Float(0)) { $0 + x.data[r * k + $1] * w.data[$1 * n + j] }
                    let expected = 1 / (1 + exp(-(dot + bias.storedValue.data[j])))
                    XCTAssertEqual(y.data[r * n + j], expected, accuracy: 1e-5, "block \(String(describing: block))")
                }
            }
            try GradientCheck.check([x], variables: [bias], "int4 Dense over blocks") { xs in try layer(xs[0]) }
            // A 2-D kernel whose packed width does not fit the units is refused, not trapped on.
            XCTAssertThrowsError(try Int4Matrix(Int4Kernel(kernel: kernel, scale: scale, zero: layer.kernelZero, gIdx: layer.gIdx), cols: n + 2, divided: false))
        }
    }

    func testEmbeddingInt4InBlocksAndPerRow() throws {
        for block in [2, nil] as [Int?] {
            let layer = try Embedding(4, 3)
            let ids = try Tensor(shape: [2], scalars: [3, 1])
            _ = try layer(ids)
            let float = layer.embeddings?.storedValue.copy() ?? Tensor(shape: [0])
            try layer.quantize(.int4(blockSize: block))
            XCTAssertEqual(layer.weights.map(\.shape), block == nil ? [[4, 2], [4]] : [[4, 2], [4, 2], [4, 2], [3]])
            let out = try layer(ids)
            for (i, row) in [3, 1].enumerated() {
                let values = Array(float.scalars[(row * 3)..<(row * 3 + 3)])
                var expected: [Float] = []
                if let block {
                    for g in 0..<2 {
                        let (q, s, z) = referenceGroup(Array(values[(g * block)..<Swift.min(3, (g + 1) * block)]), block: block)
                        expected += q.map { ($0 - z) * s }
                    }
                } else {
                    let s = Float(7) / ((values.map { abs($0) }.max() ?? 0) + 1e-7)
                    expected = values.map { Swift.min(Swift.max(($0 * s).rounded(.toNearestOrEven), -8), 7) / s }
                }
                XCTAssertEqual(Array(out.scalars[(i * 3)..<(i * 3 + 3)]), expected, "block \(String(describing: block))")
            }
        }
    }

    func testEinsumDenseInt4IsItsEinsumWithTheDequantizedKernel() throws {
        // Keras flattens the kernel (c, d, e) to [c, d·e] by a reshape, quantizes it as Dense's,
        // and runs the einsum with the dequantized kernel in its own shape.
        for block in [2, nil] as [Int?] {
            let layer = try EinsumDense("abc,cde->abde", outputShape: [nil, 2, 4], biasAxes: "de")
            let x = GradientCheck.random([2, 3, 5], seed: 8)
            _ = try layer(x)
            let float = layer.kernel?.storedValue.copy() ?? Tensor(shape: [0])
            try layer.quantize(.int4(blockSize: block))
            XCTAssertEqual(layer.kernel?.shape, [5, 4])
            XCTAssertEqual(layer.kernelScale?.shape, block == nil ? [8] : [3, 8])
            let reference = Dense(8, useBias: false)
            _ = try reference(Tensor(shape: [1, 5]))
            try reference.kernel?.assign(Ops.reshape(float, [5, 8]))
            try reference.quantize(.int4(blockSize: block))
            XCTAssertEqual(reference.kernel?.integers, layer.kernel?.integers)
            XCTAssertEqual(reference.kernelScale?.storedValue.scalars, layer.kernelScale?.storedValue.scalars)
            guard let kernel = layer.kernel, let scale = layer.kernelScale, let bias = layer.bias else { return XCTFail("not built") }
            let w = try Int4Kernel(kernel: kernel, scale: scale, zero: layer.kernelZero, gIdx: layer.gIdx).floatKernel(cols: 8, divided: true)
            let y = try layer(x)
            let expected = try Ops.add(Ops.reshape(Ops.matmul(Ops.reshape(x, [6, 5]), w), [2, 3, 2, 4]), bias.value)
            for i in 0..<y.count { XCTAssertEqual(y.data[i], expected.data[i], accuracy: 1e-5) }
            try GradientCheck.check([x], variables: [bias], "int4 EinsumDense") { xs in try layer(xs[0]) }
        }
    }

    func testModesAndRefusals() throws {
        XCTAssertEqual(try QuantizationMode(named: "int4"), .int4(blockSize: 128))
        XCTAssertEqual(try QuantizationMode(named: "int4/-1"), .int4(blockSize: nil))
        XCTAssertEqual(try QuantizationMode.of(dtypePolicy: "int4_from_float32"), .int4(blockSize: nil))
        XCTAssertEqual(try QuantizationMode.of(dtypePolicy: "int4/64_from_float32"), .int4(blockSize: 64))
        XCTAssertThrowsError(try QuantizationMode(named: "int4/0")) { XCTAssertTrue("\($0)".contains("Invalid block_size"), "\($0)") }
        XCTAssertThrowsError(try QuantizationMode(named: "gptq")) { XCTAssertTrue("\($0)".contains("not supported"), "\($0)") }
        let dense = Dense(2)
        _ = try dense(GradientCheck.random([1, 3], seed: 2))
        XCTAssertThrowsError(try dense.quantize(.int4(blockSize: 0))) { XCTAssertTrue("\($0)".contains("block_size"), "\($0)") }
        XCTAssertThrowsError(try Dense(2).setQuantizationModeForBuild(.int4(blockSize: -3)))
        XCTAssertNil(dense.quantizationMode)
    }
}
