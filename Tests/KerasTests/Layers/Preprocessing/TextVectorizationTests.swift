import Foundation
import XCTest
@testable import Keras

/// TextVectorization against the fixtures of scripts/make_text_vectorization_fixtures.py (real
/// Keras 3.15 with TensorFlow): rebuilt from Keras's configs, adapted on the same documents,
/// equal outputs, vocabularies and configs; Keras's text model (vocabulary in the .keras assets)
/// loads, trains and saves; the text-classification pattern built here trains and saves.
final class TextVectorizationTests: XCTestCase {
    /// Fixtures whose `int` rows are as long as the longest row (no output_sequence_length).
    static let dynamicLength: Set = ["text_vectorization_adapt", "text_vectorization_rank1", "text_vectorization_strip",
                                     "text_vectorization_raw", "text_vectorization_character", "text_vectorization_no_split"]

    func testMatchesKerasFixtures() throws {
        for name in ["text_vectorization_vocab", "text_vectorization_tf_idf_vocab", "text_vectorization_no_split"] {
            try StringPreprocessingTests.check(name, dynamicLength: Self.dynamicLength.contains(name))
        }
        for name in ["text_vectorization_docs", "text_vectorization_adapt", "text_vectorization_rank1", "text_vectorization_lower",
                     "text_vectorization_strip", "text_vectorization_raw", "text_vectorization_character",
                     "text_vectorization_ngrams", "text_vectorization_multi_hot", "text_vectorization_tf_idf"] {
            let layer = try XCTUnwrap(try StringPreprocessingTests.check(name, dynamicLength: Self.dynamicLength.contains(name))
                                      as? TextVectorization)
            let fixture = try LayerFixture("preprocessing/\(name)")
            XCTAssertEqual(layer.getVocabulary(), try XCTUnwrap(fixture.json["vocabulary"]?.arrayValue).compactMap(\.stringValue), name)
            // Keras's config of an adapted layer, but for the vocabulary (and idf weights) it carries here.
            var config = layer.getConfig()
            config.set("vocabulary", nil)
            config.set("idf_weights", nil)
            XCTAssertEqual(config, fixture.config, name)
            let copy = try deserializeLayer(["class_name": "TextVectorization", "config": layer.getConfig()])
            let x = try StringPreprocessingTests.value(try XCTUnwrap(fixture.json["inputs"]?.arrayValue?.first))
            XCTAssertTrue(try copy(x).isClose(to: try layer(x), atol: 1e-6, rtol: 1e-6), "\(name): config round trip")
        }
    }

