/// Helpers the convolution and pooling family bases share: window tuples, data formats and
/// output shapes.

/// `values` as one positive integer per spatial axis: a single value is repeated `rank` times.
/// Keras: `standardize_tuple`.
func windowTuple(_ values: [Int], rank: Int, _ context: @autoclosure () -> String) throws -> [Int] {
    let tuple = values.count == 1 ? Array(repeating: values[0], count: rank) : values
    guard tuple.count == rank, tuple.allSatisfy({ $0 > 0 }) else {
        throw KerasError.invalidArgument("\(context()): expects one positive integer or \(rank) positive integers")
    }
    return tuple
}

/// The window arguments every convolution layer takes — kernel size, strides and dilation rate
/// (one integer, repeated, or one per spatial axis) and the padding — normalised once, with the
/// checks the families share; each error names `owner` (the layer class) and the argument.
/// Used by ``BaseConv``, ``BaseDepthwiseConv`` and ``ConvLSTMCell``. Keras: `standardize_tuple`
/// and the argument checks of `BaseConv.__init__`.
struct ConvWindowArguments {
    let owner: String
    let kernelSize: [Int]
    let strides: [Int]
    let dilationRate: [Int]
    let padding: ConvPadding
    /// The strides and dilation rate as given, for the messages.
    private let givenStrides: [Int], givenDilationRate: [Int]

    /// How a layer family treats `padding="causal"`.
    enum CausalPadding {
        /// Refused by every class of the family (depthwise, separable, ConvLSTM).
        case refused
        /// Accepted by Conv1D only: `allowed` says whether this class is it.
        case conv1DOnly(allowed: Bool)
    }

    /// Normalises the tuples of a layer with `rank` spatial axes; throws for a wrong count or a
    /// value below one.
    init(_ owner: String, rank: Int, kernelSize: [Int], strides: [Int], dilationRate: [Int], padding: ConvPadding) throws {
        self.owner = owner
        self.kernelSize = try windowTuple(kernelSize, rank: rank, "\(owner)(kernel_size: \(kernelSize))")
        self.strides = try windowTuple(strides, rank: rank, "\(owner)(strides: \(strides))")
        self.dilationRate = try windowTuple(dilationRate, rank: rank, "\(owner)(dilation_rate: \(dilationRate))")
        self.padding = padding
        givenStrides = strides
        givenDilationRate = dilationRate
    }

    /// Throws unless `filters` is positive.
    func checkFilters(_ filters: Int) throws {
        guard filters > 0 else { throw KerasError.invalidArgument("\(owner)(filters: \(filters)): filters must be positive") }
    }

    /// Throws when strides above one meet a dilation rate above one (Keras refuses the pair).
    func checkStridesWithDilation() throws {
        guard strides.allSatisfy({ $0 == 1 }) || dilationRate.allSatisfy({ $0 == 1 }) else {
            throw KerasError.invalidArgument("\(owner)(strides: \(givenStrides), dilation_rate: \(givenDilationRate)): strides > 1 cannot be combined with dilation_rate > 1")
        }
    }

    /// Throws for causal padding where the family does not take it.
    func checkPadding(_ causal: CausalPadding) throws {
        guard padding == .causal else { return }
        switch causal {
        case .refused:
            throw KerasError.invalidArgument("\(owner)(padding: \"causal\"): padding must be \"valid\" or \"same\"")
        case .conv1DOnly(let allowed):
            guard allowed else {
                throw KerasError.invalidArgument("\(owner)(padding: \"causal\"): causal padding is only for Conv1D")
            }
        }
    }
}

/// The input moved to channels-last (a no-op for channels-last data).
func channelsLast(_ x: Tensor, _ format: DataFormat, rank: Int) throws -> Tensor {
    format == .channelsLast ? x : try Ops.transpose(x, [0] + Array(2..<(rank + 2)) + [1])
}

/// A channels-last result moved back to `format`.
func channelsRestored(_ y: Tensor, _ format: DataFormat, rank: Int) throws -> Tensor {
    format == .channelsLast ? y : try Ops.transpose(y, [0, rank + 1] + Array(1...rank))
}

/// The output shape of a windowed layer (convolution or pooling) with `channels` output
/// channels (nil keeps the input's); throws naming `layer` when the input has the wrong rank
/// or a window larger than a `valid` input.
func windowOutputShape(_ layer: Layer, _ inputShape: [Int?], rank: Int, dataFormat: DataFormat, window: [Int],
                       strides: [Int], dilation: [Int], padding: ConvPadding, channels: Int?) throws -> [Int?] {
    try spatialOutputShape(layer, inputShape, rank: rank, dataFormat: dataFormat, channels: channels) { a, n in
        guard let (length, _) = Ops.windowLength(n, window: window[a], stride: strides[a], dilation: dilation[a], padding: padding) else {
            throw KerasError.shapeMismatch("\(type(of: layer)) '\(layer.name)': the window \(window) (dilation \(dilation)) is larger than the input \(formatShape(inputShape)) on spatial axis \(a) with padding 'valid'")
        }
        return length
    }
}

/// The input shape with each known spatial length `n` of axis `a` replaced by `length(a, n)`
/// and the channels by `channels` (nil keeps them); throws naming `layer` for a wrong rank.
func spatialOutputShape(_ layer: Layer, _ inputShape: [Int?], rank: Int, dataFormat: DataFormat, channels: Int?,
                        length: (_ axis: Int, _ n: Int) throws -> Int) throws -> [Int?] {
    guard inputShape.count == rank + 2 else {
        throw KerasError.shapeMismatch("\(type(of: layer)) '\(layer.name)': expects an input of rank \(rank + 2), got shape \(formatShape(inputShape))")
    }
    let first = dataFormat == .channelsLast ? 1 : 2
    var out = inputShape
    for a in 0..<rank {
        guard let n = inputShape[first + a] else { continue }
        out[first + a] = try length(a, n)
    }
    if let channels { out[dataFormat == .channelsLast ? rank + 1 : 1] = channels }
    return out
}

/// The known channel count of an input shape of `rank` spatial axes, which building `layer`
/// needs; throws naming the layer for a wrong rank or an unknown channel dimension.
func inputChannels(_ layer: Layer, _ inputShape: [Int?], rank: Int, dataFormat: DataFormat) throws -> Int {
    guard inputShape.count == rank + 2 else {
        throw KerasError.shapeMismatch("\(type(of: layer)) '\(layer.name)': expects an input of rank \(rank + 2), got shape \(formatShape(inputShape))")
    }
    guard let channels = inputShape[dataFormat == .channelsLast ? rank + 1 : 1], channels > 0 else {
        throw KerasError.shapeMismatch("\(type(of: layer)) '\(layer.name)': the channel dimension (data_format \(dataFormat.rawValue)) of the input must be known, got \(formatShape(inputShape))")
    }
    return channels
}
