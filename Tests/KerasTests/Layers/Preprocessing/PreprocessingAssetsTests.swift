import Foundation
import XCTest
import ZIPFoundation
@testable import Keras

/// Adapted lookup layers in a `.keras` file as Keras 3 writes them: the vocabulary in
/// `assets/<layer path>/vocabulary.txt` (the config's `vocabulary` null), `tf_idf` weights as the
/// `idf_weights` variable; given vocabularies stay in the config with no assets.
final class PreprocessingAssetsTests: XCTestCase {
    static func member(_ path: String, _ name: String) throws -> String? {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        guard let entry = archive[name] else { return nil }
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        return String(decoding: data, as: UTF8.self)
    }

    func testAdaptedLayersWriteTheirVocabularyAsAssets() throws {
        let (model, inputs) = try LookupInteropExportTests.model()
        let expected = try model.predict(inputs)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString).keras").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path)
        // StringLookup adapted on ["b", "a", "b", "c", "b", "a"]: by count, ties larger first.
        XCTAssertEqual(try Self.member(path, "assets/layers/string_lookup/vocabulary.txt"), "[UNK]\nb\na\nc")
        XCTAssertEqual(try Self.member(path, "assets/layers/integer_lookup/vocabulary.txt"), "-1\n7\n3\n5")
        let tv = try XCTUnwrap(try Self.member(path, "assets/layers/text_vectorization/vocabulary.txt"))
        XCTAssertEqual(tv, try Self.member(path, "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"))
        XCTAssertEqual(tv.split(separator: "\n", omittingEmptySubsequences: false).prefix(3), ["[UNK]", "the", "dog"])   // the 3, then dog, cat, a 2 (ties: larger first)
        XCTAssertNil(try Self.member(path, "assets/layers/string_lookup_1/vocabulary.txt"), "a given vocabulary stays in the config")
        let config = try JSONParser.parse(try XCTUnwrap(try Self.member(path, "config.json")))
        let layers = try XCTUnwrap(config["config"]?["layers"]?.arrayValue)
        func layerConfig(_ name: String) throws -> JSON { try XCTUnwrap(layers.first { $0["config"]?["name"]?.stringValue == name }?["config"]) }
        for name in ["words", "ids", "text"] {
            XCTAssertEqual(try layerConfig(name)["vocabulary"], .null, name)
        }
        XCTAssertEqual(try layerConfig("text")["idf_weights"], .null)
        XCTAssertEqual(try layerConfig("words")["vocabulary_size"]?.intValue, 4)
        XCTAssertEqual(try layerConfig("given")["vocabulary"]?.arrayValue?.count, 2)
        // The idf weights as a variable (one per index: the OOV index takes their mean).
        let text = try XCTUnwrap(model.layers.first { $0 is TextVectorization } as? TextVectorization)
        let idf = try XCTUnwrap(text.lookup.core.idfWeights)
        XCTAssertEqual(idf.count, text.vocabularySize)
        let reader = try KerasArchive.open(path)
        let h5 = try HDF5File.open(image: try XCTUnwrap(try KerasArchive.member(reader, "model.weights.h5", limit: 1 << 30)), name: "w")
        for group in ["layers/text_vectorization/vars", "layers/text_vectorization/_lookup_layer/vars"] {
            XCTAssertEqual(try XCTUnwrap(try h5.root().group(group)).readTensor("idf_weights").scalars, idf, group)
        }
        // Loaded back, the layers have their vocabularies and predict the same numbers.
        let loaded = try loadModel(path)
        assertClose(try loaded.predict(inputs), expected, "reloaded .keras")
        XCTAssertEqual((loaded.layers.first { $0 is StringLookup && $0.name == "words" } as? StringLookup)?.getVocabulary(), ["[UNK]", "b", "a", "c"])
        // Outside a .keras archive (Python, JSON, .h5) the config keeps the list.
        XCTAssertEqual(model.layers.first { $0.name == "words" }?.getConfig()["vocabulary"]?.arrayValue?.count, 3)
        let h5Path = FileManager.default.temporaryDirectory.appendingPathComponent("assets-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: h5Path) }
        try model.save(h5Path)
        assertClose(try loadModel(h5Path).predict(inputs), expected, "reloaded .h5")
    }

