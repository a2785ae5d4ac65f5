/// One step of a convolutional LSTM: gates i, f, c, o from a convolution of the inputs (kernel
/// `(k..., channels, 4·filters)`, with the layer's strides, padding and dilation) plus a `same`
/// convolution of the state (recurrent kernel `(k..., filters, 4·filters)`). ``ConvLSTM`` runs it
/// over whole sequences: the input convolution of every step in one call, the recurrent one per
/// step. Works channels-last; the layer moves `channels_first` data. Keras: `ConvLSTMCell`
/// (the `cell` of ConvLSTM1D/2D/3D, named `conv_lstm_cell`).
public final class ConvLSTMCell: GatedCell, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3).
    public let spatialRank: Int
    public let filters: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: ConvPadding
    public let dataFormat: DataFormat
    public let dilationRate: [Int]

    /// Keras's draws of a call: four input masks, four state masks.
    override var dropoutDrawsPerCall: Int { (dropsInputs ? 4 : 0) + (dropsState ? 4 : 0) }

    /// Checks the arguments as Keras does; errors name `owner` (the layer class) and the argument.
    init(rank: Int, filters: Int, kernelSize: [Int], strides: [Int], padding: ConvPadding, dataFormat: DataFormat,
         dilationRate: [Int], activation: ActivationFunction, recurrentActivation: ActivationFunction, useBias: Bool,
         unitForgetBias: Bool, options: RecurrentCellOptions, owner: String) throws {
        let window = try ConvWindowArguments(owner, rank: rank, kernelSize: kernelSize, strides: strides,
                                             dilationRate: dilationRate, padding: padding)
        try window.checkFilters(filters)
        try window.checkStridesWithDilation()
        try window.checkPadding(.refused)
        self.kernelSize = window.kernelSize
        self.strides = window.strides
        self.dilationRate = window.dilationRate
        spatialRank = rank
        self.filters = filters
        self.padding = padding
        self.dataFormat = dataFormat
        try super.init(activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                       unitForgetBias: unitForgetBias, options: options, generatorFirst: true, owner: owner,
                       name: "conv_lstm_cell")
    }

    /// Builds from a channels-last step shape `(batch, spatial..., channels)`.
    public override func build(_ inputShape: [Int?]) throws {
        guard inputShape.count == spatialRank + 2, let last = inputShape.last, let channels = last, channels > 0 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': the channel dimension of the input must be known, got \(formatShape(inputShape))")
        }
        let gates = 4 * filters
        addGateWeights(kernel: kernelSize + [channels, gates], recurrentKernel: kernelSize + [filters, gates], bias: [gates],
                       forgetUnits: unitForgetBias ? filters : nil)
    }

    /// The convolution of `x` with the four gate blocks of `kernel`, each gate's input multiplied by
    /// its own dropout mask (Keras's `dropout_mask_count = 4`), or one convolution without masks.
    private func gateConv(_ x: Tensor, kernel: Tensor, bias: Tensor?, masks: [Tensor]?, frames: [Int],
                          strides: [Int], padding: ConvPadding, dilation: [Int]) throws -> Tensor {
        guard let masks else {
            return try Ops.conv(Ops.reshape(x, frames), kernel: kernel, bias: bias, strides: strides, padding: padding, dilation: dilation)
        }
        let kernels = try Ops.split(kernel, 4, axis: -1), biases = try bias.map { try Ops.split($0, 4) }
        return try Ops.concatenate((0..<4).map { g in
            try Ops.conv(Ops.reshape(Ops.multiply(x, masks[g]), frames), kernel: kernels[g], bias: biases?[g],
                         strides: strides, padding: padding, dilation: dilation)
        }, axis: -1)
    }

    /// The four gates' dropout masks for channels-last tensors of `shape` `(batch, spatial...,
    /// channels)`, drawn as Keras draws them for its step tensors (channels before the spatial
    /// axes with `channels_first`, so the same numbers fall on the same elements).
    private func gateMasks(rate: Double, shape: [Int]) throws -> [Tensor] {
        guard dataFormat == .channelsFirst, let channels = shape.last else { return dropoutMasks(rate: rate, shape: shape, count: 4) }
        let drawn = [shape[0], channels] + shape.dropFirst().dropLast()
        return try dropoutMasks(rate: rate, shape: drawn, count: 4).map { try channelsLast($0, .channelsFirst, rank: spatialRank) }
    }

    /// Runs the cell over channels-last, time-major `x` `(steps, batch, spatial..., channels)` from
    /// `states` (h and c, channels-last; zeros when empty): the outputs of every step stacked
    /// time-major (only with `keepSequence`, else the last step's output), then the last h and c.
    /// A step that `mask` (`(batch, steps)`, nonzero keeps) masks carries h and c through and
    /// outputs the carried h (zeros with `zeroOutputForMask`), as Keras's scan does for an LSTM;
    /// `unrolled`, the previous step's output (zeros at first), as Keras's unrolled loop does.
    func run(_ x: Tensor, states initial: [Tensor], mask: Tensor?, goBackwards: Bool, keepSequence: Bool,
             unrolled: Bool, zeroOutputForMask: Bool, training: Bool) throws -> [Tensor] {
        guard let kernel, let recurrentKernel else { throw KerasError.invalidState("\(className) '\(name)' is not built") }
        let steps = x.shape[0], batch = x.shape[1], frame = Array(x.shape.dropFirst(2))
        // Fraction-of-one rates act in training only, as in Keras.
        let inputMasks = training && dropsInputs
            ? try gateMasks(rate: options.dropout, shape: [batch] + frame).map { $0.viewing([1] + $0.shape) } : nil
        let z = try gateConv(x, kernel: kernel.value, bias: bias?.value, masks: inputMasks, frames: [steps * batch] + frame,
                             strides: strides, padding: padding, dilation: dilationRate)
        let stateShape = [batch] + Array(z.shape.dropFirst().dropLast()) + [filters]
        let inputParts = try Ops.reshape(z, [steps] + Array(stateShape.dropLast()) + [4 * filters])
        var h = initial.first ?? Tensor(shape: stateShape), c = initial.count > 1 ? initial[1] : Tensor(shape: stateShape)
        let recurrentMasks = training && dropsState ? try gateMasks(rate: options.recurrentDropout, shape: stateShape) : nil
        let ones = [Int](repeating: 1, count: spatialRank)
        let act = activationFunction, rec = recurrentActivationFunction
        var outputs: [Tensor] = [], last: Tensor?
        for t in 0..<steps {
            let s = goBackwards ? steps - 1 - t : t
            let xz = try Ops.reshape(Ops.take(inputParts, [s]), Array(stateShape.dropLast()) + [4 * filters])
            let hz = try gateConv(h, kernel: recurrentKernel.value, bias: nil, masks: recurrentMasks, frames: stateShape,
                                  strides: ones, padding: .same, dilation: ones)
            let gates = try Ops.split(Ops.add(xz, hz), 4, axis: -1)
            let i = try rec(gates[0]), f = try rec(gates[1]), o = try rec(gates[3])
            let nextC = try Ops.add(Ops.multiply(f, c), Ops.multiply(i, act(gates[2])))
            let nextH = try Ops.multiply(o, act(nextC))
            var out = nextH
            if let mask {
                let keep = stepKeep(mask, steps: steps, step: s, leading: Array(stateShape.dropLast()))(filters)
                (h, c) = (try Ops.where(keep, nextH, h), try Ops.where(keep, nextC, c))
                out = unrolled ? try Ops.where(keep, nextH, last ?? Tensor(shape: stateShape))
                    : zeroOutputForMask ? try Ops.multiply(nextH, keep) : h
            } else {
                (h, c) = (nextH, nextC)
            }
            last = out
            if keepSequence { outputs.append(try Ops.expandDims(out, axis: 0)) }
        }
        guard let last else { throw KerasError.shapeMismatch("\(className) '\(name)': the sequence has no time steps, got inputs \(x.shape)") }
        return [keepSequence ? try Ops.concatenate(outputs, axis: 0) : last, h, c]
    }
}
