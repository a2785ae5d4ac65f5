import Foundation
import XCTest
@testable import Keras

/// Hashing and StringLookup against the fixtures of scripts/make_string_preprocessing_fixtures.py
/// (real Keras 3.15 with TensorFlow): layers rebuilt from Keras's configs, adapted on the same
/// data, outputs equal, configs equal to get_config(); a Keras-written model with Normalization
/// and StringLookup loads, predicts and saves.
final class StringPreprocessingTests: XCTestCase {
    /// A fixture value: `{"shape", "strings"}` as a string tensor, else numbers.
    static func value(_ j: JSON) throws -> Tensor {
        guard let strings = j["strings"]?.arrayValue else { return try LayerFixture.tensor(j) }
        return try Tensor(strings: strings.compactMap(\.stringValue), shape: try XCTUnwrap(j["shape"]?.arrayValue).compactMap(\.intValue))
    }

    /// Rebuilds the fixture's layer from Keras's config, adapts it as Keras did, and checks its
    /// outputs, output shape (`dynamicLength`: Keras leaves the last dimension unknown) and
    /// config (when not adapted) against Keras's.
    @discardableResult
    static func check(_ name: String, dynamicLength: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> Layer {
        let fixture = try LayerFixture("preprocessing/\(name)")
        let layer = try deserializeLayer(["class_name": fixture.json["class_name"] ?? nil, "config": fixture.config])
        if let data = fixture.json["adapt"] { try XCTUnwrap(layer as? AdaptableLayer).adapt(try Self.value(data)) }
        let x = try Self.value(try XCTUnwrap(fixture.json["inputs"]?.arrayValue?.first))
        let out = try layer(x)
        let expectedJSON = try XCTUnwrap(fixture.json["outputs"]?.arrayValue?.first)
        let expected = try Self.value(expectedJSON)
        XCTAssertEqual(out.shape, expected.shape, name, file: file, line: line)
        if expectedJSON["strings"] != nil {
            XCTAssertEqual(out.stringValues, expected.stringValues, name, file: file, line: line)
        } else {
            XCTAssertTrue(out.isClose(to: expected, atol: 1e-5, rtol: 1e-5), "\(name): \(out) vs \(expected)", file: file, line: line)
            var shape: [Int?] = [nil] + expected.shape.dropFirst().map { Optional($0) }
            if dynamicLength { shape[shape.count - 1] = nil }
            XCTAssertEqual(try layer.computeOutputShape([nil] + x.shape.dropFirst().map { Optional($0) }),
                           shape, "\(name) output shape", file: file, line: line)
        }
        if fixture.json["adapt"] == nil { fixture.assertConfigMatches(layer, file: file, line: line) }
        return layer
    }

    func testHashingMatchesKeras() throws {
        for name in ["hashing_strings", "hashing_salt", "hashing_salt_pair", "hashing_ints", "hashing_mask_int",
                     "hashing_mask_string", "hashing_one_hot", "hashing_multi_hot"] { try Self.check(name) }
    }

    func testHashFunctionsKnownValues() {
        // SipHash-2-4 reference vector (key 00..0f, message 00..0e): a129ca6149be45e5.
        let key0 = UInt64(littleEndian: 0x0706_0504_0302_0100), key1 = UInt64(0x0f0e_0d0c_0b0a_0908)
        XCTAssertEqual(KerasHash.sipHash(Array(0..<15), key0: key0, key1: key1), 0xa129_ca61_49be_45e5)
        XCTAssertEqual(KerasHash.sipHash([], key0: key0, key1: key1), 0x726f_db47_dd0e_0e31)
    }

    func testStringLookupMatchesKeras() throws {
        for name in ["string_lookup", "string_lookup_mask", "string_lookup_oov3", "string_lookup_oov_salt",
                     "string_lookup_multi_hot", "string_lookup_count", "string_lookup_one_hot", "string_lookup_tf_idf",
                     "string_lookup_invert"] { try Self.check(name) }
        for name in ["string_lookup_adapt", "string_lookup_adapt_tf_idf"] {
            let layer = try XCTUnwrap(try Self.check(name) as? StringLookup)
            let fixture = try LayerFixture("preprocessing/\(name)")
            XCTAssertEqual(layer.getVocabulary(), try XCTUnwrap(fixture.json["vocabulary"]?.arrayValue).compactMap(\.stringValue), name)
            // The adapted vocabulary (and idf weights) travel in the config.
            let copy = try deserializeLayer(["class_name": "StringLookup", "config": layer.getConfig()])
            let x = try Self.value(try XCTUnwrap(fixture.json["inputs"]?.arrayValue?.first))
            XCTAssertTrue(try copy(x).isClose(to: try layer(x), atol: 1e-6, rtol: 1e-6), name)
        }
    }

    /// IntegerLookup with several OOV buckets, from real Keras with TensorFlow: floormod (the
    /// default), FarmHash of the decimal string (oov_method="farmhash"), SipHash with a salt.
    func testIntegerLookupOOVBucketsMatchKeras() throws {
        for name in ["integer_lookup_oov3_floormod", "integer_lookup_oov3_farmhash", "integer_lookup_oov5_salt"] {
            try Self.check(name)
        }
        XCTAssertThrowsError(try IntegerLookup(salt: [1])) { e in XCTAssertTrue("\(e)".contains("salt") && "\(e)".contains("farmhash"), "\(e)") }
        XCTAssertThrowsError(try IntegerLookup(oovMethod: "modulo")) { e in XCTAssertTrue("\(e)".contains("oov_method"), "\(e)") }
    }

    func testStringErrorsNameLayerAndArgument() throws {
        let words = try Tensor(strings: ["a"], shape: [1, 1])
        XCTAssertThrowsError(try StringLookup(name: "lookup_empty")(words)) { e in
            XCTAssertTrue("\(e)".contains("'lookup_empty'") && "\(e)".contains("vocabulary") && "\(e)".contains("adapt"), "\(e)")
        }
        XCTAssertThrowsError(try StringLookup(vocabulary: ["a"], name: "lookup_numbers")(Tensor([[1]]))) { e in
            XCTAssertTrue("\(e)".contains("'lookup_numbers'") && "\(e)".contains("string"), "\(e)")
        }
        XCTAssertThrowsError(try StringLookup(vocabulary: ["a", "b", "a"])) { e in XCTAssertTrue("\(e)".contains("repeated"), "\(e)") }
        XCTAssertThrowsError(try StringLookup(vocabulary: ["a"], outputMode: "tf_idf")) { e in XCTAssertTrue("\(e)".contains("idf_weights"), "\(e)") }
        XCTAssertThrowsError(try StringLookup(encoding: "latin-1")) { e in XCTAssertTrue("\(e)".contains("encoding"), "\(e)") }
        XCTAssertThrowsError(try Hashing(numBins: 0)) { e in XCTAssertTrue("\(e)".contains("num_bins"), "\(e)") }
        XCTAssertThrowsError(try Hashing(numBins: 3, salt: [1, 2, 3])) { e in XCTAssertTrue("\(e)".contains("salt"), "\(e)") }
        XCTAssertThrowsError(try IntegerLookup(vocabulary: [1], name: "ints")(words)) { e in
            XCTAssertTrue("\(e)".contains("'ints'") && "\(e)".contains("'a'"), "\(e)")
        }
        XCTAssertThrowsError(try Tensor(strings: ["a", "b"], shape: [3]))
    }

    func testStringValuesRoundTripAndAreNotNaNData() throws {
        let t = try Tensor(strings: ["x", "", "日本", "x"], shape: [2, 2])
        XCTAssertEqual(t.stringValues, ["x", "", "日本", "x"])
        XCTAssertEqual(t.data[0].bitPattern, t.data[3].bitPattern)
        XCTAssertFalse(t.hasNonFinite)
        XCTAssertTrue(Tensor([Float.nan, 1]).hasNonFinite)
        XCTAssertEqual(Tensor([Float.nan, 2]).stringValues, [nil, nil])
    }

    /// Loads the fixture model `name`.keras (string inputs) and checks its predictions against
    /// `name`.expected.json; returns the model, its inputs and the vocabulary Keras had.
    static func loadKerasModel(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> (Model, [Tensor], [String]) {
        let json = try JSONParser.parse(try String(contentsOfFile: try SavingFixtures.path("\(name).expected.json"), encoding: .utf8))
        let inputs = try XCTUnwrap(json["inputs"]?.arrayValue).map(value)
        let outputs = try XCTUnwrap(json["outputs"]?.arrayValue).map(value)
        let model = try loadModel(try SavingFixtures.path("\(name).keras"))
        assertClose(try model.predict(inputs), outputs, "\(name).keras", file: file, line: line)
        return (model, inputs, try XCTUnwrap(json["vocabulary"]?.arrayValue).compactMap(\.stringValue))
    }

    /// Keras's file (StringLookup adapted: vocabulary in the .keras assets) loads with equal
    /// predictions; saved here (.keras, .h5) it reloads with equal predictions.
    func testKerasStringPreprocessingModelLoadsAndSaves() throws {
        let (model, inputs, vocabulary) = try Self.loadKerasModel("string_preprocessing_model")
        let lookup = try XCTUnwrap(model.layers.first { $0 is StringLookup } as? StringLookup)
        XCTAssertEqual(lookup.getVocabulary(), vocabulary)
        try model.fit(inputs, [Tensor(shape: [6, 1], repeating: 0.5)], epochs: 2, verbose: 0)
        let trained = try model.predict(inputs)
        for ext in ["keras", "h5"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("strprep-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            assertClose(try loadModel(path).predict(inputs), trained, "saved here as .\(ext)")
        }
    }

    /// A StringLookup adapted inside a model through Model.adaptLayer, as C and Python do.
    func testAdaptStringLookupInsideModel() throws {
        let model = try Sequential([InputLayer(shape: [2]), StringLookup(outputMode: "count", name: "words")])
        try model.adaptLayer(name: "words", try Tensor(strings: ["b", "a", "b", "c"], shape: [2, 2]))
        let out = try model.predict(try Tensor(strings: ["b", "z", "c", "c"], shape: [2, 2]))
        XCTAssertEqual(out.shape, [2, 4])
        XCTAssertEqual(out.scalars, [1, 1, 0, 0, 0, 0, 2, 0])   // [UNK], b, c, a (ties: larger first)
    }
}
