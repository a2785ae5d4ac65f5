/// Long short-term memory over a sequence (gates i, f, c, o). Keras: `keras.layers.LSTM`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [50, 8]), LSTM(32), Dense(1)])
/// ```
public final class LSTM: RNN, @unchecked Sendable {
    public override class var declaration: LayerDeclaration { layerDeclaration }

    public var unitForgetBias: Bool { builtInCell?.unitForgetBias ?? true }

    public init(_ units: Int, activation: ActivationFunction = .tanh, recurrentActivation: ActivationFunction = .sigmoid,
                useBias: Bool = true, unitForgetBias: Bool = true, options: RecurrentCellOptions = RecurrentCellOptions(),
                activityRegularizer: Regularizer? = nil, returnSequences: Bool = false, returnState: Bool = false,
                goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false, zeroOutputForMask: Bool = false,
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let cell = try LSTMCell(units: units, kind: .lstm, activation: activation, recurrentActivation: recurrentActivation,
                                useBias: useBias, unitForgetBias: unitForgetBias, options: options, name: "lstm_cell")
        try super.init(cell: cell, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                       stateful: stateful, unroll: unroll, zeroOutputForMask: zeroOutputForMask,
                       activityRegularizer: activityRegularizer, name: name, trainable: trainable,
                       inputShape: inputShape, batchSize: batchSize)
    }
}

extension LSTM {
    /// Keras: `LSTM(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, ...,
    /// unit_forget_bias=True, ..., return_sequences=False, return_state=False, go_backwards=False)`.
    static let layerDeclaration = LayerDeclaration.recurrent(LSTM.self, activations: [
        .optional("activation", \.activationFunction, default: .tanh),
        .optional("recurrent_activation", \.recurrentActivationFunction, default: .sigmoid),
    ], between: [
        .optional("unit_forget_bias", \.unitForgetBias, default: true),
    ], trailing: [
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try LSTM(try c.int("units"), activation: try c.activation("activation"),
                 recurrentActivation: try c.activation("recurrent_activation"), useBias: try c.bool("use_bias"),
                 unitForgetBias: try c.bool("unit_forget_bias"), options: try RecurrentCellOptions(c),
                 returnSequences: try c.bool("return_sequences"), returnState: try c.bool("return_state"),
                 goBackwards: try c.bool("go_backwards"), stateful: try c.bool("stateful"), unroll: try c.bool("unroll"),
                 zeroOutputForMask: try c.bool("zero_output_for_mask"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(LSTM.self, $0) }
