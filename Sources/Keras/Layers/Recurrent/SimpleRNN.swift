/// A fully connected recurrence `h = activation(x·W + h·U + b)` over a sequence.
/// Keras: `keras.layers.SimpleRNN`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [10, 4]), SimpleRNN(16), Dense(1)])
/// ```
public final class SimpleRNN: RNN, @unchecked Sendable {
    public override class var declaration: LayerDeclaration { layerDeclaration }

    public init(_ units: Int, activation: ActivationFunction = .tanh, useBias: Bool = true,
                options: RecurrentCellOptions = RecurrentCellOptions(), activityRegularizer: Regularizer? = nil,
                returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                stateful: Bool = false, unroll: Bool = false, zeroOutputForMask: Bool = false,
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let cell = try SimpleRNNCell(units: units, kind: .simple, activation: activation, recurrentActivation: .linear,
                                     useBias: useBias, unitForgetBias: false, options: options, name: "simple_rnn_cell")
        try super.init(cell: cell, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                       stateful: stateful, unroll: unroll, zeroOutputForMask: zeroOutputForMask,
                       activityRegularizer: activityRegularizer, name: name, trainable: trainable,
                       inputShape: inputShape, batchSize: batchSize)
    }
}

extension SimpleRNN {
    /// Keras: `SimpleRNN(units, activation="tanh", use_bias=True, ..., return_sequences=False,
    /// return_state=False, go_backwards=False)`. Its `seed` (of the dropout masks) goes to the
    /// cell, and its config leaves it out, as Keras's does.
    static let layerDeclaration = LayerDeclaration.recurrent(SimpleRNN.self, activations: [
        .optional("activation", \.activationFunction, default: .tanh),
    ], trailing: [
        .unsaved("seed"),
    ], takenLast: ["seed"]) { c in
        try SimpleRNN(try c.int("units"), activation: try c.activation("activation"), useBias: try c.bool("use_bias"),
                      options: try RecurrentCellOptions(c), returnSequences: try c.bool("return_sequences"),
                      returnState: try c.bool("return_state"), goBackwards: try c.bool("go_backwards"),
                      stateful: try c.bool("stateful"), unroll: try c.bool("unroll"),
                      zeroOutputForMask: try c.bool("zero_output_for_mask"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SimpleRNN.self, $0) }
