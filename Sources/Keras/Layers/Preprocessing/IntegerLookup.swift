/// Maps integer tokens to indices in a vocabulary (given, or learnt by ``adapt(_:)`` by
/// frequency), with `numOovIndices` buckets for tokens outside it and an optional mask token;
/// `invert` maps indices back to tokens; outputs `int` indices or their `one_hot`, `multi_hot`
/// or `count` encoding. Keras: `keras.layers.IntegerLookup`.
///
/// ```swift
/// let lookup = try IntegerLookup(vocabulary: [12, 36, 1138, 42])
/// try lookup(Tensor([[12, 1138, 42], [42, 1000, 36]]))   // [[1, 3, 4], [4, 0, 2]]
/// ```
public final class IntegerLookup: Layer, AdaptableLayer {
    public let maxTokens: Int?
    public let numOovIndices: Int
    public let maskToken: Int?
    public let oovToken: Int
    public let invert: Bool
    public let outputMode: CategoricalOutputMode
    public let padToMaxTokens: Bool
    /// The vocabulary given at construction (nil when adapted), as Keras's config writes it.
    public let inputVocabulary: [Int]?
    /// The tokens after the mask and OOV indices, in index order; nil before a vocabulary is set.
    public private(set) var tokens: [Int]?
    private var indexOf: [Int: Int] = [:]

    public init(maxTokens: Int? = nil, numOovIndices: Int = 1, maskToken: Int? = nil, oovToken: Int = -1,
                vocabulary: [Int]? = nil, invert: Bool = false, outputMode: String = "int",
                sparse: Bool = false, padToMaxTokens: Bool = false, name: String? = nil) throws {
        let who = "IntegerLookup"
        if let maxTokens, maxTokens <= 1 {
            throw KerasError.invalidArgument("\(who): if max_tokens is set, it must be greater than 1, got \(maxTokens)")
        }
        guard numOovIndices >= 0 else {
            throw KerasError.invalidArgument("\(who): num_oov_indices must be >= 0, got \(numOovIndices)")
        }
        if padToMaxTokens && maxTokens == nil {
            throw KerasError.invalidArgument("\(who): pad_to_max_tokens=True needs max_tokens")
        }
        guard !sparse else { throw KerasError.invalidArgument("\(who): sparse=True is not supported (dense outputs only)") }
        let mode = try CategoricalOutputMode.named(outputMode == "tf-idf" ? "tf_idf" : outputMode, layer: who,
                                                   allowed: [.int, .oneHot, .multiHot, .count])
        if invert && mode != .int {
            throw KerasError.invalidArgument("\(who): output_mode must be 'int' when invert is true, got '\(outputMode)'")
        }
        self.maxTokens = maxTokens
        self.numOovIndices = numOovIndices
        self.maskToken = maskToken
        self.oovToken = oovToken
        self.invert = invert
        self.outputMode = mode
        self.padToMaxTokens = padToMaxTokens
        self.inputVocabulary = vocabulary
        super.init(name: name)
        if let vocabulary { try setVocabulary(vocabulary) }
    }

    /// The index of the first OOV bucket: 1 when a mask token takes index 0 (`int` output).
    private var oovStart: Int { maskToken != nil && outputMode == .int ? 1 : 0 }
    /// The index of the first vocabulary token.
    private var tokenStart: Int { oovStart + numOovIndices }

    /// The number of indices: mask, OOV buckets and tokens. Keras: `vocabulary_size()`.
    public var vocabularySize: Int? { tokens.map { $0.count + tokenStart } }

    /// The vocabulary with the mask and OOV tokens first (index order). Keras: `get_vocabulary()`.
    public func getVocabulary(includeSpecialTokens: Bool = true) -> [Int] {
        guard let tokens else { return [] }
        guard includeSpecialTokens else { return tokens }
        var special = Array(repeating: oovToken, count: tokenStart)
        if maskToken != nil && outputMode == .int, let maskToken { special[0] = maskToken }
        return special + tokens
    }

    /// Sets the vocabulary (its leading mask and OOV tokens, if present, are skipped).
    /// Keras: `set_vocabulary(vocabulary)`.
    public func setVocabulary(_ vocabulary: [Int]) throws {
        guard !vocabulary.isEmpty else { throw KerasError.invalidArgument("IntegerLookup '\(name)': cannot set an empty vocabulary") }
        let special = Array(repeating: maskToken ?? oovToken, count: oovStart) + Array(repeating: oovToken, count: numOovIndices)
        let given = vocabulary.starts(with: special) && !special.isEmpty ? Array(vocabulary.dropFirst(special.count)) : vocabulary
        var seen = Set<Int>()
        let repeated = given.filter { !seen.insert($0).inserted }
        guard repeated.isEmpty else {
            throw KerasError.invalidArgument("IntegerLookup '\(name)': the vocabulary has repeated terms \(repeated)")
        }
        if let maskToken, given.contains(maskToken) {
            throw KerasError.invalidArgument("IntegerLookup '\(name)': the vocabulary holds the mask token \(maskToken) after its start; leave the mask and OOV tokens out of it")
        }
        if invert && given.contains(oovToken) {
            throw KerasError.invalidArgument("IntegerLookup '\(name)': the vocabulary holds the OOV token \(oovToken) after its start")
        }
        if let maxTokens, tokenStart + given.count > maxTokens {
            throw KerasError.invalidArgument("IntegerLookup '\(name)': a vocabulary of size \(tokenStart + given.count) is larger than max_tokens \(maxTokens)")
        }
        tokens = given
        indexOf = Dictionary(uniqueKeysWithValues: given.enumerated().map { ($1, $0 + tokenStart) })
    }

