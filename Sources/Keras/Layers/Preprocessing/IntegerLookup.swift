/// Maps integer tokens to indices in a vocabulary (given, or learnt by ``adapt(_:)`` by
/// frequency), with `numOovIndices` buckets for tokens outside it and an optional mask token;
/// `invert` maps indices back to tokens; outputs `int` indices or their `one_hot`, `multi_hot`
/// or `count` encoding. Keras: `keras.layers.IntegerLookup`.
///
/// ```swift
/// let lookup = try IntegerLookup(vocabulary: [12, 36, 1138, 42])
/// try lookup(Tensor([[12, 1138, 42], [42, 1000, 36]]))   // [[1, 3, 4], [4, 0, 2]]
/// ```
public final class IntegerLookup: Layer, AdaptableLayer, @unchecked Sendable {
    var core: IndexLookup<Int>
    public var maxTokens: Int? { core.maxTokens }
    public var numOovIndices: Int { core.numOovIndices }
    public var maskToken: Int? { core.maskToken }
    public var oovToken: Int { core.oovToken }
    public var invert: Bool { core.invert }
    public var outputMode: CategoricalOutputMode { core.outputMode }
    public var padToMaxTokens: Bool { core.padToMaxTokens }
    /// The vocabulary given at construction (nil when adapted), as Keras's config writes it.
    public let inputVocabulary: [Int]?
    /// The idf weights given at construction (`tf_idf`), as Keras's config writes them.
    public let inputIdfWeights: [Float]?
    /// The tokens after the mask and OOV indices, in index order; nil before a vocabulary is set.
    public var tokens: [Int]? { core.tokens }

    /// How OOV integers pick one of several buckets: `"floormod"` (`x mod n`) or `"farmhash"`
    /// (a hash of the decimal string, keyed by `salt` when given). Keras: `oov_method`.
    public var oovMethod: String { core.oovFarmhash ? "farmhash" : "floormod" }
    /// The SipHash key of the OOV buckets (`salt`, with `oov_method="farmhash"`), nil for FarmHash.
    public var salt: [UInt64]? { core.salt }

    public init(maxTokens: Int? = nil, numOovIndices: Int = 1, maskToken: Int? = nil, oovToken: Int = -1,
                vocabulary: [Int]? = nil, idfWeights: [Float]? = nil, invert: Bool = false, outputMode: String = "int",
                sparse: Bool = false, padToMaxTokens: Bool = false, oovMethod: String = "floormod", salt: [Int]? = nil,
                name: String? = nil) throws {
        guard oovMethod == "floormod" || oovMethod == "farmhash" else {
            throw KerasError.invalidArgument("IntegerLookup: oov_method must be 'floormod' or 'farmhash', got '\(oovMethod)'")
        }
        guard salt == nil || oovMethod == "farmhash" else {
            throw KerasError.invalidArgument("IntegerLookup: salt can only be used when oov_method='farmhash', got oov_method='\(oovMethod)'")
        }
        core = try IndexLookup(who: "IntegerLookup", maxTokens: maxTokens, numOovIndices: numOovIndices, maskToken: maskToken,
                               oovToken: oovToken, invert: invert, outputMode: outputMode, sparse: sparse, padToMaxTokens: padToMaxTokens)
        core.oovFarmhash = oovMethod == "farmhash"
        core.salt = try Hashing.saltKey(salt, layer: "IntegerLookup")
        self.inputVocabulary = vocabulary
        self.inputIdfWeights = idfWeights
        super.init(name: name)
        core.who = "IntegerLookup '\(self.name)'"
        core.vocabularyInConfig = vocabulary != nil
        if let vocabulary { try core.setVocabulary(vocabulary, idf: idfWeights) }
    }

    /// The number of indices: mask, OOV buckets and tokens. Keras: `vocabulary_size()`.
    public var vocabularySize: Int? { core.vocabularySize }

    /// The vocabulary with the mask and OOV tokens first (index order). Keras: `get_vocabulary()`.
    public func getVocabulary(includeSpecialTokens: Bool = true) -> [Int] {
        core.vocabulary(includeSpecialTokens: includeSpecialTokens)
    }

