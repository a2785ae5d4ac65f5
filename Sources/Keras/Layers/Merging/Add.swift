/// The elementwise sum of its inputs.
/// Keras: `keras.layers.Add`.
///
/// ```swift
/// let a = Input(shape: [4]), b = Input(shape: [4])
/// let y = try Add()([a, b])   // or: try add([a, b])
/// ```
public final class Add: Merge, @unchecked Sendable {
    public override func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        try inputs.dropFirst().reduce(inputs[0], Ops.add)
    }
}

extension Add: DeclaredLayer {
    /// Keras: `Add(**kwargs)`.
    public static let declaration = LayerDeclaration(Add.self, arguments: []) { c in Add(name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Add.self, $0) }
