/// What ConvLSTM1D, ConvLSTM2D and ConvLSTM3D share: an LSTM whose input and recurrent
/// transformations are convolutions, over `(batch, timesteps, spatial..., channels)` inputs
/// (`(batch, timesteps, channels, spatial...)` with `channels_first`). It returns the last output
/// `(batch, spatial'..., filters)` or, with `returnSequences`, every step's; with `returnState` the
/// final h and c follow (call it with `callMultiple`). The weights live in the ``cell``
/// (`conv_lstm2d/conv_lstm_cell/kernel`). A subclass only names its ``spatialRank``.
/// A mask of time steps `(batch, timesteps)` (Keras's `mask` argument) is applied as by an LSTM:
/// a masked step keeps the previous states and output. Keras's jax backend applies it only
/// unrolled (its scan fails to broadcast the step mask over the spatial axes); here both ways. A
/// mask with more axes (a Masking layer's, one a position) is refused, as Keras fails on it.
/// Keras: `keras.src.layers.rnn.conv_lstm.ConvLSTM`.
///
/// ```swift
/// let layer = try ConvLSTM2D(16, kernelSize: [3], padding: .same, returnSequences: true)
/// ```
open class ConvLSTM: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }

    /// The step the layer repeats; a tracked sublayer holding the weights.
    public let cell: ConvLSTMCell
    public let returnSequences: Bool
    public let returnState: Bool
    /// Processes the sequence from its end (outputs come in that order, as in Keras).
    public let goBackwards: Bool
    /// The last states of each call start the next one (same batch size); ``resetStates()`` zeroes them.
    public let stateful: Bool
    /// Accepted for Keras compatibility; the result is the same either way.
    public let unroll: Bool
    /// Masked steps output zeros instead of the carried output (not unrolled, as in Keras).
    public let zeroOutputForMask: Bool
    /// The states (h, c) a stateful layer carries between calls, nil before its first call.
    public internal(set) var states: [Tensor]?
    /// The batch size a stateful layer was built or first called with.
    var statefulBatchSize: Int?

    public var filters: Int { cell.filters }
    public var kernelSize: [Int] { cell.kernelSize }
    public var strides: [Int] { cell.strides }
    public var padding: ConvPadding { cell.padding }
    public var dataFormat: DataFormat { cell.dataFormat }
    public var dilationRate: [Int] { cell.dilationRate }
    public var useBias: Bool { cell.useBias }
    public var unitForgetBias: Bool { cell.unitForgetBias }
    var activationFunction: ActivationFunction { cell.activationFunction }
    var recurrentActivationFunction: ActivationFunction { cell.recurrentActivationFunction }
    var options: RecurrentCellOptions { cell.options }

    /// `kernelSize`, `strides` and `dilationRate` take one integer (repeated) or one per spatial axis;
    /// `options` holds the initializers, regularizers, constraints, dropouts and seed.
    public required init(_ filters: Int, kernelSize: [Int], strides: [Int] = [1], padding: ConvPadding = .valid,
                         dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1],
                         activation: ActivationFunction = .tanh, recurrentActivation: ActivationFunction = .sigmoid,
                         useBias: Bool = true, unitForgetBias: Bool = true, options: RecurrentCellOptions = RecurrentCellOptions(),
                         activityRegularizer: Regularizer? = nil, returnSequences: Bool = false, returnState: Bool = false,
                         goBackwards: Bool = false, stateful: Bool = false, unroll: Bool = false, zeroOutputForMask: Bool = false,
                         name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        cell = try ConvLSTMCell(rank: Self.spatialRank, filters: filters, kernelSize: kernelSize, strides: strides,
                                padding: padding, dataFormat: dataFormat, dilationRate: dilationRate, activation: activation,
                                recurrentActivation: recurrentActivation, useBias: useBias, unitForgetBias: unitForgetBias,
                                options: options, owner: String(describing: Self.self))
        self.returnSequences = returnSequences
        self.returnState = returnState
        self.goBackwards = goBackwards
        self.stateful = stateful
        self.unroll = unroll
        self.zeroOutputForMask = zeroOutputForMask
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    /// The shape of one step's output `(batch, spatial'..., filters)` in the layer's data format;
    /// throws naming the layer for a wrong rank, no time steps, or a kernel longer than a `valid` input.
    func stepOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        let r = Self.spatialRank
        guard inputShape.count == r + 3 else {
            let axes = dataFormat == .channelsLast ? "\(r) spatial axes, channels" : "channels, \(r) spatial axes"
            throw KerasError.shapeMismatch("\(className) '\(name)': expects inputs of rank \(r + 3) (batch, timesteps, \(axes)), got shape \(formatShape(inputShape))")
        }
        if let steps = inputShape[1], steps < 1 {
            throw KerasError.shapeMismatch("\(className) '\(name)': the sequences need at least one time step, got shape \(formatShape(inputShape))")
        }
        let step = [inputShape[0]] + Array(inputShape.dropFirst(2)), first = dataFormat == .channelsLast ? 1 : 2
        for a in 0..<r {
            guard let n = step[first + a], Ops.windowLength(n, window: kernelSize[a], stride: strides[a], dilation: dilationRate[a], padding: padding) == nil else { continue }
            throw KerasError.shapeMismatch("\(className) '\(name)': kernel_size \(kernelSize) (dilation_rate \(dilationRate)) is longer than the input's \(n) positions on spatial axis \(a) of shape \(formatShape(inputShape)) with padding 'valid'")
        }
        return try windowOutputShape(self, step, rank: r, dataFormat: dataFormat, window: kernelSize, strides: strides,
                                     dilation: dilationRate, padding: padding, channels: filters)
    }

    public override func build(_ inputShape: [Int?]) throws {
        let r = Self.spatialRank
        _ = try stepOutputShape(inputShape)
        let channels = try inputChannels(self, [inputShape[0]] + Array(inputShape.dropFirst(2)), rank: r, dataFormat: dataFormat)
        try cell.buildIfNeeded([nil] + [Int?](repeating: nil, count: r) + [channels])
        if stateful, let batch = inputShape[0] { statefulBatchSize = batch }
    }

    /// The sequences and, after them, the initial states (Keras's `initial_state`).
    public override func build(shapes: [[Int?]]) throws {
        _ = try computeOutputShapes(shapes)
        try build(shapes[0])
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard let x = inputs.first, inputs.count == 1 || inputs.count == 3 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes the sequences and optionally 2 initial states (initial_state), got \(inputs.count) input(s)")
        }
        let stateShape = try stepOutputShape(x.shape.map { Optional($0) }).map { $0 ?? 0 }
        if let bad = inputs.dropFirst().first(where: { $0.shape != stateShape }) {
            throw KerasError.shapeMismatch("\(className) '\(name)': initial_state tensors must have shape \(stateShape) (batch, spatial..., filters), got \(bad.shape)")
        }
        let m = mask?.first ?? nil
        if let m, m.count != x.shape[0] * x.shape[1] {
            throw KerasError.shapeMismatch("\(className) '\(name)': the mask must have shape (batch, timesteps) \([x.shape[0], x.shape[1]]), one value a time step, got \(m.shape) (a Masking layer's mask has one a position: Keras's ConvLSTM fails on it too)")
        }
        let r = Self.spatialRank, given = Array(inputs.dropFirst())
        let initial = try (given.isEmpty ? try carriedStates(stateShape) : given).map { try channelsLast($0, dataFormat, rank: r) }
        // Time-major, channels-last: (steps, batch, spatial..., channels).
        let channelAxis = dataFormat == .channelsLast ? r + 2 : 2
        let spatial = Array(2..<(r + 3)).filter { $0 != channelAxis }
        let timeMajor = try Ops.transpose(x, [1, 0] + spatial + [channelAxis])
        if !training { cell.passInferenceDropoutDraws() }
        let outs = try cell.run(timeMajor, states: initial, mask: m, goBackwards: goBackwards, keepSequence: returnSequences,
                                unrolled: unroll, zeroOutputForMask: zeroOutputForMask, training: training)
        let states = try outs.dropFirst().map { try channelsRestored($0, dataFormat, rank: r) }
        if stateful { self.states = states.map(\.detached) }
        let output: Tensor
        if returnSequences {
            let batchMajor = try Ops.transpose(outs[0], [1, 0] + Array(2..<(r + 3)))
            output = dataFormat == .channelsLast ? batchMajor : try Ops.transpose(batchMajor, [0, 1, r + 2] + Array(2..<(r + 2)))
        } else {
            output = try channelsRestored(outs[0], dataFormat, rank: r)
        }
        return returnState ? [output] + states : [output]
    }

    /// The states a call starts from without `initial_state`: zeros, or a stateful layer's carried ones.
    private func carriedStates(_ stateShape: [Int]) throws -> [Tensor] {
        guard stateful else { return [] }
        let batch = stateShape[0], expected = statefulBatchSize ?? batch
        guard batch == expected else {
            throw KerasError.shapeMismatch("\(className) '\(name)' is stateful with batch size \(expected): every batch must have that size, got \(batch)")
        }
        statefulBatchSize = expected
        if let states, states.allSatisfy({ $0.shape == stateShape }) { return states }
        return [Tensor(shape: stateShape), Tensor(shape: stateShape)]
    }

    /// Zeroes the states a stateful layer carries. Keras: `reset_states()`.
    public func resetStates() {
        states = states?.map { Tensor(shape: $0.shape) }
    }

    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        guard let s = shapes.first, shapes.count == 1 || shapes.count == 3 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes the sequences and optionally 2 initial states (initial_state), got \(shapes.count) input(s)")
        }
        let state = try stepOutputShape(s)
        let out = returnSequences ? [s[0], s[1]] + state.dropFirst() : state
        return [out] + (returnState ? [state, state] : [])
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try computeOutputShapes([inputShape])[0]
    }

    /// Keras passes the initial states as `initial_state`, the sequences as `sequences`.
    override class var callTakesMask: Bool { true }
    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// Keras: the input mask with `return_sequences`, else none; none for the states.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        [returnSequences ? (masks.first ?? nil) : nil] + (returnState ? [nil, nil] : [])
    }

    public override var trailingInputsArgument: (first: String, rest: String)? { ("sequences", "initial_state") }
}
