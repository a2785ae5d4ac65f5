import Foundation

/// Maps text to token indices or token counts: each string is standardized (lowercased, ASCII
/// punctuation stripped), split (on whitespace or into characters), optionally combined into
/// ngrams, and looked up in a vocabulary (given, or learnt by ``adapt(_:)`` by frequency) with
/// index 0 for padding and 1 for out-of-vocabulary tokens (`int` output), or encoded as
/// `multi_hot`, `count` or `tf_idf` vectors. Inputs are string tensors (``StringValues``) of
/// shape `[batch]` or `[batch, 1]`. Keras: `keras.layers.TextVectorization`.
///
/// ```swift
/// let layer = try TextVectorization(outputSequenceLength: 4)
/// try layer.adapt(strings: ["foo bar", "bar baz", "baz bada boom"])
/// try layer(Tensor(strings: ["foo qux bar", "qux baz"], shape: [2, 1]))   // [[4, 1, 3, 0], [1, 2, 0, 0]]
/// ```
public final class TextVectorization: Layer, AdaptableLayer, @unchecked Sendable {
    /// The vocabulary lookup (mask token `""`, OOV token `"[UNK]"`). Keras: `_lookup_layer`.
    let lookup: StringLookup
    public let standardize: TextStandardization?
    public let split: TextSplit?
    /// The ngram widths (`ngrams: 3` is `[1, 2, 3]`); nil for none.
    public let ngramWidths: [Int]?
    /// `ngrams` as given: an integer, a list of widths, or null.
    let ngramsArgument: JSON
    public let outputMode: CategoricalOutputMode
    /// The length every `int` output row is padded (with 0) or truncated to; nil: the longest row.
    public let outputSequenceLength: Int?
    /// The vocabulary given at construction (nil when adapted or read from a file), as Keras's
    /// config writes it.
    public let inputVocabulary: [String]?
    /// The idf weights given at construction (`tf_idf`).
    public let inputIdfWeights: [Float]?
    /// Whether a vocabulary (list or file) was given, so that `adapt` is refused.
    let hasInputVocabulary: Bool

