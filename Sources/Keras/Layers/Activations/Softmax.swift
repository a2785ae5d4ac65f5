/// Softmax along `axis`. Keras: `keras.layers.Softmax(axis=-1)`.
public final class Softmax: Layer, @unchecked Sendable {
    public let axis: Int

    public init(axis: Int = -1, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.axis = axis
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func build(_ inputShape: [Int?]) throws {
        guard axis >= -inputShape.count && axis < inputShape.count else {
            throw KerasError.invalidArgument("Softmax(axis: \(axis)): axis out of range for inputs of rank \(inputShape.count)")
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try Ops.softmax(inputs, axis: axis) }

    /// With a mask (broadcast over the inputs from the last axis, as Keras's): the masked
    /// positions count as -1e9 in the softmax and are 0 in its output, as Keras's.
    override class var callTakesMask: Bool { true }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard inputs.count == 1, let m = mask?.first ?? nil else { return [try call(inputs, training: training)] }
        let x = inputs[0]
        guard m.rank <= x.rank, zip(m.shape.reversed(), x.shape.reversed()).allSatisfy({ $0 == 1 || $0 == $1 }) else {
            throw KerasError.shapeMismatch("Softmax '\(name)': the mask must be broadcastable to the inputs (each of its dimensions 1 or the input's, from the last); got mask \(m.shape) for inputs \(x.shape)")
        }
        let keep = try Ops.multiply(Ops.greater(m, Tensor(0.5)), Tensor(shape: x.shape, repeating: 1))
        let y = try Ops.softmax(Ops.where(keep, x, Tensor(shape: x.shape, repeating: -1e9)), axis: axis)
        return [try Ops.where(keep, y, Tensor(shape: x.shape))]
    }
}

extension Softmax: DeclaredLayer {
    /// Keras: `Softmax(axis=-1)`; Keras 2 may write a one-element list for `axis`.
    public static let declaration = LayerDeclaration(Softmax.self, builtAtInit: true, checkedWhenBuilt: ["axis": nil], arguments: [
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
