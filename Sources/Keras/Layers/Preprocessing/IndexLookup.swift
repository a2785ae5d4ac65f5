import Foundation

/// A token of a lookup layer: an integer (`IntegerLookup`) or a string (`StringLookup`).
protocol LookupToken: Hashable {
    /// The token a tensor element holds; throws naming `owner` when it holds none.
    static func read(_ v: Float, owner: String) throws -> Self
    /// The element standing for the token (the output of an inverting lookup).
    func element() throws -> Float
    /// The token as a config or vocabulary file writes it.
    var json: JSON { get }
    /// Keras's tie order when adapting: tokens of equal count go larger first.
    static func tieOrder(_ a: Self, _ b: Self) -> Bool
    /// The token a line of a `vocabulary.txt` asset holds.
    static func fromLine(_ line: String) -> Self?
    /// The OOV bucket of an out-of-vocabulary token among `buckets` (`salt`: SipHash's key;
    /// `farmhash`: Keras's `oov_method="farmhash"` for integers, strings always hash).
    func oovBucket(_ buckets: Int, salt: [UInt64]?, farmhash: Bool) -> Int
}

extension Int: LookupToken {
    static func read(_ v: Float, owner: String) throws -> Int {
        guard v == v.rounded(), abs(v) < 9e15 else {
            throw KerasError.invalidData("\(owner): inputs must be integers, got \(StringValues.decode(v).map { "the string '\($0)'" } ?? "\(v)")")
        }
        return Int(v)
    }
    func element() throws -> Float { Float(self) }
    static func fromLine(_ line: String) -> Int? { Int(line) }
    var json: JSON { .int(self) }
    static func tieOrder(_ a: Int, _ b: Int) -> Bool { a > b }
    /// Keras's default `oov_method="floormod"`, or with `"farmhash"` the hash of the decimal
    /// string (`tf.strings.as_string`).
    func oovBucket(_ buckets: Int, salt: [UInt64]?, farmhash: Bool) -> Int {
        farmhash ? KerasHash.bucket(Array(String(self).utf8), buckets, salt: salt) : ((self % buckets) + buckets) % buckets
    }
}

extension String: LookupToken {
    static func read(_ v: Float, owner: String) throws -> String {
        guard let s = StringValues.decode(v) else {
            throw KerasError.invalidData("\(owner): expected string inputs, got the number \(v) (build string tensors with Tensor(strings:shape:) or pass str arrays)")
        }
        return s
    }
    func element() throws -> Float { try StringValues.encode(self) }
    static func fromLine(_ line: String) -> String? { line }
    var json: JSON { .string(self) }
    /// numpy's byte order of the UTF-8 encodings (`np.lexsort` on the tokens).
    static func tieOrder(_ a: String, _ b: String) -> Bool { b.utf8.lexicographicallyPrecedes(a.utf8) }
    /// TensorFlow's `to_hash_bucket_fast` (FarmHash Fingerprint64), or SipHash with a salt.
    func oovBucket(_ buckets: Int, salt: [UInt64]?, farmhash: Bool) -> Int { KerasHash.bucket(Array(utf8), buckets, salt: salt) }
}

/// The vocabulary machinery shared by `IntegerLookup` and `StringLookup` (Keras's
/// `IndexLookup`): index 0 for the mask token (`int` output), then `numOovIndices` OOV
/// buckets, then the vocabulary; adapting by count; inverting; the categorical encodings and
/// `tf_idf` weights.
struct IndexLookup<Token: LookupToken> {
    /// The layer as errors name it.
    var who: String
    let maxTokens: Int?
    let numOovIndices: Int
    let maskToken: Token?
    let oovToken: Token
    let invert: Bool
    let outputMode: CategoricalOutputMode
    let padToMaxTokens: Bool
    /// SipHash's key for OOV buckets (`salt`); nil for FarmHash.
    var salt: [UInt64]?
    /// Integers hash into the OOV buckets (`oov_method="farmhash"`) rather than take `x mod n`.
    var oovFarmhash = false
    /// The config holds the vocabulary as a list (given at construction), so no asset does.
    var vocabularyInConfig = false
    /// The `vocabulary_size` of a loaded config, used for shapes until the file's assets set
    /// the vocabulary (Keras: `_frozen_vocab_size`).
    var frozenVocabularySize: Int?
    /// The tokens after the mask and OOV indices, in index order; nil before a vocabulary is set.
    private(set) var tokens: [Token]?
    /// One weight per index (`tf_idf` only).
    private(set) var idfWeights: [Float]?
    private var indexOf: [Token: Int] = [:]

