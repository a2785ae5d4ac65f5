/// Normalizes each sample over `axis` to zero mean and unit variance, then scales by `gamma`
/// and shifts by `beta` (one value per position of the normalized axes).
/// Keras: `keras.layers.LayerNormalization`.
///
/// The normalization is one fused op (``Ops/layerNormalization(_:gamma:beta:axes:epsilon:)``).
/// `rmsScaling` is Keras's deprecated option: `x · rsqrt(var(x) + ε) · gamma`, without `beta`.
///
/// ```swift
/// let norm = LayerNormalization(axis: -1)        // or axis: [1, 2]
/// ```
public final class LayerNormalization: AffineNormalization, @unchecked Sendable {
    /// The normalized axes; Keras's build turns it into a sorted list, and so does ``build(_:)``.
    public private(set) var axis: AxisList
    /// Keras's deprecated `rms_scaling`: divide by the standard deviation without centering.
    public let rmsScaling: Bool

    public init(axis: AxisList = -1, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
                rmsScaling: Bool = false, affine: AffineOptions = AffineOptions(),
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil) {
        self.axis = axis
        self.rmsScaling = rmsScaling
        super.init(epsilon: epsilon, center: center, scale: scale, affine: affine, name: name, trainable: trainable, inputShape: inputShape)
    }

    private var owner: String { "LayerNormalization '\(name)'" }

    public override func build(_ inputShape: [Int?]) throws {
        let shape = try normalizedShape(inputShape, axis: axis, owner)
        axis = AxisList(axis.axes.sorted())
        addAffineWeights(shape: shape, withGamma: scale || rmsScaling, withBeta: center && !rmsScaling)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let axes = try axis.resolved(rank: x.rank, owner)
        try checkNormalizedShape(x, axes: axes, weight: gamma ?? beta, owner)
        guard rmsScaling else {
            return try Ops.layerNormalization(x, gamma: gamma?.value, beta: beta?.value, axes: axes, epsilon: Float(epsilon))
        }
        let mean = try Ops.mean(x, axes: axes, keepDims: true)
        let variance = try Ops.mean(Ops.square(Ops.subtract(x, mean)), axes: axes, keepDims: true)
        let out = try Ops.multiply(x, Ops.pow(Ops.affine(variance, scale: 1, offset: Float(epsilon)), -0.5))
        guard let gamma else { return out }
        var column = Array(repeating: 1, count: x.rank)
        for a in axes { column[a] = x.shape[a] }
        return try Ops.multiply(out, Ops.reshape(gamma.value, column))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        _ = try axis.resolved(rank: inputShape.count, owner)
        return inputShape
    }
}

/// The sizes of the normalized axes of an input shape, which must be known: the shape of a
/// normalization layer's per-position weights.
func normalizedShape(_ inputShape: [Int?], axis: AxisList, _ owner: String) throws -> [Int] {
    try axis.resolved(rank: inputShape.count, owner).map { a in
        guard let d = inputShape[a] else {
            throw KerasError.shapeMismatch("\(owner): axis \(a) of the input must be known, got \(formatShape(inputShape))")
        }
        return d
    }
}

/// Throws naming `owner` when `x`'s normalized axes do not fit the weight the layer was built with.
func checkNormalizedShape(_ x: Tensor, axes: [Int], weight: Variable?, _ owner: String) throws {
    guard let weight else { return }
    let shape = axes.map { x.shape[$0] }
    guard shape == weight.shape else {
        throw KerasError.shapeMismatch("\(owner): expected sizes \(weight.shape) on the normalized axes \(axes), got input of shape \(x.shape)")
    }
}

extension LayerNormalization: DeclaredLayer {
    /// Keras: `LayerNormalization(axis=-1, epsilon=0.001, center=True, scale=True, beta_initializer="zeros",
    /// gamma_initializer="ones", ...)` with `rms_scaling` among its keyword arguments.
    public static let declaration = LayerDeclaration(
        LayerNormalization.self,
        constructorOrder: ["axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                           "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"],
        arguments: [
            .optional("axis", \.axis, default: -1),
            .optional("epsilon", \.epsilon, default: 1e-3),
            .optional("center", \.center, default: true),
            .optional("scale", \.scale, default: true),
            .optional("rms_scaling", \.rmsScaling, default: false),
        ] + affineArguments(LayerNormalization.self)
    ) { c in
        LayerNormalization(
            axis: try c.wrongTypeRefused { try AxisList(config: $0.pythonNumber("axis"), "LayerNormalization", argument: "axis") }, epsilon: try c.double("epsilon"),
            center: try c.bool("center"), scale: try c.bool("scale"), rmsScaling: try c.bool("rms_scaling"),
            affine: try c.affineOptions(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(LayerNormalization.self, $0) }
