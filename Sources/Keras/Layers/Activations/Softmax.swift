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

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("axis", .int(axis))
        return c
    }
}
