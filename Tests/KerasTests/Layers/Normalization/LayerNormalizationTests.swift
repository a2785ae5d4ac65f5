import XCTest
@testable import Keras

/// LayerNormalization, GroupNormalization, UnitNormalization and RMSNormalization against Keras.
final class LayerNormalizationTests: XCTestCase {
    private let cases: [(String, () throws -> Layer)] = [
        ("layer_normalization", { LayerNormalization(name: "layer_normalization") }),
        ("layer_normalization_axes", { LayerNormalization(axis: [2, 1], epsilon: 0.01, name: "layer_normalization_axes") }),
        ("layer_normalization_middle", { LayerNormalization(axis: 1, center: false, name: "layer_normalization_middle") }),
        ("layer_normalization_noscale", { LayerNormalization(scale: false, affine: AffineOptions(gammaInitializer: Zeros()), name: "layer_normalization_noscale") }),
        ("layer_normalization_rms_scaling", { LayerNormalization(rmsScaling: true, name: "layer_normalization_rms_scaling") }),
        ("group_normalization", { try GroupNormalization(groups: 2, name: "group_normalization") }),
        ("group_normalization_instance", { try GroupNormalization(groups: -1, axis: 1, epsilon: 0.01, scale: false, name: "group_normalization_instance") }),
        ("group_normalization_axis_m2", { try GroupNormalization(groups: 3, axis: -2, center: false, name: "group_normalization_axis_m2") }),
        ("unit_normalization", { UnitNormalization(name: "unit_normalization") }),
        ("unit_normalization_axes", { UnitNormalization(axis: [1, 2], name: "unit_normalization_axes") }),
        ("rms_normalization", { RMSNormalization(name: "rms_normalization") }),
        ("rms_normalization_axes", { RMSNormalization(axis: [-2, -1], epsilon: 1e-3, name: "rms_normalization_axes") }),
    ]

    /// Forward to 1e-5 and gradients (input, weights) against Keras; config equal to
    /// get_config() after build, and again after a round trip through the config.
    func testMatchesKeras() throws {
        for (name, make) in cases {
            let fixture = try LayerFixture("normalization/\(name)")
            let layer = try make()
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
            try fixture.assertGradientsMatch(layer)
            XCTAssertEqual(layer.declaration?.className, fixture.json["class_name"]?.stringValue)
            let back = try XCTUnwrap(layer.declaration).make(try LayerConfig(className: layer.className, json: fixture.config))
            try fixture.assertLayerMatches(back)
            fixture.assertConfigMatches(back)
        }
    }

    func testWeightNamesAndFiniteDifferences() throws {
        let x = GradientCheck.random([3, 2, 4], seed: 11)
        let weighted: [(Layer, [String])] = [
            (LayerNormalization(), ["gamma", "beta"]), (LayerNormalization(axis: [1, 2], center: false), ["gamma"]),
            (LayerNormalization(axis: 1), ["gamma", "beta"]), (LayerNormalization(rmsScaling: true), ["gamma"]),
            (try GroupNormalization(groups: 2), ["gamma", "beta"]), (try GroupNormalization(groups: -1, axis: 1), ["gamma", "beta"]),
            (RMSNormalization(), ["scale"]), (RMSNormalization(axis: [1, 2]), ["scale"]),
            (UnitNormalization(), []), (UnitNormalization(axis: [1, 2]), []),
        ]
        for (layer, names) in weighted {
            _ = try layer(x)
            for w in layer.trainableWeights { try w.assign(GradientCheck.random(w.shape, in: 0.5...1.5, seed: 3)) }
            XCTAssertEqual(layer.weights.map(\.name), names, layer.className)
            try GradientCheck.check(layer: layer, input: x)
        }
    }

    /// The fused op on a large input (the parallel path) equals the composed formula.
    func testFusedOpEqualsComposedFormula() throws {
        let x = GradientCheck.random([300, 512], seed: 4)
        let gamma = GradientCheck.random([512], seed: 5), beta = GradientCheck.random([512], seed: 6)
        let fused = try Ops.layerNormalization(x, gamma: gamma, beta: beta, axes: [-1], epsilon: 1e-3)
        let mean = try Ops.mean(x, axes: [1], keepDims: true)
        let centered = try Ops.subtract(x, mean)
        let variance = try Ops.mean(Ops.square(centered), axes: [1], keepDims: true)
        let composed = try Ops.add(Ops.multiply(Ops.multiply(centered, Ops.pow(Ops.affine(variance, scale: 1, offset: 1e-3), -0.5)), gamma), beta)
        XCTAssertTrue(fused.isClose(to: composed, atol: 1e-4))
    }

    func testBadInputsNameLayerAndArgument() throws {
        func expect(_ body: @autoclosure () throws -> Any, _ parts: [String]) {
            XCTAssertThrowsError(try body()) { e in XCTAssertTrue(parts.allSatisfy { "\(e)".contains($0) }, "\(e)") }
        }
        let x = Tensor(shape: [2, 3])
        expect(try LayerNormalization(axis: 2, name: "ln")(x), ["LayerNormalization 'ln'", "axis 2"])
        expect(try RMSNormalization(axis: [-3], name: "rms")(x), ["RMSNormalization 'rms'", "axis [-3]"])
        expect(try UnitNormalization(axis: 5, name: "un")(x), ["UnitNormalization 'un'", "axis 5"])
        expect(try GroupNormalization(groups: 2, name: "gn")(x), ["GroupNormalization 'gn'", "multiple of groups 2"])
        expect(try GroupNormalization(groups: 4, name: "gn4")(x), ["GroupNormalization 'gn4'", "groups 4"])
        expect(try GroupNormalization(groups: 0), ["groups: 0"])
        let ln = LayerNormalization(name: "built")
        _ = try ln(x)
        expect(try ln(Tensor(shape: [2, 4])), ["LayerNormalization 'built'", "[2, 4]"])
        expect(try LayerNormalization.declaration.make(try LayerConfig(className: "LayerNormalization", json: ["axis": ["a"]])), ["'axis'"])
    }
}
