/// The elementwise product of its inputs; masked values count as 1, and positions masked in every input are 0.
/// Keras: `keras.layers.Multiply`.
///
/// ```swift
/// let a = Input(shape: [4]), b = Input(shape: [4])
/// let y = try Multiply()([a, b])   // or: try multiply([a, b])
/// ```
public final class Multiply: Merge, @unchecked Sendable {
    /// Keras: with a mask on every input, masked values count as 1 and a position masked in
    /// every input is 0; otherwise masked values count as 1.
    public override func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        guard let masks else { return try inputs.dropFirst().reduce(inputs[0], Ops.multiply) }
        let everyMasked = masks.allSatisfy { $0 != nil }
        var output: Tensor?, outputMask: Tensor?
        for (x0, m) in zip(inputs, masks) {
            var x = x0
            if let m {
                let mask = try spread(m, over: x)
                x = try Ops.where(mask, x, Tensor(shape: x.shape, repeating: 1))
                if everyMasked { outputMask = try outputMask.map { try Merge.or($0, mask, "Multiply '\(name)'") } ?? mask }
            }
            output = try output.map { try Ops.multiply($0, x) } ?? x
        }
        guard let out = output else { return inputs[0] }
        guard let outputMask, outputMask.shape == out.shape else { return out }
        return try Ops.where(outputMask, out, Tensor(shape: out.shape, repeating: 0))
    }
}

extension Multiply: DeclaredLayer {
    /// Keras: `Multiply(**kwargs)`.
    public static let declaration = LayerDeclaration(Multiply.self, arguments: []) { c in Multiply(name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Multiply.self, $0) }
