/// The arguments every built-in recurrent cell shares besides units and activations: the
/// initializers, regularizers and constraints of its kernel, recurrent kernel and bias, and
/// its dropouts. Keras: the common arguments of `SimpleRNNCell`, `LSTMCell` and `GRUCell`.
public struct RecurrentCellOptions {
    public var kernelInitializer: Initializer = VarianceScaling.glorotUniform()
    public var recurrentInitializer: Initializer = Orthogonal()
    public var biasInitializer: Initializer = Zeros()
    public var kernelRegularizer: Regularizer?
    public var recurrentRegularizer: Regularizer?
    public var biasRegularizer: Regularizer?
    public var kernelConstraint: Constraint?
    public var recurrentConstraint: Constraint?
    public var biasConstraint: Constraint?
    /// Fraction of the inputs dropped in training, one mask per sequence (clamped to [0, 1]
    /// as Keras does; 1 drops nothing, as in Keras).
    public var dropout: Double = 0
    /// Fraction of the recurrent state dropped in training, one mask per sequence and gate.
    public var recurrentDropout: Double = 0
    /// The seed of the cell's own dropout generator; nil draws from the thread's generator.
    public var seed: Int?

    public init() {}

    /// The options a Keras config holds.
    init(_ c: LayerConfig) throws {
        kernelInitializer = try c.initializer("kernel_initializer")
        recurrentInitializer = try c.initializer("recurrent_initializer")
        biasInitializer = try c.initializer("bias_initializer")
        kernelRegularizer = try c.regularizer("kernel_regularizer")
        recurrentRegularizer = try c.regularizer("recurrent_regularizer")
        biasRegularizer = try c.regularizer("bias_regularizer")
        kernelConstraint = try c.constraint("kernel_constraint")
        recurrentConstraint = try c.constraint("recurrent_constraint")
        biasConstraint = try c.constraint("bias_constraint")
        try c.refuseNone("dropout", "recurrent_dropout")
        dropout = try c.double("dropout")
        recurrentDropout = try c.double("recurrent_dropout")
        seed = try c.seed()
    }

    /// The options with the dropout rates clamped to [0, 1] as Keras does; throws naming `owner`
    /// for a rate that is not a number.
    func clamped(_ owner: String) throws -> RecurrentCellOptions {
        for (arg, v) in [("dropout", dropout), ("recurrent_dropout", recurrentDropout)] where !v.isFinite {
            throw KerasError.invalidArgument("\(owner)(\(arg): \(v)): must be a number between 0 and 1")
        }
        var out = self
        out.dropout = min(1, max(0, dropout))
        out.recurrentDropout = min(1, max(0, recurrentDropout))
        return out
    }

}

/// One step of a recurrent layer: its weights (kernel `(input, G·units)`, recurrent kernel
/// `(units, G·units)`, bias) and its math, which ``RNN`` runs over whole sequences with one
/// fused op. Keras: `SimpleRNNCell`, `LSTMCell`, `GRUCell` (the RNN layer's `cell`).
public class RecurrentCell: GatedCell, @unchecked Sendable {
    public let units: Int
    public let kind: RecurrentCellKind
    /// Masks every call uses instead of drawing new ones (tests: gradients with a fixed mask).
    var pinnedMasks: (inputs: [Tensor]?, recurrent: [Tensor]?)?
    /// The split weights and masks of the sequence an ``RNN`` is stepping through, if any.
    var sequenceContext: RecurrentStepContext?

    /// Keras's draws of a call: one input mask (one per gate with recurrent dropout), one
    /// state mask per gate.
    override var dropoutDrawsPerCall: Int {
        (dropsInputs ? (dropsState ? kind.gates : 1) : 0) + (dropsState ? kind.gates : 0)
    }