    func testKerasDocExampleAndVocabularyAPI() throws {
        let layer = try TextVectorization(maxTokens: 5000, outputSequenceLength: 4)
        try layer.adapt(strings: ["foo bar", "bar baz", "baz bada boom"])
        XCTAssertEqual(try layer(Tensor(strings: ["foo qux bar", "qux baz"], shape: [2, 1])).scalars, [4, 1, 3, 0, 1, 2, 0, 0])
        XCTAssertEqual(layer.getVocabulary(), ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"])
        XCTAssertEqual(layer.getVocabulary(includeSpecialTokens: false), ["baz", "bar", "foo", "boom", "bada"])
        XCTAssertEqual(layer.vocabularySize, 7)

        let given = try TextVectorization(outputSequenceLength: 4, vocabulary: ["earth", "wind", "and", "fire"])
        XCTAssertEqual(given.getVocabulary(), ["", "[UNK]", "earth", "wind", "and", "fire"])
        try given.setVocabulary(["", "[UNK]", "fire", "water"])   // special tokens first are skipped
        XCTAssertEqual(try given(Tensor(strings: ["Water & fire!"], shape: [1])).scalars, [3, 2, 0, 0])
        XCTAssertThrowsError(try given.adapt(strings: ["a b"])) { e in XCTAssertTrue("\(e)".contains("vocabulary"), "\(e)") }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "earth\nwind\nfire\n".write(toFile: path, atomically: true, encoding: .utf8)
        let fromFile = try deserializeLayer(["class_name": "TextVectorization",
                                             "config": ["name": "from_file", "vocabulary": .string(path), "output_mode": "count"]])
        XCTAssertEqual(try fromFile(Tensor(strings: ["fire fire and wind"], shape: [1, 1])).scalars, [1, 0, 1, 2])
        XCTAssertEqual((fromFile as? TextVectorization)?.getVocabulary(), ["[UNK]", "earth", "wind", "fire"])
    }

    func testErrorsNameLayerAndArgument() throws {
        let words = try Tensor(strings: ["a b"], shape: [1, 1])
        XCTAssertThrowsError(try TextVectorization(name: "tv_empty")(words)) { e in
            XCTAssertTrue("\(e)".contains("'tv_empty'") && "\(e)".contains("adapt"), "\(e)")
        }
        let layer = try TextVectorization(vocabulary: ["a"], name: "tv_bad")
        XCTAssertThrowsError(try layer(Tensor([[1]]))) { e in XCTAssertTrue("\(e)".contains("'tv_bad'") && "\(e)".contains("string"), "\(e)") }
        XCTAssertThrowsError(try layer(Tensor(strings: ["a", "b"], shape: [1, 2]))) { e in
            XCTAssertTrue("\(e)".contains("'tv_bad'") && "\(e)".contains("[batch, 1]"), "\(e)")
        }
        XCTAssertThrowsError(try TextVectorization(outputMode: "multi_hot", outputSequenceLength: 3)) { e in
            XCTAssertTrue("\(e)".contains("output_sequence_length"), "\(e)")
        }
        XCTAssertThrowsError(try TextVectorization(outputMode: "bag")) { e in XCTAssertTrue("\(e)".contains("output_mode"), "\(e)") }
        XCTAssertThrowsError(try TextVectorization(ngramWidths: [1, 0])) { e in XCTAssertTrue("\(e)".contains("ngrams"), "\(e)") }
        XCTAssertThrowsError(try TextVectorization(ragged: true)) { e in XCTAssertTrue("\(e)".contains("ragged"), "\(e)") }
        XCTAssertThrowsError(try TextVectorization(vocabulary: ["a"], idfWeights: [1])) { e in XCTAssertTrue("\(e)".contains("idf_weights"), "\(e)") }
        let callable: JSON = ["module": "builtins", "class_name": "function", "config": "my_standardize", "registered_name": "function"]
        XCTAssertThrowsError(try deserializeLayer(["class_name": "TextVectorization", "config": ["name": "tv", "standardize": callable]])) { e in
            XCTAssertTrue("\(e)".contains("standardize") && "\(e)".contains("callable"), "\(e)")
        }
        XCTAssertThrowsError(try deserializeLayer(["class_name": "TextVectorization",
                                                   "config": ["name": "tv", "vocabulary": "/nonexistent/vocab.txt"]])) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/vocab.txt"), "\(e)")
        }
    }

    /// Keras's text model (TextVectorization adapted: vocabulary in the .keras assets) loads
    /// with equal predictions, trains, and saved here (.keras, .h5) reloads with equal predictions.
    func testKerasTextModelLoadsTrainsAndSaves() throws {
        let (model, inputs, vocabulary) = try StringPreprocessingTests.loadKerasModel("text_model")
        XCTAssertEqual(try XCTUnwrap(model.layers.first { $0 is TextVectorization } as? TextVectorization).getVocabulary(), vocabulary)
        try Self.checkTrainsAndSaves(model, inputs[0])
    }

