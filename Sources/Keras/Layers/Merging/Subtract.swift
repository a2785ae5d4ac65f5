/// The first of its two inputs minus the second.
/// Keras: `keras.layers.Subtract`.
///
/// ```swift
/// let a = Input(shape: [4]), b = Input(shape: [4])
/// let y = try Subtract()([a, b])   // or: try subtract([a, b])
/// ```
public final class Subtract: Merge, @unchecked Sendable {
    public override var requiredInputCount: Int? { 2 }

    public override func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        try Ops.subtract(inputs[0], inputs[1])
    }
}

extension Subtract: DeclaredLayer {
    /// Keras: `Subtract(**kwargs)`.
    public static let declaration = LayerDeclaration(Subtract.self, arguments: []) { c in Subtract(name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Subtract.self, $0) }
