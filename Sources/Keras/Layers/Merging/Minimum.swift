/// The elementwise minimum of its inputs; a masked value never wins over an unmasked one.
/// Keras: `keras.layers.Minimum`.
///
/// ```swift
/// let a = Input(shape: [4]), b = Input(shape: [4])
/// let y = try Minimum()([a, b])   // or: try minimum([a, b])
/// ```
public final class Minimum: Merge, @unchecked Sendable {
    public override func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        try mergeKeepingUnmasked(inputs, masks: masks, Ops.minimum)
    }
}

extension Minimum: DeclaredLayer {
    /// Keras: `Minimum(**kwargs)`.
    public static let declaration = LayerDeclaration(Minimum.self, arguments: []) { c in Minimum(name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Minimum.self, $0) }