    /// Keras's file (adapted IntegerLookup multi_hot, StringLookup tf_idf with its idf weights in
    /// the variables) loads with equal predictions and vocabularies; saved here, its assets are
    /// byte for byte Keras's and it reloads with equal predictions.
    func testKerasLookupAssetsLoadAndSaveTheSame() throws {
        let json = try JSONParser.parse(try String(contentsOfFile: try SavingFixtures.path("lookup_assets_model.expected.json"), encoding: .utf8))
        let inputs = try XCTUnwrap(json["inputs"]?.arrayValue).map(StringPreprocessingTests.value)
        let outputs = try XCTUnwrap(json["outputs"]?.arrayValue).map(StringPreprocessingTests.value)
        let keras = try SavingFixtures.path("lookup_assets_model.keras")
        let model = try loadModel(keras)
        assertClose(try model.predict(inputs), outputs, "Keras's file")
        let ids = try XCTUnwrap(model.layers.first { $0.name == "ids" } as? IntegerLookup)
        let words = try XCTUnwrap(model.layers.first { $0.name == "words" } as? StringLookup)
        XCTAssertEqual(ids.getVocabulary(), try XCTUnwrap(json["ids_vocabulary"]?.arrayValue).compactMap(\.intValue))
        XCTAssertEqual(words.getVocabulary(), try XCTUnwrap(json["words_vocabulary"]?.arrayValue).compactMap(\.stringValue))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lookup-\(UUID().uuidString).keras").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path)
        for member in ["assets/layers/integer_lookup/vocabulary.txt", "assets/layers/string_lookup/vocabulary.txt"] {
            XCTAssertEqual(try Self.member(path, member), try Self.member(keras, member), member)
        }
        assertClose(try loadModel(path).predict(inputs), outputs, "saved here")
    }
}

/// Writes a model with adapted StringLookup, IntegerLookup and tf_idf TextVectorization for
/// Tests/interop/test_text_in_keras.py: real Keras (with TensorFlow) loads their vocabularies from
/// the `.keras` assets and predicts the same numbers.
final class LookupInteropExportTests: XCTestCase {
    static func model() throws -> (Model, [Tensor]) {
        setRandomSeed(7)
        let words = try StringLookup(outputMode: "one_hot", name: "words")
        try words.adapt(strings: ["b", "a", "b", "c", "b", "a"])
        let ids = try IntegerLookup(outputMode: "multi_hot", name: "ids")
        try ids.adapt(Tensor(shape: [6, 1], scalars: [7, 3, 7, 5, 7, 3]))
        let text = try TextVectorization(maxTokens: 8, outputMode: "tf_idf", name: "text")
        try text.adapt(strings: ["the cat sat", "the dog", "a cat and a dog", "the end"])
        let given = try StringLookup(vocabulary: ["x", "y"], outputMode: "count", name: "given")
        let w = Input(shape: [1], dtype: "string", name: "w"), i = Input(shape: [1], name: "i")
        let t = Input(shape: [1], dtype: "string", name: "t"), g = Input(shape: [2], dtype: "string", name: "g")
        let merged = try Concatenate(name: "merge")([words(w), ids(i), text(t), given(g)])
        let model = try Model(inputs: [w, i, t, g], outputs: Dense(1, name: "out")(merged), name: "swift_lookup")
        let inputs = [try Tensor(strings: ["a", "c", "zz"], shape: [3, 1]), try Tensor(shape: [3, 1], scalars: [3, 9, 5]),
                      try Tensor(strings: ["the cat", "a dog and a dog", "unseen words"], shape: [3, 1]),
                      try Tensor(strings: ["x", "y", "y", "q", "x", "x"], shape: [3, 2])]
        return (model, inputs)
    }

    func testWriteLookupModelForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let (model, inputs) = try Self.model()
        try model.save("\(out)/swift_lookup.keras")
        let preds = try model.predict(inputs)
        let info: JSON = ["strings": .array(inputs.map { .array(($0.stringValues).map { $0.map { .string($0) } ?? .null }) }),
                          "ids": .array(inputs[1].scalars.map { .double(Double($0)) }),
                          "outputs": .array(preds[0].scalars.map { .double(Double($0)) })]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_lookup.expected.json"))
    }
}
