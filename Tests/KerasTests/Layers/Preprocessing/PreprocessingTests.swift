import Foundation
import XCTest
@testable import Keras

/// Normalization, CategoryEncoding, Discretization and IntegerLookup against the fixtures of
/// scripts/make_preprocessing_fixtures.py: layers rebuilt from Keras's configs, adapted on the
/// same data, outputs to 1e-5, configs equal to get_config().
final class PreprocessingTests: XCTestCase {
    /// Rebuilds the fixture's layer from its config, adapts it when the fixture has adapt data,
    /// and checks its output and config against Keras's.
    @discardableResult
    private func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Layer {
        let fixture = try LayerFixture("preprocessing/\(name)")
        let layer = try deserializeLayer(["class_name": fixture.json["class_name"] ?? nil, "config": fixture.config])
        if let data = fixture.json["adapt"] { try XCTUnwrap(layer as? AdaptableLayer).adapt(try LayerFixture.tensor(data)) }
        let x = try XCTUnwrap(fixture.inputs.first)
        let out = try layer(x)
        let expected = try XCTUnwrap(fixture.outputs.first)
        XCTAssertEqual(out.shape, expected.shape, name, file: file, line: line)
        XCTAssertTrue(out.isClose(to: expected, atol: 1e-5, rtol: 1e-5), "\(name): \(out) vs \(expected)", file: file, line: line)
        XCTAssertEqual(try layer.computeOutputShape([nil] + x.shape.dropFirst().map { Optional($0) }),
                       [nil] + expected.shape.dropFirst().map { Optional($0) }, "\(name) output shape", file: file, line: line)
        fixture.assertConfigMatches(layer, file: file, line: line)
        return layer
    }

    func testNormalizationMatchesKeras() throws {
        for name in ["normalization_given", "normalization_invert", "normalization_nested"] { try check(name) }
        for name in ["normalization_adapt", "normalization_axis_none", "normalization_axes"] {
            let fixture = try LayerFixture("preprocessing/\(name)")
            let layer = try check(name)
            let weights = try XCTUnwrap(fixture.json["weights"]?.arrayValue).map(LayerFixture.tensor)
            XCTAssertEqual(layer.weights.map(\.name), ["mean", "variance", "count"])
            assertClose(layer.getWeights(), weights, atol: 1e-5, "\(name) adapted state")
        }
    }

    func testNormalizationArgumentsAndErrors() throws {
        XCTAssertThrowsError(try Normalization(mean: Tensor([1])), "mean without variance") { e in
            XCTAssertTrue("\(e)".contains("Normalization") && "\(e)".contains("variance"), "\(e)")
        }
        let layer = try Normalization(axis: [5], name: "norm_bad")
        XCTAssertThrowsError(try layer(Tensor(shape: [2, 3]))) { e in
            XCTAssertTrue("\(e)".contains("'norm_bad'") && "\(e)".contains("axis 5"), "\(e)")
        }
        let adapted = try Normalization(name: "norm_shape")
        try adapted.adapt(Tensor([[1, 2], [3, 4]]))
        XCTAssertThrowsError(try adapted.adapt(Tensor([[1, 2, 3]]))) { e in
            XCTAssertTrue("\(e)".contains("'norm_shape'") && "\(e)".contains("adapt"), "\(e)")
        }
        XCTAssertThrowsError(try Normalization(mean: Tensor([1]), variance: Tensor([1])).adapt(Tensor([[1]])))
        // Differentiable in its input: (x - mean) / sqrt(variance).
        let given = try Normalization(mean: Tensor([1, 2]), variance: Tensor([4, 9]))
        try GradientCheck.check([GradientCheck.random([3, 2], seed: 2)], "Normalization") { try given($0[0]) }
    }

    func testCategoryEncodingMatchesKeras() throws {
        for mode in ["one_hot", "multi_hot", "count", "one_hot_flat"] { try check("category_encoding_\(mode)") }
        let layer = try CategoryEncoding(numTokens: 3, outputMode: "count", name: "enc_bad")
        XCTAssertThrowsError(try layer(Tensor([[0, 3]]))) { e in
            XCTAssertTrue("\(e)".contains("'enc_bad'") && "\(e)".contains("num_tokens"), "\(e)")
        }
        XCTAssertThrowsError(try CategoryEncoding(numTokens: 0)) { e in XCTAssertTrue("\(e)".contains("num_tokens"), "\(e)") }
        XCTAssertThrowsError(try CategoryEncoding(numTokens: 3, outputMode: "tf_idf")) { e in
            XCTAssertTrue("\(e)".contains("output_mode"), "\(e)")
        }
    }

