/// Applies an activation function to its input. Keras: `keras.layers.Activation`.
///
/// ```swift
/// Sequential([Dense(8), Activation("relu"), Dense(3), Activation("softmax")])
/// ```
/// `layer.activation` compares equal to a Dense layer's activation of the same name, as in Keras.
public final class Activation: Layer, @unchecked Sendable {
    var activationFunction: ActivationFunction

    /// The function applied.
    public override var activation: ActivationFunction? { activationFunction }
    public override func replaceActivation(_ activation: ActivationFunction) { activationFunction = activation }

    public init(_ activation: ActivationFunction, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        activationFunction = activation
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// An activation layer from a Keras name (`"relu"`, `"softmax"`); throws for unknown names.
    public convenience init(_ activationName: String, name: String? = nil, trainable: Bool = true,
                            inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        let function: ActivationFunction
        do {
            function = try ActivationFunction.named(activationName)
        } catch let error as KerasError {
            throw KerasError.unknownName("Activation(\"\(activationName)\"): \(error.message)")
        }
        self.init(function, name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim,
                  batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try activationFunction(inputs)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }

    /// (Keras's `linear` returns its argument.)
    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { activationFunction == .linear }
}

extension Activation: DeclaredLayer {
    /// Keras: `Activation(activation)`.
    public static let declaration = LayerDeclaration(Activation.self, builtAtInit: true, arguments: [
        .required("activation", \.activationFunction),
    ]) { c in Activation(try c.activation("activation"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Activation.self, $0) }
