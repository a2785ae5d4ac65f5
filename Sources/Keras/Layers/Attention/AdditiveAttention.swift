/// Additive (Bahdanau-style) attention: scores `Σ scale · tanh(query + key)` over the features,
/// with a learned `scale` of one value per feature (or 1 without ``useScale``). Keras:
/// `keras.layers.AdditiveAttention`.
///
/// ```swift
/// let q = Input(shape: [8, 16]), v = Input(shape: [10, 16])
/// let y = try AdditiveAttention()([q, v])
/// ```
public final class AdditiveAttention: BaseAttention, @unchecked Sendable {
    /// The learned per-feature scale `[dim]`, with ``useScale``.
    public private(set) var scale: Variable?

    public override init(useScale: Bool = true, dropout: Double = 0, seed: Int? = nil, name: String? = nil,
                trainable: Bool = true) throws {
        try super.init(useScale: useScale, dropout: dropout, seed: seed, name: name, trainable: trainable)
    }

    public override func build(shapes: [[Int?]]) throws {
        try validate(shapes)
        guard let dim = shapes[0][2] else {
            throw KerasError.shapeMismatch("AdditiveAttention '\(name)': the last dimension of the query must be known, got \(formatShape(shapes[0]))")
        }
        if useScale { scale = addWeight(name: "scale", shape: [dim], initializer: VarianceScaling.glorotUniform()) }
    }

    public override func scores(query: Tensor, key: Tensor) throws -> Tensor {
        let t = try Ops.tanh(Ops.add(Ops.expandDims(query, axis: -2), Ops.expandDims(key, axis: -3)))
        return try Ops.sum(scale.map { try Ops.multiply(t, $0.value) } ?? t, axis: -1)
    }
}

extension AdditiveAttention: DeclaredLayer {
    /// Keras: `AdditiveAttention(use_scale=True, dropout=0.0)`; `get_config()` also writes `seed`.
    public static let declaration = LayerDeclaration(AdditiveAttention.self, constructorOrder: ["use_scale", "dropout"], arguments: [
        .optional("use_scale", \.useScale, default: true),
        .optional("dropout", \.dropout, default: 0),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try c.refuseNone("dropout")
        return try AdditiveAttention(useScale: try c.bool("use_scale"), dropout: try c.double("dropout"),
                              seed: try c.seed(drawn: c.double("dropout") > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdditiveAttention.self, $0) }
