/// The elementwise maximum of its inputs; a masked value never wins over an unmasked one.
/// Keras: `keras.layers.Maximum`.
///
/// ```swift
/// let a = Input(shape: [4]), b = Input(shape: [4])
/// let y = try Maximum()([a, b])   // or: try maximum([a, b])
/// ```
public final class Maximum: Merge, @unchecked Sendable {
    public override func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        try mergeKeepingUnmasked(inputs, masks: masks, Ops.maximum)
    }
}

extension Maximum: DeclaredLayer {
    /// Keras: `Maximum(**kwargs)`.
    public static let declaration = LayerDeclaration(Maximum.self, arguments: []) { c in Maximum(name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Maximum.self, $0) }
