/// The elementwise mean of its inputs.
/// Keras: `keras.layers.Average`.
///
/// ```swift
/// let a = Input(shape: [4]), b = Input(shape: [4])
/// let y = try Average()([a, b])   // or: try average([a, b])
/// ```
public final class Average: Merge, @unchecked Sendable {
    public override func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        Ops.affine(try inputs.dropFirst().reduce(inputs[0], Ops.add), scale: 1 / Float(inputs.count))
    }
}

extension Average: DeclaredLayer {
    /// Keras: `Average(**kwargs)`.
    public static let declaration = LayerDeclaration(Average.self, arguments: []) { c in Average(name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Average.self, $0) }