    /// Keras's tf_idf TextVectorization (vocabulary in the assets, idf weights in the variables)
    /// loads with equal predictions and saves here.
    func testKerasTfIdfModelLoadsAndSaves() throws {
        let (model, inputs, vocabulary) = try StringPreprocessingTests.loadKerasModel("text_tf_idf_model")
        XCTAssertEqual(try XCTUnwrap(model.layers.first { $0 is TextVectorization } as? TextVectorization).getVocabulary(), vocabulary)
        let expected = try model.predict(inputs)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tfidf-\(UUID().uuidString).keras").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path)
        assertClose(try loadModel(path).predict(inputs), expected, "saved here")
    }

    /// The text-classification pattern built here: adapt on strings, fit, predict on raw strings.
    func testTextClassificationModelTrainsAndSaves() throws {
        setRandomSeed(11)
        let (model, texts, labels) = try TextInteropExportTests.model()
        let before = try model.evaluate(texts, labels, verbose: 0)
        try model.fit([texts], [labels], batchSize: 8, epochs: 30, verbose: 0)
        XCTAssertLessThan(try model.evaluate(texts, labels, verbose: 0)[0], before[0], "the loss falls")
        let probe = try Tensor(strings: ["great fun", "dull and boring", "words never seen"], shape: [3, 1])
        let p = try model.predict(probe)
        XCTAssertGreaterThan(p.scalars[0], p.scalars[1], "a good review scores above a bad one")
        try Self.checkTrainsAndSaves(model, probe)
    }

    static func checkTrainsAndSaves(_ model: Model, _ probe: Tensor, file: StaticString = #filePath, line: UInt = #line) throws {
        if model.optimizer == nil { try model.compile(optimizer: "adam", loss: "binary_crossentropy") }
        try model.fit([probe], [Tensor(shape: [probe.shape[0], 1], repeating: 0.5)], epochs: 2, verbose: 0)
        let trained = try model.predict(probe)
        for ext in ["keras", "h5"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            assertClose([try loadModel(path).predict(probe)], [trained], "saved here as .\(ext)", file: file, line: line)
        }
    }
}

/// Writes a text model trained here for Tests/interop/test_text_in_keras.py (real Keras with
/// TensorFlow loads it and predicts the same numbers).
final class TextInteropExportTests: XCTestCase {
    /// String input → TextVectorization (adapted) → Embedding → GlobalAveragePooling1D → Dense.
    static func model() throws -> (Model, Tensor, Tensor) {
        let good = ["great fun film", "loved it", "a wonderful story", "great acting, great fun", "wonderful!"]
        let bad = ["boring film", "hated it", "a dull story", "terrible acting", "dull and boring"]
        let texts: [String] = (0..<40).map { (i: Int) -> String in i % 2 == 0 ? good[i % 5] : bad[i % 5] }
        let labels = try Tensor(shape: [40, 1], scalars: (0..<40).map { (i: Int) -> Float in i % 2 == 0 ? 1 : 0 })
        let vectorize = try TextVectorization(maxTokens: 30, outputSequenceLength: 6, name: "vectorize")
        try vectorize.adapt(strings: texts)
        let input = Input(shape: [1], dtype: "string", name: "text")
        let pooled = try GlobalAveragePooling1D(name: "pool")(Embedding(30, 4, name: "embedding")(vectorize(input)))
        let model = try Model(inputs: input, outputs: Dense(1, activation: .sigmoid, name: "out")(pooled), name: "swift_text")
        try model.compile(optimizer: "adam", loss: "binary_crossentropy")
        return (model, try Tensor(strings: texts, shape: [40, 1]), labels)
    }

    func testWriteTextModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(4)
        let (model, texts, labels) = try Self.model()
        try model.fit([texts], [labels], batchSize: 8, epochs: 3, verbose: 0)
        for ext in ["keras", "h5"] { try model.save("\(out)/swift_text.\(ext)") }
        let probe = ["great story", "boring and dull", "never seen words", "Loved it!"]
        let preds = try model.predict(try Tensor(strings: probe, shape: [4, 1]))
        let info: JSON = ["inputs": .array(probe.map { .string($0) }), "outputs": .array(preds.scalars.map { .double(Double($0)) })]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_text.expected.json"))
    }
}
