/// The cell of ``SimpleRNN``, usable on its own (``RecurrentCell/step(_:states:training:)``)
/// or in ``RNN``. Keras: `keras.layers.SimpleRNNCell`.
public final class SimpleRNNCell: RecurrentCell, @unchecked Sendable {
    public convenience init(_ units: Int, activation: ActivationFunction = .tanh, useBias: Bool = true,
                            options: RecurrentCellOptions = RecurrentCellOptions(), name: String? = nil) throws {
        try self.init(units: units, kind: .simple, activation: activation, recurrentActivation: .linear, useBias: useBias,
                      unitForgetBias: false, options: options, name: name)
    }
}

/// The cell of ``LSTM`` (gates i, f, c, o). Keras: `keras.layers.LSTMCell`.
public final class LSTMCell: RecurrentCell, @unchecked Sendable {
    public convenience init(_ units: Int, activation: ActivationFunction = .tanh, recurrentActivation: ActivationFunction = .sigmoid,
                            useBias: Bool = true, unitForgetBias: Bool = true,
                            options: RecurrentCellOptions = RecurrentCellOptions(), name: String? = nil) throws {
        try self.init(units: units, kind: .lstm, activation: activation, recurrentActivation: recurrentActivation,
                      useBias: useBias, unitForgetBias: unitForgetBias, options: options, name: name)
    }
}

/// The cell of ``GRU`` (gates z, r, h). Keras: `keras.layers.GRUCell`.
public final class GRUCell: RecurrentCell, @unchecked Sendable {
    public var resetAfter: Bool { kind == .gru(resetAfter: true) }

    public convenience init(_ units: Int, activation: ActivationFunction = .tanh, recurrentActivation: ActivationFunction = .sigmoid,
                            useBias: Bool = true, resetAfter: Bool = true,
                            options: RecurrentCellOptions = RecurrentCellOptions(), name: String? = nil) throws {
        try self.init(units: units, kind: .gru(resetAfter: resetAfter), activation: activation,
                      recurrentActivation: recurrentActivation, useBias: useBias, unitForgetBias: false, options: options, name: name)
    }
}

extension RecurrentCellKind {
    /// Keras's class name of the cell.
    var cellClassName: String {
        switch self {
        case .simple: return "SimpleRNNCell"
        case .lstm: return "LSTMCell"
        case .gru: return "GRUCell"
        }
    }
}

extension RecurrentCell {
    /// A cell's `get_config()` entries in Keras's order: `between` after `use_bias` (LSTMCell's
    /// `unit_forget_bias`), `trailing` before `seed` (GRUCell's `reset_after`).
    static func cellArguments<L: RecurrentCell>(recurrentActivation: Bool, between: [LayerArgument<L>] = [],
                                                trailing: [LayerArgument<L>] = []) -> [LayerArgument<L>] {
        var arguments: [LayerArgument<L>] = [.required("units", \.units), .optional("activation", \.activationFunction, default: .tanh)]
        if recurrentActivation { arguments.append(.optional("recurrent_activation", \.recurrentActivationFunction, default: .sigmoid)) }
        return arguments + [.optional("use_bias", \.useBias, default: true)] + between + [
            .optional("kernel_initializer", \.options.kernelInitializer, default: VarianceScaling.glorotUniform()),
            .optional("recurrent_initializer", \.options.recurrentInitializer, default: Orthogonal()),
            .optional("bias_initializer", \.options.biasInitializer, default: Zeros()),
            .optional("kernel_regularizer", \.options.kernelRegularizer),
            .optional("recurrent_regularizer", \.options.recurrentRegularizer),
            .optional("bias_regularizer", \.options.biasRegularizer),
            .optional("kernel_constraint", \.options.kernelConstraint),
            .optional("recurrent_constraint", \.options.recurrentConstraint),
            .optional("bias_constraint", \.options.biasConstraint),
            .optional("dropout", \.options.dropout, default: 0),
            .optional("recurrent_dropout", \.options.recurrentDropout, default: 0),
        ] + trailing + [.optional("seed", \.options.seed, default: nil)]
    }

    static func cellDeclaration<L: RecurrentCell>(_ type: L.Type, arguments: [LayerArgument<L>],
                                                  make: @escaping (LayerConfig) throws -> L) -> LayerDeclaration {
        let names = Set(arguments.map(\.name))
        return LayerDeclaration(type, constructorOrder: RNN.constructorOrder.filter(names.contains), arguments: arguments, make: make)
    }
}

extension SimpleRNNCell: DeclaredLayer {
    /// Keras: `SimpleRNNCell(units, activation="tanh", use_bias=True, ..., dropout=0.0, recurrent_dropout=0.0, seed=None)`.
    public static let declaration = cellDeclaration(SimpleRNNCell.self, arguments: cellArguments(recurrentActivation: false)) { c in
        try SimpleRNNCell(try c.int("units"), activation: try c.activation("activation"), useBias: try c.bool("use_bias"),
                          options: try RecurrentCellOptions(c), name: c.name)
    }
}

extension LSTMCell: DeclaredLayer {
    /// Keras: `LSTMCell(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, ..., unit_forget_bias=True, ...)`.
    public static let declaration = cellDeclaration(LSTMCell.self, arguments: cellArguments(
        recurrentActivation: true, between: [.optional("unit_forget_bias", \.unitForgetBias, default: true)])) { c in
        try LSTMCell(try c.int("units"), activation: try c.activation("activation"),
                     recurrentActivation: try c.activation("recurrent_activation"), useBias: try c.bool("use_bias"),
                     unitForgetBias: try c.bool("unit_forget_bias"), options: try RecurrentCellOptions(c), name: c.name)
    }
}

extension GRUCell: DeclaredLayer {
    /// Keras: `GRUCell(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True, ..., reset_after=True, seed=None)`.
    public static let declaration = cellDeclaration(GRUCell.self, arguments: cellArguments(
        recurrentActivation: true, trailing: [.optional("reset_after", \.resetAfter, default: true)])) { c in
        try GRUCell(try c.int("units"), activation: try c.activation("activation"),
                    recurrentActivation: try c.activation("recurrent_activation"), useBias: try c.bool("use_bias"),
                    resetAfter: try c.bool("reset_after"), options: try RecurrentCellOptions(c), name: c.name)
    }
}

@section("keras_layers") @used private let recordSimpleRNNCell: LayerRecord = { LayerDeclaration.record(SimpleRNNCell.self, $0) }
@section("keras_layers") @used private let recordLSTMCell: LayerRecord = { LayerDeclaration.record(LSTMCell.self, $0) }
@section("keras_layers") @used private let recordGRUCell: LayerRecord = { LayerDeclaration.record(GRUCell.self, $0) }
