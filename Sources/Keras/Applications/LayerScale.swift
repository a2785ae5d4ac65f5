/// Multiplies its input by a learned scale per channel of its last axis (`gamma`,
/// `projectionDim` values starting at `initValues`; Touvron et al., 2021): ConvNeXt's residual
/// branch. Keras: `keras.src.applications.convnext.LayerScale`, which Keras does not export;
/// its files name it by that module and `registered_name` `LayerScale`, and load here with no
/// custom objects. The weight is Keras's unnamed `variable`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [7, 7, 96]), LayerScale(initValues: 1e-6, projectionDim: 96)])
/// ```
public final class LayerScale: Layer, @unchecked Sendable {
    /// The initial value of every scale.
    public let initValues: Double
    /// The number of scales (the channels of the input's last axis).
    public let projectionDim: Int
    /// The scales; set by `build`. Keras: `gamma`.
    public private(set) var gamma: Variable?

    public init(initValues: Double, projectionDim: Int, name: String? = nil, trainable: Bool = true) throws {
        guard projectionDim > 0 else {
            throw KerasError.invalidArgument("LayerScale(projection_dim: \(projectionDim)): projection_dim must be a positive integer")
        }
        self.initValues = initValues
        self.projectionDim = projectionDim
        super.init(name: name, trainable: trainable)
    }

    public override func build(_ inputShape: [Int?]) throws {
        _ = try computeOutputShape(inputShape)
        gamma = addWeight(name: "variable", shape: [projectionDim], initializer: Constant(Float(initValues)))
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let gamma else { throw KerasError.invalidState("LayerScale '\(name)' is not built") }
        return try Ops.multiply(inputs, gamma.value)
    }

    /// The input's shape broadcast against the scales' (Keras's `x * self.gamma`).
    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard let shape = broadcastStaticShapes(inputShape, [projectionDim]) else {
            throw KerasError.shapeMismatch("LayerScale '\(name)': inputs of shape \(formatShape(inputShape)) do not broadcast against its \(projectionDim) scales (projection_dim must be the size of the last axis)")
        }
        return shape
    }
}

extension LayerScale: DeclaredLayer {
    /// Keras: `LayerScale(init_values, projection_dim, **kwargs)`.
    public static let declaration = LayerDeclaration(LayerScale.self, module: "keras.src.applications.convnext", arguments: [
        .required("init_values", \.initValues),
        .required("projection_dim", \.projectionDim),
    ]) { c in
        try LayerScale(initValues: c.double("init_values"),
                       projectionDim: c.int("projection_dim"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(LayerScale.self, $0) }