    init(units: Int, kind: RecurrentCellKind, activation: ActivationFunction, recurrentActivation: ActivationFunction,
         useBias: Bool, unitForgetBias: Bool, options: RecurrentCellOptions, name: String?) throws {
        let owner = name ?? kind.cellClassName
        guard units > 0 else {
            throw KerasError.invalidArgument("\(owner)(units: \(units)): units must be positive")
        }
        for (arg, a) in [("activation", activation), ("recurrent_activation", recurrentActivation)] where a.elementwise == nil {
            throw KerasError.invalidArgument("\(owner)(\(arg): \(a.name)): the fused recurrent kernel needs an elementwise activation")
        }
        self.units = units
        self.kind = kind
        try super.init(activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                       unitForgetBias: unitForgetBias, options: options, generatorFirst: kind == .simple,
                       owner: owner, name: name)
    }

    public override func build(_ inputShape: [Int?]) throws {
        guard let last = inputShape.last, let inputDim = last else {
            throw KerasError.shapeMismatch("\(className) '\(name)': the last dimension of the input must be known, got \(formatShape(inputShape))")
        }
        let g = kind.gates * units
        addGateWeights(kernel: [inputDim, g], recurrentKernel: [units, g], bias: kind == .gru(resetAfter: true) ? [2, g] : [g],
                       forgetUnits: kind == .lstm && unitForgetBias ? units : nil)
    }

    public override func build(shapes: [[Int?]]) throws {
        guard let first = shapes.first else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes [inputs, states...], got no input")
        }
        try build(first)
    }

    /// Keras's `cell(inputs, states)` called as a layer, one step: `[inputs, states...]`
    /// (`(batch, features)`, then each state `(batch, width)`) to `[output, new states...]`.
    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard inputs.count == 1 + stateCount else {
            throw KerasError.invalidArgument("\(className) '\(name)' is called on one step as cell(inputs, states): [inputs] and \(stateCount) state tensor(s) of width \(units), got \(inputs.count) tensor(s)")
        }
        let (output, states) = try step(inputs[0], states: Array(inputs.dropFirst()), training: training)
        return [output] + states
    }

    /// A functional call is `cell(inputs, states)`: the node holds `[inputs, [states...]]`.
    public override var takesPositionalInputs: Bool { true }
    public override var takesStatesList: Bool { true }

    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        let batch = shapes.first?.first ?? nil
        return [[batch, units]] + stateSize.map { [batch, $0] }
    }

    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        [Tensor?](repeating: nil, count: 1 + stateCount)
    }

    /// The fused op's arguments for running the cell over `x` `(batch, steps, features)` from
    /// `initialStates` (zeros when empty); ``Ops/recurrentSequence(_:)`` returns the outputs of
    /// every step and the last state(s).
    func recurrentRun(_ x: Tensor, mask: Tensor?, initialStates: [Tensor] = [], goBackwards: Bool) throws -> RecurrentRun {
        guard let kernel, let recurrentKernel, let act = activationFunction.elementwise,
              let rec = recurrentActivationFunction.elementwise else {
            throw KerasError.invalidState("\(className) '\(name)' is not built")
        }
        return try RecurrentRun(x, kernel: kernel.value, recurrentKernel: recurrentKernel.value, bias: bias?.value, kind: kind,
                                activation: act, recurrentActivation: rec, mask: mask, initialStates: initialStates,
                                goBackwards: goBackwards)
    }
}

/// Keras's LSTM bias initializer with `unit_forget_bias`: `base` for the i, c, o blocks, ones
/// for the forget block.
struct ForgetBias: Initializer {
    let base: Initializer
    let units: Int
    var className: String { base.className }
    var config: JSON { base.config }
    func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let t = Tensor(shape: shape)
        let first = base([units], generator: generator), rest = base([2 * units], generator: generator)
        t.data.update(from: first.data, count: units)
        (t.data + units).update(repeating: 1, count: units)
        (t.data + 2 * units).update(from: rest.data, count: 2 * units)
        return t
    }
}
