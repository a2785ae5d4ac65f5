/// Returns its input unchanged (a placeholder that keeps masks). Keras: `keras.layers.Identity`
/// (named `IdentityLayer` in Swift, as `Identity` is the initializer).
///
/// ```swift
/// let y = try IdentityLayer()(Input(shape: [3]))
/// ```
public final class IdentityLayer: Layer, @unchecked Sendable {
    public override init(name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil,
                         inputDim: Int? = nil, batchSize: Int? = nil) {
        super.init(name: name ?? LayerNames.unique(for: "identity"), trainable: trainable, inputShape: inputShape,
                   inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override var className: String { "Identity" }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { inputs }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { true }
}

extension IdentityLayer: DeclaredLayer {
    /// Keras: `Identity(**kwargs)`.
    public static let declaration = LayerDeclaration(IdentityLayer.self, className: "Identity", builtAtInit: true, arguments: []) { c in
        IdentityLayer(name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(IdentityLayer.self, $0) }