    init(who: String, maxTokens: Int?, numOovIndices: Int, maskToken: Token?, oovToken: Token,
         invert: Bool, outputMode: String, sparse: Bool, padToMaxTokens: Bool) throws {
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
                                                   allowed: [.int, .oneHot, .multiHot, .count, .tfIdf])
        if invert && mode != .int {
            throw KerasError.invalidArgument("\(who): output_mode must be 'int' when invert is true, got '\(outputMode)'")
        }
        (self.who, self.maxTokens, self.numOovIndices, self.maskToken, self.oovToken) = (who, maxTokens, numOovIndices, maskToken, oovToken)
        (self.invert, self.outputMode, self.padToMaxTokens) = (invert, mode, padToMaxTokens)
    }

    /// The index of the first OOV bucket: 1 when a mask token takes index 0 (`int` output).
    var oovStart: Int { maskToken != nil && outputMode == .int ? 1 : 0 }
    /// The index of the first vocabulary token.
    var tokenStart: Int { oovStart + numOovIndices }
    /// The number of indices: mask, OOV buckets and tokens. Keras: `vocabulary_size()`.
    var vocabularySize: Int? { tokens.map { $0.count + tokenStart } ?? frozenVocabularySize }
    /// The encoding's depth.
    var depth: Int { padToMaxTokens ? (maxTokens ?? 0) : (vocabularySize ?? 0) }

    /// The vocabulary with the mask and OOV tokens first (index order). Keras: `get_vocabulary()`.
    func vocabulary(includeSpecialTokens: Bool) -> [Token] {
        guard let tokens else { return [] }
        guard includeSpecialTokens else { return tokens }
        var special = Array(repeating: oovToken, count: tokenStart)
        if oovStart == 1, let maskToken { special[0] = maskToken }
        return special + tokens
    }

    /// Keras's `set_vocabulary`: leading mask and OOV tokens are skipped; `idf` (one weight per
    /// token, `tf_idf` only) is padded in front with its mean.
    mutating func setVocabulary(_ vocabulary: [Token], idf: [Float]? = nil) throws {
        guard !vocabulary.isEmpty else { throw KerasError.invalidArgument("\(who): cannot set an empty vocabulary") }
        let special = Array(repeating: maskToken ?? oovToken, count: oovStart) + Array(repeating: oovToken, count: numOovIndices)
        let skipped = vocabulary.starts(with: special) && !special.isEmpty
        let given = skipped ? Array(vocabulary.dropFirst(special.count)) : vocabulary
        var seen = Set<Token>()
        let repeated = given.filter { !seen.insert($0).inserted }
        guard repeated.isEmpty else {
            throw KerasError.invalidArgument("\(who): the vocabulary has repeated terms \(repeated)")
        }
        if let maskToken, given.contains(maskToken) {
            throw KerasError.invalidArgument("\(who): the vocabulary holds the mask token \(maskToken) after its start; leave the mask and OOV tokens out of it")
        }
        if invert && given.contains(oovToken) {
            throw KerasError.invalidArgument("\(who): the vocabulary holds the OOV token \(oovToken) after its start")
        }
        if let maxTokens, tokenStart + given.count > maxTokens {
            throw KerasError.invalidArgument("\(who): a vocabulary of size \(tokenStart + given.count) is larger than max_tokens \(maxTokens)")
        }
        if outputMode == .tfIdf {
            guard var idf else { throw KerasError.invalidArgument("\(who): idf_weights must be set when output_mode is 'tf_idf'") }
            if skipped && idf.count == vocabulary.count { idf.removeFirst(special.count) }
            guard idf.count == given.count else {
                throw KerasError.invalidArgument("\(who): idf_weights must have one weight per vocabulary term (\(given.count)), got \(idf.count)")
            }
            setIDF(idf)
        } else if idf != nil {
            throw KerasError.invalidArgument("\(who): idf_weights should only be set when output_mode is 'tf_idf', got output_mode '\(outputMode.rawValue)'")
        }
        setTokens(given)
    }

    private mutating func setTokens(_ given: [Token]) {
        tokens = given
        indexOf = Dictionary(uniqueKeysWithValues: given.enumerated().map { ($1, $0 + tokenStart) })
    }

    /// Pads token weights as Keras: their mean in front (mask and OOV), zeros to `max_tokens`.
    private mutating func setIDF(_ weights: [Float]) {
        let mean = weights.isEmpty ? 0 : Float(weights.reduce(0.0) { $0 + Double($1) } / Double(weights.count))
        var w = Array(repeating: mean, count: tokenStart) + weights
        if padToMaxTokens, let maxTokens, w.count < maxTokens { w += Array(repeating: 0, count: maxTokens - w.count) }
        idfWeights = w
    }

    /// Keras's `adapt`: every token but the mask and OOV ones by decreasing count (ties: larger
    /// first), at most `maxTokens` indices in all; `tf_idf` weights `log(1 + docs / (1 + df))`
    /// with each row of `elements` a document.
    mutating func adapt(_ data: Tensor, hasVocabulary: Bool) throws {
        let p = data.data
        let documents = data.rank >= 2 ? data.shape[0] : 1
        let rowLength = documents > 0 ? data.count / documents : 0
        let rows = try (0..<documents).map { r in
            try (r * rowLength..<(r + 1) * rowLength).map { try Token.read(p[$0], owner: who) }
        }
        try adapt(documents: rows, hasVocabulary: hasVocabulary)
    }

    /// ``adapt(_:hasVocabulary:)`` on documents of tokens (`TextVectorization`'s split rows).
    mutating func adapt(documents: [[Token]], hasVocabulary: Bool) throws {
        guard !hasVocabulary else {
            throw KerasError.invalidState("\(who): cannot adapt a layer given a vocabulary")
        }
        var counts: [Token: Int] = [:]
        var documentCounts: [Token: Int] = [:]
        for row in documents {
            var unique = Set<Token>()
            for t in row {
                counts[t, default: 0] += 1
                unique.insert(t)
            }
            for t in unique { documentCounts[t, default: 0] += 1 }
        }
        if let maskToken { counts[maskToken] = nil }
        counts[oovToken] = nil
        var sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : Token.tieOrder($0.key, $1.key) }.map(\.key)
        if let maxTokens { sorted = Array(sorted.prefix(Swift.max(maxTokens - tokenStart, 0))) }
        if outputMode == .tfIdf {
            let n = Double(documents.count)
            setIDF(sorted.map { Float(log(1 + n / (1 + Double(documentCounts[$0] ?? 0)))) })
        }
        setTokens(sorted)
    }

    /// The tokens, or an error naming the layer when no vocabulary is set yet.
    func requireTokens() throws -> [Token] {
        guard let tokens else {
            throw KerasError.invalidState("\(who): the vocabulary is not set: pass vocabulary at construction or call adapt(data) before using the layer")
        }
        return tokens
    }

    /// The index of token `v`: 0 for the mask token (`int` output; -1, counted nowhere, in the
    /// other modes), its vocabulary index, else its OOV bucket.
    @inline(__always)
    func index(of v: Token) throws -> Float {
        if let maskToken, v == maskToken { return outputMode == .int ? 0 : -1 }
        if let index = indexOf[v] { return Float(index) }
        guard numOovIndices > 0 else {
            throw KerasError.invalidData("\(who): with num_oov_indices=0 all inputs must be in the vocabulary, found \(v)")
        }
        return Float(oovStart + v.oovBucket(numOovIndices, salt: salt, farmhash: oovFarmhash))
    }

    /// Looks up every element of `x` and encodes the indices (`call`).
    func call(_ x: Tensor) throws -> Tensor {
        let tokens = try requireTokens()
        let out = Tensor.uninitialized(x.shape)
        let p = x.data, o = out.data
        for i in 0..<x.count {
            if invert {
                let v = try Int.read(p[i], owner: who)
                if let maskToken, v == 0 { o[i] = try maskToken.element(); continue }
                let k = v - tokenStart
                o[i] = try (k >= 0 && k < tokens.count ? tokens[k] : oovToken).element()
                continue
            }
            o[i] = try index(of: Token.read(p[i], owner: who))
        }
        return invert ? out : try encode(out)
    }

    /// Encodes looked-up indices in the output mode (`int`: unchanged; `tf_idf`: counts times
    /// the idf weights).
    func encode(_ indices: Tensor) throws -> Tensor {
        let counts = try encodeCategorical(indices, mode: outputMode == .tfIdf ? .count : outputMode, depth: depth,
                                           layer: who, argument: "vocabulary_size", dropOutOfRange: true)
        guard outputMode == .tfIdf, let idfWeights else { return counts }
        let c = counts.data
        for i in 0..<counts.count { c[i] *= idfWeights[i % idfWeights.count] }
        return counts
    }

    /// The config's `vocabulary`: the list given at construction; else the adapted tokens,
    /// except beside a `.keras` archive's assets, where Keras writes None (``AssetWriting``).
    func vocabularyJSON(given: [Token]?) -> JSON {
        if given == nil && AssetWriting.active { return .null }
        return (given ?? tokens).map { .array($0.map(\.json)) } ?? .null
    }

    /// Keras's `save_assets`: an adapted (or file-given) vocabulary as `vocabulary.txt`, special
    /// tokens first, one per line, no final newline; nothing when the config holds the list.
    func assetFiles() -> [String: [UInt8]] {
        guard !vocabularyInConfig, tokens != nil else { return [:] }
        return ["vocabulary.txt": Array(vocabulary(includeSpecialTokens: true).map { "\($0)" }.joined(separator: "\n").utf8)]
    }

    /// Keras's `save_own_variables`: `idf_weights` (one per index) for `tf_idf`.
    func namedVariables() -> [String: Tensor] {
        guard outputMode == .tfIdf, let idfWeights, let t = try? Tensor(shape: [idfWeights.count], scalars: idfWeights) else { return [:] }
        return ["idf_weights": t]
    }

    /// Keras's `load_assets`: the vocabulary from `vocabulary.txt` (with the `idf_weights`
    /// variable for `tf_idf`), unless the config held the list.
    mutating func loadAssets(file: (String) throws -> [UInt8]?, variable: (String) throws -> Tensor?) throws {
        guard !vocabularyInConfig, let data = try file("vocabulary.txt") else { return }
        let idf = outputMode == .tfIdf ? try variable("idf_weights")?.scalars : nil
        try loadAsset(String(decoding: data, as: UTF8.self), idfWeights: idf)
    }

    /// The vocabulary from the text of a `vocabulary.txt` (special tokens first) and,
    /// for `tf_idf`, the `idf_weights` Keras saved with the layer's variables (one per index).
    mutating func loadAsset(_ text: String, idfWeights: [Float]? = nil) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        let given = try lines.map { line in
            guard let t = Token.fromLine(line) else { throw KerasError.io("\(who): vocabulary.txt holds '\(line)', not a token") }
            return t
        }
        guard outputMode == .tfIdf else { return try setVocabulary(given) }
        guard let idfWeights, idfWeights.count >= given.count else {
            throw KerasError.io("\(who): a tf_idf vocabulary of \(given.count) terms needs as many idf_weights in the file's variables, got \(idfWeights?.count ?? 0)")
        }
        try setVocabulary(given, idf: Array(idfWeights.prefix(given.count)))
    }

    /// The `idf_weights` a config writes: those given, else an adapted layer's token weights
    /// (except beside a `.keras` archive's assets: Keras keeps those in the file's variables).
    func idfJSON(given: [Float]?) -> JSON {
        // Each float as its shortest decimal (0.1, not 0.10000000149), as Python writes it.
        func json(_ w: Float) -> JSON { .double(Double("\(w)") ?? Double(w)) }
        if let given { return .array(given.map(json)) }
        guard !AssetWriting.active, outputMode == .tfIdf, let idfWeights, let tokens else { return .null }
        return .array(idfWeights.dropFirst(tokenStart).prefix(tokens.count).map(json))
    }

    func outputShape(_ inputShape: [Int?]) -> [Int?] {
        (outputMode == .tfIdf ? .count : outputMode).outputShape(inputShape, depth: depth)
    }
}
