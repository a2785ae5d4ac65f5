/// Divides each sample by its root mean square over `axis`, then multiplies by `scale` (one
/// value per position of the normalized axes): `x · rsqrt(mean(x²) + ε) · scale`.
/// Keras: `keras.layers.RMSNormalization`.
///
/// ```swift
/// let norm = RMSNormalization(axis: -1, epsilon: 1e-6)
/// ```
public final class RMSNormalization: Layer, @unchecked Sendable {
    /// The normalized axes; Keras's build turns it into a sorted list, and so does ``build(_:)``.
    public private(set) var axis: AxisList
    /// Added to the mean square before its square root.
    public let epsilon: Double

    /// The learned scale, named `scale` as in Keras 3.
    public private(set) var scale: Variable?

    public init(axis: AxisList = -1, epsilon: Double = 1e-6, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil) {
        self.axis = axis
        self.epsilon = epsilon
        super.init(name: name, trainable: trainable, inputShape: inputShape)
    }

    private var owner: String { "RMSNormalization '\(name)'" }

    public override func build(_ inputShape: [Int?]) throws {
        let shape = try normalizedShape(inputShape, axis: axis, owner)
        axis = AxisList(axis.axes.sorted())
        scale = addWeight(name: "scale", shape: shape, initializer: Ones())
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let axes = try axis.resolved(rank: x.rank, owner)
        try checkNormalizedShape(x, axes: axes, weight: scale, owner)
        return try Ops.rmsNormalization(x, scale: scale?.value, axes: axes, epsilon: Float(epsilon))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        _ = try axis.resolved(rank: inputShape.count, owner)
        return inputShape
    }
}

extension RMSNormalization: DeclaredLayer {
    /// Keras: `RMSNormalization(axis=-1, epsilon=1e-06)`.
    public static let declaration = LayerDeclaration(RMSNormalization.self, checkedWhenBuilt: ["axis": nil], arguments: [
        .optional("axis", \.axis, default: -1),
        .optional("epsilon", \.epsilon, default: 1e-6),
    ]) { c in
        RMSNormalization(axis: try AxisList(config: c["axis"], "RMSNormalization", argument: "axis"),
                         epsilon: try c.double("epsilon"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RMSNormalization.self, $0) }