    /// Sets the vocabulary (its leading mask and OOV tokens, if present, are skipped).
    /// Keras: `set_vocabulary(vocabulary, idf_weights)`.
    public func setVocabulary(_ vocabulary: [Int], idfWeights: [Float]? = nil) throws {
        try core.setVocabulary(vocabulary, idf: idfWeights)
    }

    /// Learns the vocabulary from `data`: every token but the mask and OOV ones, by decreasing
    /// count (ties: larger token first), at most `maxTokens` indices in all.
    public func adapt(_ data: Tensor) throws { try core.adapt(data, hasVocabulary: inputVocabulary != nil) }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor { try core.call(x) }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { core.outputShape(inputShape) }
}

extension IntegerLookup: AssetLayer {
    func saveAssets() throws -> [String: [UInt8]] { core.assetFiles() }
    func loadAssets(file: (String) throws -> [UInt8]?, variable: (String) throws -> Tensor?) throws {
        try core.loadAssets(file: file, variable: variable)
    }
    func namedVariables() -> [String: Tensor] { core.namedVariables() }
}

extension IntegerLookup: DeclaredLayer {
    /// Keras: `IntegerLookup(max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
    /// vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
    /// output_mode="int", sparse=False, pad_to_max_tokens=False)`. An adapted layer's vocabulary
    /// goes, as Keras's, into a `.keras` file's assets (`vocabulary.txt`), and into the config
    /// everywhere else (`.h5`, JSON, Python).
    public static let declaration = LayerDeclaration(IntegerLookup.self, constructorOrder: [
        "max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary", "vocabulary_dtype",
        "idf_weights", "invert", "output_mode", "sparse", "pad_to_max_tokens", "oov_method", "salt",
    ], arguments: [
        .optional("invert", \.invert, default: false),
        .optional("max_tokens", \.maxTokens, default: nil),
        .optional("num_oov_indices", \.numOovIndices, default: 1),
        .optional("oov_token", \.oovToken, default: -1),
        .optional("mask_token", \.maskToken, default: nil),
        .optional("output_mode", \.outputMode, default: .int),
        .optional("sparse", default: false) { _ in .bool(false) },
        .optional("pad_to_max_tokens", \.padToMaxTokens, default: false),
        .optional("vocabulary_dtype", default: "int64") { _ in "int64" },
        .optional("idf_weights", default: nil) { l in l.core.idfJSON(given: l.inputIdfWeights) },
        .optional("vocabulary", default: nil) { l in l.core.vocabularyJSON(given: l.inputVocabulary) },
        .optional("vocabulary_size", default: nil) { l in l.vocabularySize.map { .int($0) } ?? .null },
        .optional("oov_method", default: "floormod") { .string($0.oovMethod) },
        .optional("salt", default: nil) { l in l.salt.map { .array($0.map { .int(Int(truncatingIfNeeded: $0)) }) } ?? .null },
    ]) { c in
        let vocabulary = try c.optionalNumbers("vocabulary").map { try $0.map { v -> Int in
            guard v == v.rounded(), abs(v) < 9e15 else { throw KerasError.io("IntegerLookup config: 'vocabulary' must hold integers, got \(v)") }
            return Int(v)
        } }
        let layer = try IntegerLookup(maxTokens: c.optionalInt("max_tokens"), numOovIndices: c.int("num_oov_indices"),
                                 maskToken: c.optionalInt("mask_token"), oovToken: c.int("oov_token"),
                                 vocabulary: vocabulary, idfWeights: c.optionalNumbers("idf_weights")?.map { Float($0) }, invert: c.bool("invert"), outputMode: c.string("output_mode"),
                                 sparse: c.bool("sparse", default: false), padToMaxTokens: c.bool("pad_to_max_tokens"),
                                 oovMethod: c.string("oov_method", default: "floormod"), salt: try Hashing.saltConfig(c), name: c.name)
        layer.core.frozenVocabularySize = try c.optionalInt("vocabulary_size")
        return layer
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(IntegerLookup.self, $0) }
