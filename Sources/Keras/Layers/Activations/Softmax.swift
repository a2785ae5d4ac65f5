/// Softmax along `axis`. Keras: `keras.layers.Softmax(axis=-1)`.
public final class Softmax: Layer, @unchecked Sendable {
    public let axis: Int

    public init(axis: Int = -1, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.axis = axis
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    public override func build(_ inputShape: [Int?]) throws {
        guard axis >= -inputShape.count && axis < inputShape.count else {
            throw KerasError.invalidArgument("Softmax(axis: \(axis)): axis out of range for inputs of rank \(inputShape.count)")
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try Ops.softmax(inputs, axis: axis) }
}

extension Softmax: DeclaredLayer {
    /// Keras: `Softmax(axis=-1)`; Keras 2 may write a one-element list for `axis`.
    public static let declaration = LayerDeclaration(Softmax.self, builtAtInit: true, arguments: [
        .optional("axis", \.axis, default: -1),
    ]) { c in
        let v = c["axis"]
        guard let axis = v?.intValue ?? (v?.arrayValue?.count == 1 ? v?.arrayValue?[0].intValue : nil) else {
            throw KerasError.io("Softmax config: 'axis' must be an integer, got \(v ?? .null)")
        }
        return Softmax(axis: axis, name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Softmax.self, $0) }
