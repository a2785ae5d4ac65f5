import XCTest
@testable import Keras

/// EinsumDense against real Keras 3 (scripts/make_attention_fixtures.py): forward, configs,
/// finite-difference gradients and errors.
final class EinsumDenseTests: XCTestCase {
    static let cases = ["einsum_ab_bc", "einsum_abc_cd", "einsum_abc_cde", "einsum_abcd_cde", "einsum_abc_cd_adb",
                        "einsum_ellipsis", "einsum_nobias"]

    func testForwardAndConfigMatchKeras() throws {
        for name in Self.cases {
            let f = try LayerFixture("attention/\(name)")
            let layer = try deserializeLayer(["class_name": "EinsumDense", "config": f.config])
            try f.assertLayerMatches(layer)
            f.assertConfigMatches(layer)
            let shape = try layer.computeOutputShape([nil] + f.inputs[0].shape.dropFirst().map { Optional($0) })
            // Keras's compute_output_shape (`full_output_shape`): the config's output_shape, its
            // None kept, after the batch axis and the axes a leading ellipsis stands for (the
            // input's sizes, as in the output Keras computed).
            let given: [Int?] = f.config["output_shape"]?.arrayValue?.map(\.intValue) ?? [f.config["output_shape"]?.intValue]
            let computed = try f.outputs[0].shape
            let expected: [Int?] = [nil] + computed.dropFirst().dropLast(given.count).map { Optional($0) } + given
            XCTAssertEqual(shape, expected, name)
        }
    }

    func testKernelAndBiasShapesFollowTheEquation() throws {
        let layer = try EinsumDense("abc,cde->abde", outputShape: [nil, 4, 16], biasAxes: "de")
        _ = try layer(Tensor(shape: [2, 3, 64]))
        XCTAssertEqual(layer.kernel?.shape, [64, 4, 16])
        XCTAssertEqual(layer.bias?.shape, [4, 16])
        // Keras's fans for a variance-scaling kernel are the product's: 64 in, 64 out.
        let limit = (6.0 / 128.0).squareRoot()
        XCTAssertLessThanOrEqual(layer.kernel?.numpy.scalars.map { abs(Double($0)) }.max() ?? 9, limit)
        XCTAssertGreaterThan(layer.kernel?.numpy.scalars.map { abs(Double($0)) }.max() ?? 0, limit * 0.8)
    }

    func testGradientsByFiniteDifferences() throws {
        for (equation, out, bias, input) in [("abc,cd->adb", [4, nil], "d", [2, 3, 5]),
                                             ("abc,cde->abde", [nil, 2, 3], "de", [2, 3, 4]),
                                             ("abcd,cde->abe", [nil, 3], "e", [2, 3, 2, 4])] as [(String, [Int?], String, [Int])] {
            let layer = try EinsumDense(equation, outputShape: out, activation: .tanh, biasAxes: bias)
            let x = GradientCheck.random(input)
            _ = try layer(x)
            try layer.setWeights(layer.weights.enumerated().map { GradientCheck.random($0.element.shape, in: -1...1, seed: UInt64(7 + $0.offset)) })
            try GradientCheck.check([x], variables: layer.trainableWeights, equation) { xs in try layer(xs[0]) }
        }
    }

    func testBadEquationsNameTheLayerAndArgument() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch let e as KerasError { return e.message } catch { return "\(error)" }
            return ""
        }
        let x = Tensor(shape: [2, 3])
        var m = message { _ = try EinsumDense("ab->b", outputShape: [3], name: "e1")(x) }
        XCTAssertTrue(m.contains("EinsumDense 'e1'") && m.contains("ab->b"), m)
        m = message { _ = try EinsumDense("ab,bc->ac", outputShape: [3], biasAxes: "x", name: "e2")(x) }
        XCTAssertTrue(m.contains("'e2'") && m.contains("bias_axes"), m)
        m = message { _ = try EinsumDense("ab,bc->ac", outputShape: [3, 4], name: "e3")(x) }
        XCTAssertTrue(m.contains("'e3'") && m.contains("output_shape"), m)
        m = message { _ = try EinsumDense("abc,cd->abd", outputShape: [nil, 4], name: "e4")(x) }
        XCTAssertTrue(m.contains("'e4'") && m.contains("rank"), m)
        m = message { _ = try EinsumDense("ab,bc->ac", outputShape: [0]) }
        XCTAssertTrue(m.contains("outputShape"), m)
    }
}