    /// - Parameters:
    ///   - standardize: nil for none.
    ///   - split: nil to use each input string as one token.
    ///   - ngrams: n for ngrams of widths 1 to n (Keras's integer `ngrams`).
    ///   - ngramWidths: the ngram widths to make (Keras's tuple `ngrams`).
    ///   - vocabulary: the tokens (a leading `""`, `"[UNK]"` is skipped), or nil to ``adapt(_:)``.
    ///   - vocabularyFile: a text file with one token per line, instead of `vocabulary`.
    public init(maxTokens: Int? = nil, standardize: TextStandardization? = .lowerAndStripPunctuation,
                split: TextSplit? = .whitespace, ngrams: Int? = nil, ngramWidths: [Int]? = nil,
                outputMode: String = "int", outputSequenceLength: Int? = nil, padToMaxTokens: Bool = false,
                vocabulary: [String]? = nil, vocabularyFile: String? = nil, idfWeights: [Float]? = nil,
                sparse: Bool = false, ragged: Bool = false, encoding: String = "utf-8", name: String? = nil) throws {
        let who = "TextVectorization" + (name.map { " '\($0)'" } ?? "")
        let mode = outputMode == "binary" ? "multi_hot" : outputMode == "tf-idf" ? "tf_idf" : outputMode
        self.outputMode = try .named(mode, layer: who, allowed: [.int, .oneHot, .multiHot, .count, .tfIdf])
        guard !sparse else { throw KerasError.invalidArgument("\(who): sparse=True can only be used with the TensorFlow backend (dense outputs only here)") }
        guard !ragged else { throw KerasError.invalidArgument("\(who): ragged=True can only be used with the TensorFlow backend (dense outputs only here)") }
        if let outputSequenceLength {
            guard self.outputMode == .int else {
                throw KerasError.invalidArgument("\(who): output_sequence_length must not be set if output_mode is not 'int', got output_sequence_length=\(outputSequenceLength)")
            }
            guard outputSequenceLength >= 0 else {
                throw KerasError.invalidArgument("\(who): output_sequence_length must be a non-negative integer, got \(outputSequenceLength)")
            }
        }
        guard ngrams == nil || ngramWidths == nil else {
            throw KerasError.invalidArgument("\(who): pass ngrams (an integer) or ngramWidths (a tuple of widths), not both")
        }
        let widths = ngrams.map { Array(1...Swift.max($0, 1)) } ?? ngramWidths
        if let bad = (ngrams.map { [$0] } ?? ngramWidths ?? []).first(where: { $0 < 1 }) {
            throw KerasError.invalidArgument("\(who): ngrams must be None, a positive integer, or a tuple of positive integers, got \(bad)")
        }
        guard vocabulary == nil || vocabularyFile == nil else {
            throw KerasError.invalidArgument("\(who): pass vocabulary or vocabularyFile, not both")
        }
        if let maxTokens, maxTokens <= 1 {
            throw KerasError.invalidArgument("\(who): if max_tokens is set, it must be greater than 1, got \(maxTokens)")
        }
        if padToMaxTokens && maxTokens == nil {
            throw KerasError.invalidArgument("\(who): pad_to_max_tokens=True needs max_tokens")
        }
        if idfWeights != nil && self.outputMode != .tfIdf {
            throw KerasError.invalidArgument("\(who): idf_weights should only be set if output_mode is 'tf_idf', got output_mode '\(mode)'")
        }
        (self.standardize, self.split, self.ngramWidths, self.outputSequenceLength) = (standardize, split, widths, outputSequenceLength)
        ngramsArgument = ngrams.map { .int($0) } ?? ngramWidths.map { .array($0.map { .int($0) }) } ?? .null
        (inputVocabulary, inputIdfWeights, hasInputVocabulary) = (vocabulary, idfWeights, vocabulary != nil || vocabularyFile != nil)
        lookup = try StringLookup(maxTokens: maxTokens, maskToken: "", outputMode: mode, padToMaxTokens: padToMaxTokens, encoding: encoding)
        super.init(name: name)
        lookup.core.who = "TextVectorization '\(self.name)'"
        lookup.core.vocabularyInConfig = vocabulary != nil
        if let vocabulary { try setVocabulary(vocabulary, idfWeights: idfWeights) }
        if let vocabularyFile { try setVocabulary(file: vocabularyFile) }
    }

    public override var sublayerAttributeNames: [String: String] { ["lookup": "_lookup_layer"] }

    /// The number of indices: padding, OOV and tokens. Keras: `vocabulary_size()`.
    public var vocabularySize: Int? { lookup.vocabularySize }
    public var maxTokens: Int? { lookup.core.maxTokens }
    public var padToMaxTokens: Bool { lookup.core.padToMaxTokens }

    /// The vocabulary with `""` and `"[UNK]"` first (`int` output) in index order. Keras:
    /// `get_vocabulary()`.
    public func getVocabulary(includeSpecialTokens: Bool = true) -> [String] {
        lookup.getVocabulary(includeSpecialTokens: includeSpecialTokens)
    }

    /// Sets the vocabulary (and `tf_idf` weights). Keras: `set_vocabulary`.
    public func setVocabulary(_ vocabulary: [String], idfWeights: [Float]? = nil) throws {
        try lookup.setVocabulary(vocabulary, idfWeights: idfWeights)
    }

    /// Sets the vocabulary from a text file with one token per line. Keras: `set_vocabulary(path)`.
    public func setVocabulary(file path: String) throws {
        guard outputMode != .tfIdf else {
            throw KerasError.invalidArgument("\(lookup.core.who): output_mode 'tf_idf' does not support loading a vocabulary from file")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw KerasError.io("\(lookup.core.who): vocabulary file '\(path)' cannot be read: \(error.localizedDescription)")
        }
        try lookup.core.loadAsset(text)
    }