    func testDiscretizationMatchesKeras() throws {
        for mode in ["int", "one_hot", "multi_hot", "count"] { try check("discretization_\(mode)") }
        for bins in [3, 4, 5] {
            let layer = try XCTUnwrap(try check("discretization_adapt_\(bins)") as? Discretization)
            let fixture = try LayerFixture("preprocessing/discretization_adapt_\(bins)")
            let expected = try XCTUnwrap(fixture.json["bin_boundaries"]?.arrayValue).compactMap(\.doubleValue)
            assertClose(try XCTUnwrap(layer.binBoundaries).map { Float($0) }, expected.map { Float($0) }, "bin boundaries (\(bins))")
        }
        XCTAssertThrowsError(try Discretization(numBins: 3, name: "disc_unadapted")(Tensor([[1]]))) { e in
            XCTAssertTrue("\(e)".contains("'disc_unadapted'") && "\(e)".contains("bin_boundaries") && "\(e)".contains("adapt"), "\(e)")
        }
        XCTAssertThrowsError(try Discretization(binBoundaries: [0], numBins: 2)) { e in XCTAssertTrue("\(e)".contains("num_bins"), "\(e)") }
        XCTAssertThrowsError(try Discretization(binBoundaries: [0]).adapt(Tensor([1, 2]))) { e in XCTAssertTrue("\(e)".contains("num_bins"), "\(e)") }
    }

    func testIntegerLookupMatchesKerasRules() throws {
        for name in ["integer_lookup", "integer_lookup_mask", "integer_lookup_oov2", "integer_lookup_invert",
                     "integer_lookup_multi_hot", "integer_lookup_count", "integer_lookup_one_hot"] { try check(name) }
        let fixture = try LayerFixture("preprocessing/integer_lookup_adapt")
        let layer = try IntegerLookup(maxTokens: 5, name: "lookup_adapt")
        try layer.adapt(try LayerFixture.tensor(try XCTUnwrap(fixture.json["adapt"])))
        XCTAssertEqual(layer.getVocabulary(), try XCTUnwrap(fixture.json["vocabulary"]?.arrayValue).compactMap(\.intValue))
        let out = try layer(try XCTUnwrap(fixture.inputs.first))
        XCTAssertEqual(out.scalars, try XCTUnwrap(fixture.outputs.first).scalars)
        // The adapted vocabulary travels in the config.
        let copy = try deserializeLayer(["class_name": "IntegerLookup", "config": layer.getConfig()])
        XCTAssertEqual(try copy(try XCTUnwrap(fixture.inputs.first)).scalars, out.scalars)
    }

    func testLookupBeforeVocabularyAndBadArguments() throws {
        XCTAssertThrowsError(try IntegerLookup(name: "lookup_empty")(Tensor([[1]]))) { e in
            XCTAssertTrue("\(e)".contains("'lookup_empty'") && "\(e)".contains("vocabulary") && "\(e)".contains("adapt"), "\(e)")
        }
        XCTAssertThrowsError(try IntegerLookup(numOovIndices: -1)) { e in XCTAssertTrue("\(e)".contains("num_oov_indices"), "\(e)") }
        XCTAssertThrowsError(try IntegerLookup(vocabulary: [1, 2, 1])) { e in XCTAssertTrue("\(e)".contains("repeated"), "\(e)") }
        XCTAssertThrowsError(try IntegerLookup(invert: true, outputMode: "count")) { e in XCTAssertTrue("\(e)".contains("output_mode"), "\(e)") }
        let strict = try IntegerLookup(numOovIndices: 0, vocabulary: [5], name: "lookup_strict")
        XCTAssertThrowsError(try strict(Tensor([[6]]))) { e in
            XCTAssertTrue("\(e)".contains("'lookup_strict'") && "\(e)".contains("num_oov_indices"), "\(e)")
        }
        XCTAssertThrowsError(try IntegerLookup(vocabulary: [5]).adapt(Tensor([1])))
    }
}
