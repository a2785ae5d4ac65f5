/// Maps string tokens to indices in a vocabulary (given, or learnt by ``adapt(_:)`` by
/// frequency), with `numOovIndices` hashed buckets for strings outside it and an optional mask
/// token; `invert` maps indices back to strings; outputs `int` indices or their `one_hot`,
/// `multi_hot`, `count` or `tf_idf` encoding. Inputs are string tensors (``StringValues``).
/// Keras: `keras.layers.StringLookup`.
///
/// ```swift
/// let lookup = try StringLookup(vocabulary: ["a", "b", "c", "d"])
/// try lookup(Tensor(strings: ["a", "c", "d", "d", "z", "b"], shape: [2, 3]))   // [[1, 3, 4], [4, 0, 2]]
/// ```
public final class StringLookup: Layer, AdaptableLayer, @unchecked Sendable {
    var core: IndexLookup<String>
    /// The vocabulary given at construction (nil when adapted), as Keras's config writes it.
    public let inputVocabulary: [String]?
    /// The idf weights given at construction (`tf_idf`), as Keras's config writes them.
    public let inputIdfWeights: [Float]?
    /// The SipHash key of the OOV buckets (`salt`), nil for FarmHash.
    public var salt: [UInt64]? { core.salt }

    public init(maxTokens: Int? = nil, numOovIndices: Int = 1, maskToken: String? = nil, oovToken: String = "[UNK]",
                vocabulary: [String]? = nil, idfWeights: [Float]? = nil, invert: Bool = false, outputMode: String = "int",
                padToMaxTokens: Bool = false, sparse: Bool = false, encoding: String = "utf-8", salt: [Int]? = nil,
                name: String? = nil) throws {
        guard encoding.lowercased().replacingOccurrences(of: "_", with: "-") == "utf-8" else {
            throw KerasError.invalidArgument("StringLookup: encoding must be 'utf-8' (strings are UTF-8 here), got '\(encoding)'")
        }
        core = try IndexLookup(who: "StringLookup", maxTokens: maxTokens, numOovIndices: numOovIndices, maskToken: maskToken,
                               oovToken: oovToken, invert: invert, outputMode: outputMode, sparse: sparse, padToMaxTokens: padToMaxTokens)
        core.salt = try Hashing.saltKey(salt, layer: "StringLookup")
        self.inputVocabulary = vocabulary
        self.inputIdfWeights = idfWeights
        super.init(name: name)
        core.who = "StringLookup '\(self.name)'"
        core.vocabularyInConfig = vocabulary != nil
        if let vocabulary { try core.setVocabulary(vocabulary, idf: idfWeights) }
    }

    /// The number of indices: mask, OOV buckets and tokens. Keras: `vocabulary_size()`.
    public var vocabularySize: Int? { core.vocabularySize }

    /// The vocabulary with the mask and OOV tokens first (index order). Keras: `get_vocabulary()`.
    public func getVocabulary(includeSpecialTokens: Bool = true) -> [String] {
        core.vocabulary(includeSpecialTokens: includeSpecialTokens)
    }

    /// Sets the vocabulary (leading mask and OOV tokens are skipped). Keras: `set_vocabulary`.
    public func setVocabulary(_ vocabulary: [String], idfWeights: [Float]? = nil) throws {
        try core.setVocabulary(vocabulary, idf: idfWeights)
    }

    /// Learns the vocabulary from the strings of `data` by decreasing count (ties: the larger
    /// UTF-8 bytes first), at most `maxTokens` indices in all.
    public func adapt(_ data: Tensor) throws { try core.adapt(data, hasVocabulary: inputVocabulary != nil) }

    /// Learns the vocabulary from `strings` (one document per row of `shape`).
    public func adapt(strings: [String], shape: [Int]? = nil) throws {
        try adapt(Tensor(strings: strings, shape: shape ?? [strings.count]))
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor { try core.call(x.detached) }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { core.outputShape(inputShape) }
}

extension StringLookup: AssetLayer {
    func saveAssets() throws -> [String: [UInt8]] { core.assetFiles() }
    func loadAssets(file: (String) throws -> [UInt8]?, variable: (String) throws -> Tensor?) throws {
        try core.loadAssets(file: file, variable: variable)
    }
    func namedVariables() -> [String: Tensor] { core.namedVariables() }
}

extension StringLookup: DeclaredLayer {
    /// Keras: `StringLookup(max_tokens=None, num_oov_indices=1, mask_token=None,
    /// oov_token="[UNK]", vocabulary=None, idf_weights=None, invert=False, output_mode="int",
    /// pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None)`. An adapted
    /// layer's vocabulary goes, as Keras's, into a `.keras` file's assets (`vocabulary.txt`, the
    /// config's `vocabulary` None), and into the config everywhere else (`.h5`, JSON, Python).
    public static let declaration = LayerDeclaration(StringLookup.self, constructorOrder: [
        "max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary", "idf_weights", "invert",
        "output_mode", "pad_to_max_tokens", "sparse", "encoding", "salt",
    ], arguments: [
        .optional("invert", default: false) { .bool($0.core.invert) },
        .optional("max_tokens", default: nil) { $0.core.maxTokens.configValue },
        .optional("num_oov_indices", default: 1) { .int($0.core.numOovIndices) },
        .optional("oov_token", default: "[UNK]") { .string($0.core.oovToken) },
        .optional("mask_token", default: nil) { $0.core.maskToken.configValue },
        .optional("output_mode", default: "int") { .string($0.core.outputMode.rawValue) },
        .optional("sparse", default: false) { _ in .bool(false) },
        .optional("pad_to_max_tokens", default: false) { .bool($0.core.padToMaxTokens) },
        .optional("idf_weights", default: nil) { l in l.core.idfJSON(given: l.inputIdfWeights) },
        .optional("vocabulary", default: nil) { l in l.core.vocabularyJSON(given: l.inputVocabulary) },
        .optional("vocabulary_size", default: nil) { l in l.vocabularySize.map { .int($0) } ?? .null },
        .optional("oov_method", default: "floormod") { _ in "floormod" },
        .optional("salt", default: nil) { l in l.salt.map { .array($0.map { .int(Int(truncatingIfNeeded: $0)) }) } ?? .null },
        .optional("encoding", default: "utf-8") { _ in "utf-8" },
    ]) { c in
        let vocabulary = try c["vocabulary"].map { v -> [String] in
            guard let a = v.arrayValue, a.count <= 1 << 24 else { throw KerasError.io("StringLookup config: 'vocabulary' must be a list of strings") }
            return try a.map { e in
                guard let s = e.stringValue else { throw KerasError.io("StringLookup config: 'vocabulary' must hold strings, got \(e)") }
                return s
            }
        }
        let layer = try StringLookup(maxTokens: c.optionalInt("max_tokens"), numOovIndices: c.int("num_oov_indices"),
                                maskToken: c["mask_token"]?.stringValue, oovToken: c.string("oov_token"),
                                vocabulary: vocabulary, idfWeights: c.optionalNumbers("idf_weights")?.map { Float($0) },
                                invert: c.bool("invert"), outputMode: c.string("output_mode"),
                                padToMaxTokens: c.bool("pad_to_max_tokens"), sparse: c.bool("sparse", default: false),
                                encoding: c["encoding"]?.stringValue ?? "utf-8", salt: try Hashing.saltConfig(c), name: c.name)
        layer.core.frozenVocabularySize = try c.optionalInt("vocabulary_size")
        return layer
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(StringLookup.self, $0) }
