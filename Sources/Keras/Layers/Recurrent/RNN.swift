/// A recurrent layer: runs its ``cell`` over the time axis of `(batch, steps, features)` inputs
/// and returns the last output `(batch, units)` or, with `returnSequences`, every step's
/// `(batch, steps, units)`; with `returnState` the final states follow as further outputs
/// (call it with `callMultiple`; a stack's states flattened in order). Masked steps carry state
/// and output through, as in Keras. The cell is any ``RNNCell``: the built-in ones run as one
/// fused op, others step by step on the tape. The cell's weights live in the cell
/// (`lstm/lstm_cell/kernel`). Keras: `keras.layers.RNN`.
public class RNN: Layer, @unchecked Sendable {
    /// The step the layer repeats; a tracked sublayer holding the weights.
    public let cell: RNNCell
    public let returnSequences: Bool
    public let returnState: Bool
    /// Processes the sequence from its end (outputs come in that order, as in Keras).
    public let goBackwards: Bool
    /// Keras's unrolled loop: the same steps, but a masked step outputs the previous step's
    /// output (zeros before the first unmasked one) whatever `zeroOutputForMask` says, as Keras's
    /// unrolled loop does; otherwise the same numbers.
    public let unroll: Bool
    /// With a mask, masked steps output zeros instead of the carried first state; the last output
    /// too when the last step processed is masked (Keras's scan).
    public var zeroOutputForMask: Bool

    /// The cell when it is a built-in one (run by the fused op); always so in ``SimpleRNN``,
    /// ``LSTM`` and ``GRU``, whose arguments below read it.
    public var builtInCell: RecurrentCell? { cell as? RecurrentCell }
    /// The width of the output. Keras: the cell's `output_size` (`units` of a built-in layer).
    public var units: Int { cell.outputSize }
    public var useBias: Bool { builtInCell?.useBias ?? true }
    var activationFunction: ActivationFunction { builtInCell?.activationFunction ?? .tanh }
    var recurrentActivationFunction: ActivationFunction { builtInCell?.recurrentActivationFunction ?? .sigmoid }
    private var options: RecurrentCellOptions { builtInCell?.options ?? RecurrentCellOptions() }
    var kernelInitializer: Initializer { options.kernelInitializer }
    var recurrentInitializer: Initializer { options.recurrentInitializer }
    var biasInitializer: Initializer { options.biasInitializer }
    var kernelRegularizer: Regularizer? { options.kernelRegularizer }
    var recurrentRegularizer: Regularizer? { options.recurrentRegularizer }
    var biasRegularizer: Regularizer? { options.biasRegularizer }
    var kernelConstraint: Constraint? { options.kernelConstraint }
    var recurrentConstraint: Constraint? { options.recurrentConstraint }
    var biasConstraint: Constraint? { options.biasConstraint }
    var dropout: Double { options.dropout }
    var recurrentDropout: Double { options.recurrentDropout }
    var seed: Int? { options.seed }
    /// The last states of each call start the next one (same batch size); ``resetStates()``
    /// zeroes them.
    public let stateful: Bool
    /// The states a stateful layer carries between calls, nil before its first call.
    public internal(set) var states: [Tensor]?
    /// The batch size a stateful layer was built or first called with.
    var statefulBatchSize: Int?

