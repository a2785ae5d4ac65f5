/// Scales each sample to unit L2 norm over `axis`: `x · min(rsqrt(Σ x²), 1e12)`.
/// Keras: `keras.layers.UnitNormalization`.
///
/// ```swift
/// let unit = UnitNormalization(axis: -1)        // or axis: [1, 2]
/// ```
public final class UnitNormalization: Layer, @unchecked Sendable {
    /// The axes over which the norm is taken.
    public let axis: AxisList

    public init(axis: AxisList = -1, name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil) {
        self.axis = axis
        super.init(name: name, trainable: trainable, inputShape: inputShape)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        try Ops.l2Normalize(x, axes: axis.resolved(rank: x.rank, "UnitNormalization '\(name)'"), epsilon: 1e-12)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        _ = try axis.resolved(rank: inputShape.count, "UnitNormalization '\(name)'")
        return inputShape
    }
}

extension UnitNormalization: DeclaredLayer {
    /// Keras: `UnitNormalization(axis=-1)`.
    public static let declaration = LayerDeclaration(UnitNormalization.self, builtAtInit: true, arguments: [
        .optional("axis", \.axis, default: -1),
    ]) { c in UnitNormalization(axis: try c.wrongTypeRefused { try AxisList(config: $0.pythonNumber("axis"), "UnitNormalization", argument: "axis") }, name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(UnitNormalization.self, $0) }
