import XCTest
@testable import Keras

/// Keras's AWQ Dense and EinsumDense (`quantize("awq", config=AWQConfig(...))`) and GPTQ's
/// EinsumDense: the weights Keras's `_awq_build` / `_gptq_build` make, the forward pass through
/// the dequantized kernel divided by the AWQ scales (written out plainly here), and the policy's
/// errors. The Python tests check the AWQ search, the weights and the files against real Keras.
final class AWQTests: XCTestCase {
    func testPolicyModeIsParsedWithKerasErrors() throws {
        XCTAssertEqual(try QuantizationMode(named: "awq/4/128"), .awq(groupSize: 128))
        XCTAssertEqual(QuantizationMode.awq(groupSize: -1).policyMode, "awq/4/-1")
        XCTAssertEqual(try QuantizationMode.of(dtypePolicy: "awq/4/8_from_float32"), .awq(groupSize: 8))
        XCTAssertEqual(QuantizationMode.awq(groupSize: 8).dtypePolicy["class_name"]?.stringValue, "AWQDTypePolicy")
        for (bad, words) in [("awq/4", "Expected format"), ("awq/x/1", "must be integers"),
                             ("awq/8/8", "AWQ only supports 4-bit"), ("awq/4/0", "Invalid group_size")] {
            XCTAssertThrowsError(try QuantizationMode(named: bad)) { XCTAssertTrue("\($0)".contains(words), "\($0)") }
        }
        XCTAssertThrowsError(try Embedding(4, 2).setQuantizationModeForBuild(.awq(groupSize: 2))) {
            XCTAssertTrue("\($0)".contains("Dense and EinsumDense layers only"), "\($0)")
        }
    }

    func testDenseAWQPredictsThroughTheDequantizedKernelDividedByItsScales() throws {
        let (k, n, group) = (5, 3, 2)
        let layer = Dense(n, activation: .relu)
        let x = GradientCheck.random([4, k], seed: 3)
        _ = try layer(x)
        try layer.quantize(.awq(groupSize: group))
        XCTAssertEqual(layer.weights.map(\.name), ["bias", "kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx"])
        XCTAssertEqual(layer.weights.map(\.shape), [[3], [2, 5], [3, 3], [3, 3], [5], [5]])
        XCTAssertEqual(layer.variablesInSaveOrder.map(\.name), ["bias", "kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx"])
        let q: [[Int32]] = [[1, 15, 7, 0, 9], [8, 2, 14, 3, 5], [4, 11, 6, 13, 10]]
        var packed = [Int32](repeating: 0, count: 2 * k)
        for r in 0..<2 {
            for c in 0..<k { packed[r * k + c] = q[2 * r][c] | (2 * r + 1 < n ? q[2 * r + 1][c] << 4 : 0) }
        }
        try layer.kernel?.assign(integers: packed)
        let scale: [Float] = [0.1, 0.2, 0.3, 0.05, 0.15, 0.25, 0.4, 0.5, 0.6]
        let zero: [Float] = [8, 7, 6, 5, 4, 3, 2, 1, 0]
        try layer.kernelScale?.assign(Tensor(shape: [3, 3], scalars: scale))
        try layer.kernelZero?.assign(integers: zero.map { Int32($0) })
        try layer.gIdx?.assign(Tensor(shape: [k], scalars: [0, 0, 1, 1, 2]))   // (AWQ's i // group_size)
        let awq: [Float] = [0.5, 2, 1.5, 0.8, 1.25]
        try layer.awqScales?.assign(Tensor(shape: [k], scalars: awq))
        let y = try layer(x)
        let bias = layer.bias?.storedValue.scalars ?? []
        for r in 0..<4 {
            for j in 0..<n {
                var sum = bias[j]
                for i in 0..<k {
                    let g = i / group
                    sum += x.data[r * k + i] * (Float(q[j][i]) - zero[j * 3 + g]) * scale[j * 3 + g] / awq[i]
                }
                XCTAssertEqual(y.data[r * n + j], Swift.max(sum, 0), accuracy: 1e-5)
            }
        }
        // Built from its config's policy (a file's layer): the same weights, fresh.
        let again = Dense(n, activation: .relu)
        try again.setQuantizationModeForBuild(.awq(groupSize: group))
        _ = try again(x)
        XCTAssertEqual(again.variablesInSaveOrder.map(\.shape), layer.variablesInSaveOrder.map(\.shape))
    }

    func testEinsumDenseGPTQAndAWQFlattenTheirKernelAsKeras() throws {
        // [in, heads, head_dim] (largest axis first) → [in, heads · head_dim]; [heads, head_dim,
        // out] → [heads · head_dim, out]; the einsum runs with the dequantized kernel reshaped back.
        XCTAssertEqual(try GPTQKernel.flattened([16, 2, 6], layer: "l").rows, 16)
        XCTAssertEqual(try GPTQKernel.flattened([2, 6, 16], layer: "l").rows, 12)
        XCTAssertThrowsError(try GPTQKernel.flattened([2, 2, 2, 2], layer: "l"))
        for mode in [QuantizationMode.awq(groupSize: 3), .gptq(bits: 4, groupSize: 3)] {
            let layer = try EinsumDense("abc,cde->abde", outputShape: [nil, 2, 4], biasAxes: "de")
            let x = GradientCheck.random([2, 3, 5], seed: 8)
            _ = try layer(x)
            try layer.quantize(mode)
            let awq = mode == .awq(groupSize: 3)
            XCTAssertEqual(layer.variablesInSaveOrder.map(\.name),
                           ["bias", "kernel", "kernel_scale", "zero_point"] + (awq ? ["awq_scales"] : []) + ["g_idx"])
            XCTAssertEqual(layer.kernel?.shape, [4, 5])
            XCTAssertEqual(layer.kernelScale?.shape, [8, 2])
            let values = (0..<20).map { Int32(($0 * 7 + 3) % 256) }
            try layer.kernel?.assign(integers: values)
            try layer.kernelScale?.assign(Tensor(shape: [8, 2], scalars: (0..<16).map { 0.05 + Float($0) * 0.01 }))
            try layer.kernelZero?.assign(integers: (0..<16).map { Int32($0 % 9) })
            try layer.gIdx?.assign(Tensor(shape: [5], scalars: [0, 0, 0, 1, 1]))
            let awqScales: [Float] = [1, 0.5, 2, 1.5, 0.75]
            try layer.awqScales?.assign(Tensor(shape: [5], scalars: awqScales))
            guard let kernel = layer.kernel, let scale = layer.kernelScale, let zero = layer.kernelZero,
                  let gIdx = layer.gIdx, let bias = layer.bias else { return XCTFail("not built") }
            var w = try GPTQKernel(kernel: kernel, scale: scale, zero: zero, gIdx: gIdx).floatKernel(cols: 8, bits: 4)
            XCTAssertEqual(w.shape, [5, 8])
            if awq {
                w = try Tensor(shape: [5, 8], scalars: (0..<40).map { w.data[$0] / awqScales[$0 / 8] })
            }
            let y = try layer(x)
            let expected = try Ops.add(Ops.reshape(Ops.matmul(Ops.reshape(x, [6, 5]), w), [2, 3, 2, 4]), bias.value)
            for i in 0..<y.count { XCTAssertEqual(y.data[i], expected.data[i], accuracy: 1e-5) }
        }
    }
}