    /// A layer running `cell`: a built-in cell (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``),
    /// a ``StackedRNNCells`` or any other ``RNNCell``.
    public init(cell: RNNCell, returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                stateful: Bool = false, unroll: Bool = false, zeroOutputForMask: Bool = false,
                activityRegularizer: Regularizer? = nil, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        self.cell = cell
        self.stateful = stateful
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.unroll = unroll
        self.zeroOutputForMask = zeroOutputForMask
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// A layer running a stack of cells, each step feeding one cell's output to the next
    /// (Keras's `RNN([cell1, cell2])`, which wraps them in a ``StackedRNNCells``).
    public convenience init(cells: [RNNCell], returnSequences: Bool = false, returnState: Bool = false, goBackwards: Bool = false,
                            stateful: Bool = false, unroll: Bool = false, zeroOutputForMask: Bool = false,
                            name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        try self.init(cell: StackedRNNCells(cells), returnSequences: returnSequences, returnState: returnState,
                      goBackwards: goBackwards, stateful: stateful, unroll: unroll, zeroOutputForMask: zeroOutputForMask,
                      name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    private func checkRank(_ shape: [Int?]) throws {
        guard shape.count == 3 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expects inputs of rank 3 (batch, timesteps, features), got shape \(formatShape(shape))")
        }
    }

    override class var callTakesMask: Bool { true }

    public override func build(_ inputShape: [Int?]) throws {
        try checkRank(inputShape)
        // A cell written outside Swift knows its sizes once built (its call traced).
        try cell.buildIfNeeded([inputShape[0], inputShape[2]])
        guard cell.outputSize > 0, !cell.stateSize.isEmpty, cell.stateSize.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument("\(className) '\(name)': the cell \(cell.className) '\(cell.name)' must have positive output_size and state_size, got \(cell.outputSize) and \(cell.stateSize)")
        }
        if stateful, let batch = inputShape[0] { statefulBatchSize = batch }
    }

    /// The sequences and, after them, the initial states (Keras's `initial_state`).
    public override func build(shapes: [[Int?]]) throws {
        guard let first = shapes.first else { return try build([]) }
        try build(first)
        _ = try computeOutputShapes(shapes)
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        let (x, m, initial) = try checkedInputs(inputs, mask: mask)
        if let run = try fusedRun(x, mask: m, initialStates: initial, training: training) {
            return try finish(Ops.recurrentSequence(run), x: x, mask: m, stepped: false)
        }
        return try finish(runSteps(x, mask: m, initialStates: initial, training: training), x: x, mask: m, stepped: true)
    }

    /// A call's sequences, mask and initial states (given, carried or zeros), checked.
    func checkedInputs(_ inputs: [Tensor], mask: [Tensor?]?) throws -> (x: Tensor, mask: Tensor?, initialStates: [Tensor]) {
        guard let x = inputs.first, inputs.count == 1 || inputs.count == 1 + cell.stateCount else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes the sequences and optionally \(cell.stateCount) initial state(s) (initial_state), got \(inputs.count) input(s)")
        }
        try checkRank(x.shape.map { Optional($0) })
        let m = mask?.first ?? nil
        if let m, m.count != x.shape[0] * x.shape[1] {
            throw KerasError.shapeMismatch("\(className) '\(name)': mask shape \(m.shape) does not fit inputs \(x.shape)")
        }
        let given = Array(inputs.dropFirst())
        let widths = cell.stateSize
        if !zip(given, widths).allSatisfy({ $0.shape == [x.shape[0], $1] }) {
            throw KerasError.shapeMismatch("\(className) '\(name)': initial_state tensors must have shapes (batch, state_size) \(widths.map { [x.shape[0], $0] }), got \(given.map(\.shape))")
        }
        return (x, m, given.isEmpty ? try carriedStates(batch: x.shape[0]) : given)
    }

    /// The fused op's checked arguments for a call, nil where the call takes the step path
    /// (``fusedCell(training:)``). In training with input dropout it draws the call's mask.
    func fusedRun(_ x: Tensor, mask: Tensor?, initialStates: [Tensor], training: Bool) throws -> RecurrentRun? {
        guard let fused = fusedCell(training: training) else { return nil }
        if !training { fused.passInferenceDropoutDraws() }
        var input = x
        if training && fused.dropsInputs {
            // Keras's fused path: one input mask for every step of a sequence.
            let drop = fused.dropoutMasks(rate: fused.options.dropout, shape: [x.shape[0], 1, x.shape[2]], count: 1)[0]
            input = try Ops.multiply(x, drop)
        }
        return try fused.recurrentRun(input, mask: mask, initialStates: initialStates, goBackwards: goBackwards)
    }

