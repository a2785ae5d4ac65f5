/// Gated recurrent unit over a sequence (gates z, r, h); `resetAfter` (Keras 3's default)
/// applies the reset gate after the recurrent product, with a bias `(2, 3·units)`.
/// Keras: `keras.layers.GRU`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [50, 8]), GRU(32), Dense(1)])
/// ```
public final class GRU: RNN, @unchecked Sendable {
    public override class var declaration: LayerDeclaration { layerDeclaration }

    public var resetAfter: Bool { builtInCell?.kind == .gru(resetAfter: true) }

    public init(_ units: Int, activation: ActivationFunction = .tanh, recurrentActivation: ActivationFunction = .sigmoid,
                useBias: Bool = true, resetAfter: Bool = true, options: RecurrentCellOptions = RecurrentCellOptions(),
                activityRegularizer: Regularizer? = nil, returnSequences: Bool = false, returnState: Bool = false,
                goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false, zeroOutputForMask: Bool = false,
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let cell = try GRUCell(units: units, kind: .gru(resetAfter: resetAfter), activation: activation,
                               recurrentActivation: recurrentActivation, useBias: useBias, unitForgetBias: false,
                               options: options, name: "gru_cell")
        try super.init(cell: cell, returnSequences: returnSequences, returnState: returnState, goBackwards: goBackwards,
                       stateful: stateful, unroll: unroll, zeroOutputForMask: zeroOutputForMask,
                       activityRegularizer: activityRegularizer, name: name, trainable: trainable,
                       inputShape: inputShape, batchSize: batchSize)
    }
}

extension GRU {
    /// Keras: `GRU(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, ...,
    /// reset_after=True, return_sequences=False, return_state=False, go_backwards=False)`.
    static let layerDeclaration = LayerDeclaration.recurrent(GRU.self, activations: [
        .optional("activation", \.activationFunction, default: .tanh),
        .optional("recurrent_activation", \.recurrentActivationFunction, default: .sigmoid),
    ], trailing: [
        .optional("reset_after", \.resetAfter, default: true),
        .optional("seed", \.seed, default: nil),
    ], takenLast: ["reset_after"]) { c in
        try GRU(try c.int("units"), activation: try c.activation("activation"),
                recurrentActivation: try c.activation("recurrent_activation"), useBias: try c.bool("use_bias"),
                resetAfter: try c.bool("reset_after"), options: try RecurrentCellOptions(c),
                returnSequences: try c.bool("return_sequences"), returnState: try c.bool("return_state"),
                goBackwards: try c.bool("go_backwards"), stateful: try c.bool("stateful"), unroll: try c.bool("unroll"),
                zeroOutputForMask: try c.bool("zero_output_for_mask"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GRU.self, $0) }
