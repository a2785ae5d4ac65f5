/// Applies an activation function to its input. Keras: `keras.layers.Activation`.
///
/// Swift already uses the name `Activation` for activation functions, so the layer is
/// `ActivationLayer`; its Keras class name (configs, summaries) is `Activation`.
///
/// ```swift
/// let model = try Sequential([
///     Dense(64, inputShape: [32]),
///     ActivationLayer("tanh"),
/// ])
/// ```
public final class ActivationLayer: Layer {
    let activationFunction: Activation

    /// The activation this layer applies.
    public override var activation: Activation? { activationFunction }

    public init(_ activation: Activation, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        activationFunction = activation
        super.init(name: name ?? LayerNames.unique(for: "activation"), trainable: trainable,
                   inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    /// An activation layer from a Keras name (`"relu"`, `"softmax"`); throws for unknown names.
    public convenience init(_ activation: String, name: String? = nil, trainable: Bool = true,
                            inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        let function: Activation
        do {
            function = try Activation.named(activation)
        } catch let error as KerasError {
            throw KerasError.unknownName("Activation(\"\(activation)\"): \(error.message)")
        }
        self.init(function, name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim,
                  batchSize: batchSize)
    }

    public override var className: String { "Activation" }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try activationFunction(inputs)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("activation", activationFunction.config)
        return c
    }
}