    /// The layer's outputs from the fused op's results (the sequence, then the states: its
    /// last output is the first state) or, `stepped`, the step path's (the sequence, the last
    /// output, the states); a stateful layer keeps the states.
    func finish(_ outs: [Tensor], x: Tensor, mask m: Tensor?, stepped: Bool) throws -> [Tensor] {
        let finalStates = outs.dropFirst(stepped ? 2 : 1)
        if stateful { states = finalStates.map(\.detached) }
        var output = returnSequences ? outs[0] : outs[1]
        if let m, let keep = maskedOutputFactor(m, batch: x.shape[0], steps: x.shape[1], stepped: stepped) {
            output = try Ops.multiply(output, keep)
        }
        return returnState ? [output] + finalStates : [output]
    }

    /// The built-in cell when a call runs it as one fused op: not in training with recurrent
    /// dropout or pinned masks, which take the step path.
    func fusedCell(training: Bool) -> RecurrentCell? {
        guard let cell = builtInCell, !(training && (cell.dropsState || cell.pinnedMasks != nil)) else { return nil }
        return cell
    }

    /// The states a call starts from without `initial_state`: zeros, or a stateful layer's carried ones.
    func carriedStates(batch: Int) throws -> [Tensor] {
        guard stateful else { return try cell.initialStates(batch: batch) ?? [] }
        let expected = statefulBatchSize ?? batch
        guard batch == expected else {
            throw KerasError.shapeMismatch("\(className) '\(name)' is stateful with batch size \(expected): every batch must have that size, got \(batch)")
        }
        statefulBatchSize = expected
        if let states { return states }
        return try cell.initialStates(batch: batch)?.map(\.detached) ?? cell.stateSize.map { Tensor(shape: [batch, $0]) }
    }

    /// Zeroes the states a stateful layer carries. Keras: `reset_states()`.
    public func resetStates() {
        states = states?.map { Tensor(shape: $0.shape) }
    }

    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        guard let s = shapes.first, shapes.count == 1 || shapes.count == 1 + cell.stateCount else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes the sequences and optionally \(cell.stateCount) initial state(s) (initial_state), got \(shapes.count) input(s)")
        }
        try checkRank(s)
        let widths = cell.stateSize
        for (state, width) in zip(shapes.dropFirst(), widths) where state.count != 2 || (state[1] != nil && state[1] != width) {
            throw KerasError.shapeMismatch("\(className) '\(name)': initial_state tensors must have shapes (batch, state_size) with state_size \(widths), got \(formatShape(state))")
        }
        let out: [Int?] = returnSequences ? [s[0], s[1], units] : [s[0], units]
        return [out] + (returnState ? widths.map { [s[0], $0] } : [])
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try computeOutputShapes([inputShape])[0]
    }

    /// Keras: the input mask with `return_sequences`, else none; none for the states.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        let out = returnSequences ? (masks.first ?? nil) : nil
        return [out] + (returnState ? [Tensor?](repeating: nil, count: cell.stateCount) : [])
    }

    /// Keras: `RNN(cell, return_sequences=False, ...)`; the subclasses override it.
    public class var declaration: LayerDeclaration { rnnDeclaration }

    /// Keras passes the initial states as `initial_state`, the sequences as `sequences`.
    public override var trailingInputsArgument: (first: String, rest: String)? { ("sequences", "initial_state") }
}

extension RNN: DeclaredLayer {
    static let rnnDeclaration = LayerDeclaration(RNN.self, constructorOrder: [
        "cell", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
    ], arguments: Array(leadingArguments().dropLast()) + [
        .required("cell") { serializedLayer($0.cell, legacy: false) },
    ]) { c in
        guard let j = c["cell"] else { throw KerasError.io("RNN config: 'cell' is required") }
        let cell: RNNCell
        if let list = j.arrayValue {
            // Keras wraps a list of cells in a StackedRNNCells.
            cell = try StackedRNNCells(list.map { try StackedRNNCells.deserializeCell($0, owner: "RNN config: 'cell'") })
        } else {
            cell = try StackedRNNCells.deserializeCell(j, owner: "RNN config: 'cell'")
        }
        return try RNN(cell: cell, returnSequences: try c.bool("return_sequences"), returnState: try c.bool("return_state"),
                       goBackwards: try c.bool("go_backwards"), stateful: try c.bool("stateful"), unroll: try c.bool("unroll"),
                       zeroOutputForMask: try c.bool("zero_output_for_mask"), name: c.name)
    }