    /// The token rows of a string tensor: standardized, split and combined into ngrams. Inputs
    /// are `[batch]` or `[batch, 1]` when splitting, `[batch]` or `[batch, tokens]` without.
    func tokenRows(_ x: Tensor) throws -> [[String]] {
        let who = lookup.core.who
        let strings = try StringValues.strings(of: x, owner: who)
        let shape = x.shape
        let rowLength: Int
        if split != nil {
            guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
                throw KerasError.shapeMismatch("\(who): when tokenizing strings, the inputs must be of shape [batch] or [batch, 1], got \(shape)")
            }
            rowLength = 1
        } else {
            guard shape.count == 1 || shape.count == 2 else {
                throw KerasError.shapeMismatch("\(who): without split, the inputs must be of shape [batch] or [batch, tokens], got \(shape)")
            }
            rowLength = shape.count == 2 ? shape[1] : 1
        }
        let rows = shape.first ?? 0
        return (0..<rows).map { r in
            var tokens: [String] = []
            for s in strings[r * rowLength..<(r + 1) * rowLength] {
                let text = standardize?.apply(s) ?? s
                if let split { tokens += split.apply(text) } else { tokens.append(text) }
            }
            return ngramWidths.map { textNgrams(tokens, widths: $0) } ?? tokens
        }
    }

    /// Learns the vocabulary from the tokens of `data` (string tensor, one document per row) by
    /// decreasing count (ties: the larger UTF-8 bytes first), at most `maxTokens` indices in all.
    public func adapt(_ data: Tensor) throws {
        try lookup.core.adapt(documents: tokenRows(data), hasVocabulary: hasInputVocabulary)
    }

    /// Learns the vocabulary from `texts` (one document each).
    public func adapt(strings texts: [String]) throws {
        try adapt(Tensor(strings: texts, shape: [texts.count]))
    }

    public override func build(_ inputShape: [Int?]) throws {
        lookup.built = true
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let core = lookup.core
        _ = try core.requireTokens()
        let rows = try tokenRows(x.detached)
        let length = outputSequenceLength ?? rows.map(\.count).max() ?? 0
        let padding: Float = outputMode == .int ? 0 : -1
        let indices = Tensor(shape: [rows.count, length], repeating: padding)
        let o = indices.data
        for (r, row) in rows.enumerated() {
            for (t, token) in row.prefix(length).enumerated() { o[r * length + t] = try core.index(of: token) }
        }
        return try core.encode(indices)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        if outputMode == .int { return [inputShape.first ?? nil, outputSequenceLength] }
        // The token matrix `call` encodes: [batch, tokens].
        let tokens: [Int?] = split == nil ? (inputShape.count <= 1 ? inputShape + [1] : inputShape) : [inputShape.first ?? nil, nil]
        return try lookup.computeOutputShape(tokens)
    }
}

extension TextVectorization: AssetLayer {
    func saveAssets() throws -> [String: [UInt8]] { try lookup.saveAssets() }
    func loadAssets(file: (String) throws -> [UInt8]?, variable: (String) throws -> Tensor?) throws {
        try lookup.loadAssets(file: file, variable: variable)
    }
    func namedVariables() -> [String: Tensor] { lookup.namedVariables() }
}

