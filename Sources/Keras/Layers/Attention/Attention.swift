/// Dot-product attention (Luong-style): scores `query · keyᵀ` (times a learned `scale` with
/// ``useScale``), or with `scoreMode: "concat"` `Σ tanh(scale·(query + key))` times a learned
/// weight. Keras: `keras.layers.Attention`.
///
/// ```swift
/// let q = Input(shape: [8, 16]), v = Input(shape: [10, 16])
/// let y = try Attention()([q, v])
/// ```
public final class Attention: BaseAttention, @unchecked Sendable {
    /// `"dot"` or `"concat"`.
    public let scoreMode: String
    /// The learned scale (shape `[]`), with ``useScale``.
    public private(set) var scale: Variable?
    /// The learned weight of `"concat"` scores (shape `[]`).
    public private(set) var concatScoreWeight: Variable?

    public init(useScale: Bool = false, scoreMode: String = "dot", dropout: Double = 0, seed: Int? = nil,
                name: String? = nil, trainable: Bool = true) throws {
        guard scoreMode == "dot" || scoreMode == "concat" else {
            throw KerasError.invalidArgument("Attention(scoreMode: \"\(scoreMode)\"): score_mode must be one of 'dot', 'concat'")
        }
        self.scoreMode = scoreMode
        try super.init(useScale: useScale, dropout: dropout, seed: seed, name: name, trainable: trainable)
    }

    public override func build(shapes: [[Int?]]) throws {
        try validate(shapes)
        if useScale { scale = addWeight(name: "scale", shape: [], initializer: Ones()) }
        if scoreMode == "concat" { concatScoreWeight = addWeight(name: "concat_score_weight", shape: [], initializer: Ones()) }
    }

    public override func scores(query: Tensor, key: Tensor) throws -> Tensor {
        if scoreMode == "dot" {
            let s = try Ops.batchMatmul(query, key, transposeB: true)
            return try scale.map { try Ops.multiply(s, $0.value) } ?? s
        }
        // [B, Tq, 1, dim] + [B, 1, Tv, dim]
        var sum = try Ops.add(Ops.expandDims(query, axis: -2), Ops.expandDims(key, axis: -3))
        if let scale { sum = try Ops.multiply(sum, scale.value) }
        let s = try Ops.sum(Ops.tanh(sum), axis: -1)
        return try concatScoreWeight.map { try Ops.multiply(s, $0.value) } ?? s
    }
}

extension Attention: DeclaredLayer {
    /// Keras: `Attention(use_scale=False, score_mode="dot", dropout=0.0, seed=None)`.
    public static let declaration = LayerDeclaration(Attention.self, arguments: [
        .optional("use_scale", \.useScale, default: false),
        .optional("score_mode", \.scoreMode, default: "dot"),
        .optional("dropout", \.dropout, default: 0),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try c.refuseNone("dropout")
        return try Attention(useScale: try c.bool("use_scale"), scoreMode: try c.string("score_mode"),
                      dropout: try c.double("dropout"), seed: try c.seed(drawn: c.double("dropout") > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Attention.self, $0) }