    /// Learns the vocabulary from `data`: every token but the mask and OOV ones, by decreasing
    /// count (ties: larger token first), at most `maxTokens` indices in all.
    public func adapt(_ data: Tensor) throws {
        guard inputVocabulary == nil else {
            throw KerasError.invalidState("IntegerLookup '\(name)': cannot adapt a layer given a vocabulary")
        }
        var counts: [Int: Int] = [:]
        let p = data.data
        for i in 0..<data.count { counts[try token(p[i]), default: 0] += 1 }
        if let maskToken { counts[maskToken] = nil }
        counts[oovToken] = nil
        var sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key > $1.key }.map(\.key)
        if let maxTokens { sorted = Array(sorted.prefix(Swift.max(maxTokens - tokenStart, 0))) }
        tokens = sorted
        indexOf = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0 + tokenStart) })
    }

    private func token(_ v: Float) throws -> Int {
        guard v == v.rounded(), abs(v) < 9e15 else {
            throw KerasError.invalidData("IntegerLookup '\(name)': inputs must be integers, got \(v)")
        }
        return Int(v)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let tokens else {
            throw KerasError.invalidState("IntegerLookup '\(name)': the vocabulary is not set: pass vocabulary at construction or call adapt(data) before using the layer")
        }
        let out = Tensor.uninitialized(x.shape)
        let p = x.data, o = out.data
        for i in 0..<x.count {
            let v = try token(p[i])
            if invert {
                if let maskToken, v == 0 { o[i] = Float(maskToken); continue }
                let k = v - tokenStart
                o[i] = Float(k >= 0 && k < tokens.count ? tokens[k] : oovToken)
                continue
            }
            if let maskToken, v == maskToken { o[i] = outputMode == .int ? 0 : -1; continue }
            if let index = indexOf[v] { o[i] = Float(index); continue }
            guard numOovIndices > 0 else {
                throw KerasError.invalidData("IntegerLookup '\(name)': with num_oov_indices=0 all inputs must be in the vocabulary, found \(v)")
            }
            let m = numOovIndices
            o[i] = Float(oovStart + ((v % m) + m) % m)
        }
        let depth = padToMaxTokens ? (maxTokens ?? 0) : tokens.count + tokenStart
        return try encodeCategorical(out, mode: outputMode, depth: depth, layer: "IntegerLookup '\(name)'",
                                     argument: "vocabulary_size", dropOutOfRange: true)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        let depth = padToMaxTokens ? (maxTokens ?? 0) : (vocabularySize ?? 0)
        return outputMode.outputShape(inputShape, depth: depth)
    }
}

extension IntegerLookup: DeclaredLayer {
    /// Keras: `IntegerLookup(max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
    /// vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
    /// output_mode="int", sparse=False, pad_to_max_tokens=False)`. An adapted layer writes its
    /// vocabulary in the config (Keras keeps it in the `.keras` assets), so saved files carry it.
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
        .optional("idf_weights", default: nil) { _ in .null },
        .optional("vocabulary", default: nil) { l in (l.inputVocabulary ?? l.tokens).map { .array($0.map { .int($0) }) } ?? .null },
        .optional("vocabulary_size", default: nil) { l in l.vocabularySize.map { .int($0) } ?? .null },
        .optional("oov_method", default: "floormod") { _ in "floormod" },
        .optional("salt", default: nil) { _ in .null },
    ]) { c in
        if let m = c["oov_method"]?.stringValue, m != "floormod" {
            throw KerasError.io("IntegerLookup config: oov_method '\(m)' is not supported (only 'floormod')")
        }
        if c["idf_weights"] != nil || c["output_mode"]?.stringValue == "tf_idf" {
            throw KerasError.io("IntegerLookup config: output_mode 'tf_idf' is not supported")
        }
        let vocabulary = try c.optionalNumbers("vocabulary").map { try $0.map { v -> Int in
            guard v == v.rounded(), abs(v) < 9e15 else { throw KerasError.io("IntegerLookup config: 'vocabulary' must hold integers, got \(v)") }
            return Int(v)
        } }
        return try IntegerLookup(maxTokens: c.optionalInt("max_tokens"), numOovIndices: c.int("num_oov_indices"),
                                 maskToken: c.optionalInt("mask_token"), oovToken: c.int("oov_token"),
                                 vocabulary: vocabulary, invert: c.bool("invert"), outputMode: c.string("output_mode"),
                                 sparse: c.bool("sparse", default: false), padToMaxTokens: c.bool("pad_to_max_tokens"),
                                 name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(IntegerLookup.self, $0) }