    /// The `get_config()` entries every built-in recurrent layer shares, before its own
    /// (`units`, activations, ...) in Keras's order.
    static func leadingArguments<L: RNN>() -> [LayerArgument<L>] {
        sequenceFlagArguments() + [.required("units", \.units)]
    }

    /// The initializer, regularizer and constraint entries; `between` goes after the initializers
    /// (LSTM's `unit_forget_bias`).
    static func weightArguments<L: RNN>(between: [LayerArgument<L>] = []) -> [LayerArgument<L>] {
        [
            .optional("use_bias", \.useBias, default: true),
            .optional("kernel_initializer", \.kernelInitializer, default: VarianceScaling.glorotUniform()),
            .optional("recurrent_initializer", \.recurrentInitializer, default: Orthogonal()),
            .optional("bias_initializer", \.biasInitializer, default: Zeros()),
        ] + between + [
            .optional("kernel_regularizer", \.kernelRegularizer),
            .optional("recurrent_regularizer", \.recurrentRegularizer),
            .optional("bias_regularizer", \.biasRegularizer),
            .optional("activity_regularizer", default: .null) { $0.activityRegularizer?.serialized ?? .null },
            .optional("kernel_constraint", \.kernelConstraint),
            .optional("recurrent_constraint", \.recurrentConstraint),
            .optional("bias_constraint", \.biasConstraint),
            .optional("dropout", \.dropout, default: 0),
            .optional("recurrent_dropout", \.recurrentDropout, default: 0),
        ]
    }

    /// Keras's constructor order of the shared arguments (units first).
    static let constructorOrder = ["units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                                   "recurrent_initializer", "bias_initializer", "unit_forget_bias",
                                   "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                                   "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                                   "bias_constraint", "dropout", "recurrent_dropout", "reset_after", "seed",
                                   "return_sequences", "return_state", "go_backwards", "stateful", "unroll"]
}

/// The flags of a layer that runs a cell over sequences (``RNN`` and its subclasses, ``ConvLSTM``).
protocol SequenceFlags: Layer {
    var returnSequences: Bool { get }
    var returnState: Bool { get }
    var goBackwards: Bool { get }
    var stateful: Bool { get }
    var unroll: Bool { get }
    var zeroOutputForMask: Bool { get }
}

extension RNN: SequenceFlags {}

/// The `get_config()` entries of Keras's `RNN` base, first in every recurrent layer's config.
func sequenceFlagArguments<L: SequenceFlags>() -> [LayerArgument<L>] {
    [
        .optional("return_sequences", \.returnSequences, default: false),
        .optional("return_state", \.returnState, default: false),
        .optional("go_backwards", \.goBackwards, default: false),
        .optional("stateful", \.stateful, default: false),
        .optional("unroll", \.unroll, default: false),
        .optional("zero_output_for_mask", \.zeroOutputForMask, default: false),
    ]
}

extension LayerDeclaration {
    /// The declaration of a built-in recurrent layer: the shared arguments around its own, in
    /// Keras's `get_config()` and constructor orders; `takenLast` are those its constructor takes
    /// after `unroll` (GRU's `reset_after`, SimpleRNN's `seed`), where its cell's takes them before.
    static func recurrent<L: RNN>(_ type: L.Type, activations: [LayerArgument<L>], between: [LayerArgument<L>] = [],
                                  trailing: [LayerArgument<L>] = [], takenLast: [String] = [],
                                  make: @escaping (LayerConfig) throws -> L) -> LayerDeclaration {
        let arguments = RNN.leadingArguments() + activations + RNN.weightArguments(between: between) + trailing
        let names = Set(arguments.map(\.name))
        let order = RNN.constructorOrder.filter { names.contains($0) && !takenLast.contains($0) } + takenLast
        return LayerDeclaration(type, constructorOrder: order, arguments: arguments, make: make)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RNN.self, $0) }
