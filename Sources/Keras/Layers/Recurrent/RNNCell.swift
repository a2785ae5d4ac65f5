/// One step of a recurrent computation, which ``RNN`` repeats over the time axis: Keras's cell
/// contract (`state_size`, `output_size`, `call(inputs, states)`). Any layer can be a cell: write
/// ``call(_:states:training:)`` with Ops and the tape gives its gradients. The built-in cells
/// (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``) conform too, and ``RNN`` runs them with a fused
/// sequence kernel instead of step by step; ``StackedRNNCells`` chains cells into one.
///
/// ```swift
/// final class MinimalCell: Layer, RNNCell {
///     let units: Int
///     var kernel: Variable?
///     init(_ units: Int) { self.units = units; super.init() }
///     var stateSize: [Int] { [units] }
///     override func build(_ inputShape: [Int?]) throws {
///         kernel = addWeight(name: "kernel", shape: [(inputShape.last ?? nil) ?? 0, units])
///     }
///     func call(_ x: Tensor, states: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor]) {
///         guard let kernel else { throw KerasError.invalidState("MinimalCell is not built") }
///         let h = try Ops.tanh(Ops.add(Ops.matmul(x, kernel.value), states[0]))
///         return (h, [h])
///     }
/// }
/// let layer = try RNN(cell: MinimalCell(4), returnSequences: true)
/// ```
public protocol RNNCell: Layer {
    /// The width of each state tensor `(batch, width)`, in the order ``call(_:states:training:)``
    /// takes and returns them. Keras: `state_size` (an int is one state).
    var stateSize: [Int] { get }
    /// The width of a step's output `(batch, outputSize)`. Keras: `output_size`; by default the
    /// first state's width, as Keras assumes without one.
    var outputSize: Int { get }
    /// One step: `inputs` `(batch, features)` and the states to the step's output and the new
    /// states (same count and shapes). Keras: `cell.call(inputs, states, training)`.
    func call(_ inputs: Tensor, states: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor])
    /// Called by ``RNN`` before the steps of one call over a sequence (a cell may draw its dropout
    /// masks here, one per sequence as Keras does). By default nothing.
    func beginSequence(batch: Int, features: Int, training: Bool) throws
    /// Called by ``RNN`` after the steps of one call. By default nothing.
    func endSequence()
    /// The states a sequence of `batch` rows starts from when none are given, or nil for zeros.
    /// Keras: `cell.get_initial_state(batch_size)`.
    func initialStates(batch: Int) throws -> [Tensor]?
}

extension RNNCell {
    public var outputSize: Int { stateSize.first ?? 0 }
    public func beginSequence(batch: Int, features: Int, training: Bool) throws {}
    public func endSequence() {}
    public func initialStates(batch: Int) throws -> [Tensor]? { nil }
    /// The number of state tensors.
    public var stateCount: Int { stateSize.count }
}

extension RecurrentCell: RNNCell {
    /// `[units]`, or `[units, units]` for LSTM (h and c).
    public var stateSize: [Int] { kind == .lstm ? [units, units] : [units] }
    public var outputSize: Int { units }

    /// One step on the tape (Keras's `cell(inputs, states, training)`); inside an ``RNN`` call the
    /// weights split by gate and the dropout masks are shared by all steps of the sequence.
    public func call(_ inputs: Tensor, states: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor]) {
        if let sequenceContext { return try step(inputs, states: states, context: sequenceContext) }
        return try step(inputs, states: states, training: training)
    }

    public func beginSequence(batch: Int, features: Int, training: Bool) throws {
        sequenceContext = try stepContext(batch: batch, features: features, training: training)
    }

    public func endSequence() { sequenceContext = nil }
}
