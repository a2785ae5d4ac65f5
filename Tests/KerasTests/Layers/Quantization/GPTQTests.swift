import XCTest
@testable import Keras

/// Keras's GPTQ Dense (`quantize("gptq", config=GPTQConfig(...))`): the weights Keras's
/// `_gptq_build` makes, the forward pass through the dequantized kernel (written out plainly
/// here), and the policy's errors. The Python tests check the GPTQ solve, the weights and the
/// files against real Keras.
final class GPTQTests: XCTestCase {
    func testPolicyModeIsParsedWithKerasErrors() throws {
        XCTAssertEqual(try QuantizationMode(named: "gptq/4/128"), .gptq(bits: 4, groupSize: 128))
        XCTAssertEqual(QuantizationMode.gptq(bits: 3, groupSize: -1).policyMode, "gptq/3/-1")
        for (bad, words) in [("gptq/4", "Expected format"), ("gptq/x/1", "must be integers"),
                             ("gptq/5/8", "Supported values are 2, 3, 4, and 8"), ("gptq/4/0", "Invalid group_size")] {
            XCTAssertThrowsError(try QuantizationMode(named: bad)) { XCTAssertTrue("\($0)".contains(words), "\($0)") }
        }
        XCTAssertThrowsError(try Embedding(4, 2).setQuantizationModeForBuild(.gptq(bits: 4, groupSize: 2))) {
            XCTAssertTrue("\($0)".contains("Dense layers only"), "\($0)")
        }
    }

    func testDenseGPTQPredictsThroughTheDequantizedTransposedKernel() throws {
        let (k, n, group) = (5, 3, 2)
        let layer = Dense(n, activation: .relu)
        let x = GradientCheck.random([4, k], seed: 3)
        _ = try layer(x)
        try layer.quantize(.gptq(bits: 4, groupSize: group))
        XCTAssertEqual(layer.weights.map(\.name), ["bias", "kernel", "kernel_scale", "kernel_zero", "g_idx"])
        XCTAssertEqual(layer.weights.map(\.shape), [[3], [2, 5], [3, 3], [3, 3], [5]])
        XCTAssertEqual(layer.weights.map(\.dtype), [.float32, .uint8, .float32, .uint8, .float32])
        XCTAssertEqual(layer.variablesInSaveOrder.map(\.name), ["bias", "kernel", "kernel_scale", "kernel_zero", "g_idx"])
        XCTAssertEqual(layer.getConfig()["dtype"]?["class_name"]?.stringValue, "GPTQDTypePolicy")
        // Values 0 ... 15 per (unit, input row), packed along the units (two units a byte).
        let q: [[Int32]] = [[1, 15, 7, 0, 9], [8, 2, 14, 3, 5], [4, 11, 6, 13, 10]]
        var packed = [Int32](repeating: 0, count: 2 * k)
        for r in 0..<2 {
            for c in 0..<k { packed[r * k + c] = q[2 * r][c] | (2 * r + 1 < n ? q[2 * r + 1][c] << 4 : 0) }
        }
        try layer.kernel?.assign(integers: packed)
        let scale: [Float] = [0.1, 0.2, 0.3, 0.05, 0.15, 0.25, 0.4, 0.5, 0.6]
        try layer.kernelScale?.assign(Tensor(shape: [3, 3], scalars: scale))
        try layer.kernelZero?.assign(integers: [8, 7, 6, 5, 4, 3, 2, 1, 0])
        let gIdx: [Float] = [0, 0.5, 1, 1.5, 2]   // Keras's i / group_size
        try layer.gIdx?.assign(Tensor(shape: [k], scalars: gIdx))
        let y = try layer(x)
        let bias = layer.bias?.storedValue.scalars ?? []
        for r in 0..<4 {
            for j in 0..<n {
                var sum = bias[j]
                for i in 0..<k {
                    let g = i / group
                    sum += x.data[r * k + i] * (Float(q[j][i]) - Float([8, 7, 6, 5, 4, 3, 2, 1, 0][j * 3 + g])) * scale[j * 3 + g]
                }
                XCTAssertEqual(y.data[r * n + j], Swift.max(sum, 0), accuracy: 1e-5)
            }
        }
    }

    func testUint8VariablesKeepTheirLowByte() throws {
        let v = Variable(Tensor(shape: [3]), name: "z", trainable: false, dtype: .uint8)
        try v.assign(integers: [255, 256, -1])
        XCTAssertEqual(v.integers, [255, 0, 255])
        try v.assign(Tensor([300, -4, 7.9]))
        XCTAssertEqual(v.integers, [255, 0, 7])
    }
}