extension TextVectorization: DeclaredLayer {
    /// Keras: `TextVectorization(max_tokens=None, standardize="lower_and_strip_punctuation",
    /// split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
    /// pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False, ragged=False,
    /// encoding="utf-8")`. As for `StringLookup`, an adapted layer's vocabulary goes into a
    /// `.keras` file's assets (and `tf_idf` weights into its variables), both for the layer and
    /// its `_lookup_layer` as Keras writes them, and into the config everywhere else. A Python
    /// callable `standardize` or `split` runs in the Python package, before the strings cross
    /// the C ABI.
    public static let declaration = LayerDeclaration(TextVectorization.self, constructorOrder: [
        "max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length", "pad_to_max_tokens",
        "vocabulary", "idf_weights", "sparse", "ragged", "encoding",
    ], arguments: [
        .optional("max_tokens", \.maxTokens, default: nil),
        .optional("standardize", \.standardize, default: .lowerAndStripPunctuation),
        .optional("split", \.split, default: .whitespace),
        .optional("ngrams", default: nil) { $0.ngramsArgument },
        .optional("output_mode", \.outputMode, default: .int),
        .optional("output_sequence_length", \.outputSequenceLength, default: nil),
        .optional("pad_to_max_tokens", \.padToMaxTokens, default: false),
        .optional("sparse", default: false) { _ in .bool(false) },
        .optional("ragged", default: false) { _ in .bool(false) },
        .optional("vocabulary", default: nil) { l in l.lookup.core.vocabularyJSON(given: l.inputVocabulary) },
        .optional("idf_weights", default: nil) { l in l.lookup.core.idfJSON(given: l.inputIdfWeights) },
        .optional("encoding", default: "utf-8") { _ in "utf-8" },
        .optional("vocabulary_size", default: nil) { l in l.vocabularySize.map { .int($0) } ?? .null },
    ]) { c in
        /// A string choice: absent → the default, null → nil (Keras's None).
        func choice<T: RawRepresentable>(_ key: String, _ d: T, _ allowed: String) throws -> T? where T.RawValue == String {
            guard let v = c.json[key] else { return d }
            if v.isNull { return nil }
            guard let s = v.stringValue, let value = T(rawValue: s) else {
                throw KerasError.invalidArgument("TextVectorization: \(key) must be one of \(allowed) or None (a Python callable is not supported), got \(v.description.prefix(80))")
            }
            return value
        }
        var ngrams: Int?, widths: [Int]?
        if let v = c["ngrams"] {
            if let n = v.intValue { ngrams = n } else {
                guard let a = v.arrayValue, let w = Optional(a.compactMap(\.intValue)), w.count == a.count, a.count <= 64 else {
                    throw KerasError.invalidArgument("TextVectorization: ngrams must be None, an integer, or a tuple of integers, got \(v.description.prefix(80))")
                }
                widths = w
            }
        }
        var vocabulary: [String]?, file: String?
        if let v = c["vocabulary"] {
            if let path = v.stringValue { file = path } else {
                guard let a = v.arrayValue, a.count <= 1 << 24, let s = Optional(a.compactMap(\.stringValue)), s.count == a.count else {
                    throw KerasError.invalidArgument("TextVectorization: vocabulary must be a list of strings or a file path, got \(v.description.prefix(80))")
                }
                vocabulary = s
            }
        }
        let layer = try TextVectorization(
            maxTokens: c.optionalInt("max_tokens"),
            standardize: choice("standardize", TextStandardization.lowerAndStripPunctuation, "'lower_and_strip_punctuation', 'lower', 'strip_punctuation'"),
            split: choice("split", TextSplit.whitespace, "'whitespace', 'character'"), ngrams: ngrams, ngramWidths: widths,
            outputMode: c.string("output_mode"), outputSequenceLength: c.optionalInt("output_sequence_length"),
            padToMaxTokens: c.bool("pad_to_max_tokens"), vocabulary: vocabulary, vocabularyFile: file,
            idfWeights: c.optionalNumbers("idf_weights")?.map { Float($0) }, sparse: c.bool("sparse", default: false),
            ragged: c.bool("ragged", default: false), encoding: c["encoding"]?.stringValue ?? "utf-8", name: c.name)
        layer.lookup.core.frozenVocabularySize = try c.optionalInt("vocabulary_size")
        return layer
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(TextVectorization.self, $0) }
