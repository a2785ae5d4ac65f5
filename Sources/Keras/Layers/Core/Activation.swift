/// Applies an activation function to its input. Keras: `keras.layers.Activation`.
///
/// ```swift
/// Sequential([Dense(8), Activation("relu"), Dense(3), Activation("softmax")])
/// ```
public final class Activation: Layer {
    /// The function applied.
    public let activation: ActivationFunction

    public init(_ activation: ActivationFunction, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.activation = activation
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    /// An activation layer from a Keras name (`"relu"`, `"softmax"`); throws for unknown names.
    public convenience init(_ name: String, layerName: String? = nil, inputShape: [Int]? = nil) throws {
        self.init(try ActivationFunction.named(name), name: layerName, inputShape: inputShape)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try activation(inputs)
    }

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("activation", activation.config)
        return c
    }
}
