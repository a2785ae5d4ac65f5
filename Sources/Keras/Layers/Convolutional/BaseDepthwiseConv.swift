/// What DepthwiseConv1D/2D and SeparableConv1D/2D share: a depthwise convolution (each input
/// channel convolved with its own `depth_multiplier` kernels,
/// ``Ops/depthwiseConv(_:kernel:bias:strides:padding:dilation:activation:)``), followed in the
/// separable layers by a pointwise (1×1) convolution into `filters` channels. A subclass names
/// its ``spatialRank`` and whether it ``isSeparable``.
/// Keras: `keras.src.layers.convolutional.base_depthwise_conv.BaseDepthwiseConv` and
/// `base_separable_conv.BaseSeparableConv`.
///
/// ```swift
/// let depthwise = try DepthwiseConv2D(kernelSize: [3], depthMultiplier: 2)
/// let separable = try SeparableConv2D(filters: 16, kernelSize: [3], activation: .relu)
/// ```
open class BaseDepthwiseConv: Layer, @unchecked Sendable {
    /// The number of spatial axes (1 or 2); each subclass overrides it.
    open class var spatialRank: Int { 2 }
    /// Whether a pointwise convolution into ``filters`` channels follows the depthwise one.
    open class var isSeparable: Bool { false }

    /// The output channels of a separable layer (nil for a depthwise one).
    public let filters: Int?
    /// The depthwise kernels per input channel.
    public let depthMultiplier: Int
    /// The window per spatial axis.
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: ConvPadding
    public let dataFormat: DataFormat
    public let dilationRate: [Int]
    /// The activation applied after the convolutions and bias (linear by default).
    public override var activation: ActivationFunction? { activationFunction }
    public override func replaceActivation(_ activation: ActivationFunction) { activationFunction = activation }
    var activationFunction: ActivationFunction
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    /// Separable layers only.
    public let pointwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public let depthwiseRegularizer: Regularizer?
    public let pointwiseRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let depthwiseConstraint: Constraint?
    public let pointwiseConstraint: Constraint?
    public let biasConstraint: Constraint?

    /// The depthwise kernel `(k..., in, depth_multiplier)` (Keras names it `kernel` in a
    /// depthwise layer, `depthwise_kernel` in a separable one), once built.
    public private(set) var depthwiseKernel: Variable?
    /// The pointwise kernel `(1..., in · depth_multiplier, filters)` of a separable layer, once built.
    public private(set) var pointwiseKernel: Variable?
    /// The bias `(filters,)` (depthwise: `(in · depth_multiplier,)`), once built with `useBias`.
    public private(set) var bias: Variable?

    /// `filters` is required by separable layers and refused by depthwise ones; `kernelSize`,
    /// `strides` and `dilationRate` take one integer (repeated) or one per spatial axis. The
    /// pointwise arguments apply to separable layers only.
    public required init(filters: Int? = nil, kernelSize: [Int], strides: [Int] = [1], padding: ConvPadding = .valid,
                         dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1], depthMultiplier: Int = 1,
                         activation: ActivationFunction = .linear, useBias: Bool = true,
                         depthwiseInitializer: Initializer = VarianceScaling.glorotUniform(),
                         pointwiseInitializer: Initializer = VarianceScaling.glorotUniform(),
                         biasInitializer: Initializer = Zeros(),
                         depthwiseRegularizer: Regularizer? = nil, pointwiseRegularizer: Regularizer? = nil,
                         biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
                         depthwiseConstraint: Constraint? = nil, pointwiseConstraint: Constraint? = nil,
                         biasConstraint: Constraint? = nil,
                         name: String? = nil, trainable: Bool = true,
                         inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let cls = String(describing: Self.self)
        let window = try ConvWindowArguments(cls, rank: Self.spatialRank, kernelSize: kernelSize, strides: strides,
                                             dilationRate: dilationRate, padding: padding)
        guard depthMultiplier > 0 else {
            throw KerasError.invalidArgument("\(cls)(depth_multiplier: \(depthMultiplier)): depth_multiplier must be positive")
        }
        if Self.isSeparable {
            guard let filters, filters > 0 else {
                throw KerasError.invalidArgument("\(cls)(filters: \(filters.map(String.init) ?? "nil")): filters must be positive")
            }
        } else if let filters {
            throw KerasError.invalidArgument("\(cls)(filters: \(filters)): a depthwise convolution takes no filters (it has in · depth_multiplier outputs)")
        }
        try window.checkPadding(.refused)
        self.kernelSize = window.kernelSize
        self.strides = window.strides
        self.dilationRate = window.dilationRate
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        self.padding = padding
        self.dataFormat = dataFormat
        self.activationFunction = activation
        self.useBias = useBias
        self.depthwiseInitializer = withKerasDefaultSeed(depthwiseInitializer)
        self.pointwiseInitializer = withKerasDefaultSeed(pointwiseInitializer)
        self.biasInitializer = withKerasDefaultSeed(biasInitializer)
        self.depthwiseRegularizer = depthwiseRegularizer
        self.pointwiseRegularizer = pointwiseRegularizer
        self.biasRegularizer = biasRegularizer
        self.depthwiseConstraint = depthwiseConstraint
        self.pointwiseConstraint = pointwiseConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    public override func build(_ inputShape: [Int?]) throws {
        let rank = Self.spatialRank
        let channels = try inputChannels(self, inputShape, rank: rank, dataFormat: dataFormat)
        _ = try computeOutputShape(inputShape)
        let expanded = try ShapeMath.product([channels, depthMultiplier], "\(type(of: self)) '\(name)' channels × depth_multiplier")
        depthwiseKernel = addWeight(name: Self.isSeparable ? "depthwise_kernel" : "kernel",
                                    shape: kernelSize + [channels, depthMultiplier], initializer: depthwiseInitializer,
                                    regularizer: depthwiseRegularizer, constraint: depthwiseConstraint)
        if Self.isSeparable, let filters {
            pointwiseKernel = addWeight(name: "pointwise_kernel", shape: Array(repeating: 1, count: rank) + [expanded, filters],
                                        initializer: pointwiseInitializer, regularizer: pointwiseRegularizer,
                                        constraint: pointwiseConstraint)
        }
        if useBias {
            bias = addWeight(name: "bias", shape: [filters ?? expanded], initializer: biasInitializer,
                             regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let depthwiseKernel else { throw KerasError.invalidState("\(type(of: self)) '\(name)' is not built") }
        let rank = Self.spatialRank
        guard inputs.rank == rank + 2 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': expects an input of rank \(rank + 2), got shape \(inputs.shape)")
        }
        let x = try channelsLast(inputs, dataFormat, rank: rank)
        let channels = depthwiseKernel.value.shape[rank]
        guard x.shape[rank + 1] == channels else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': built for \(channels) input channels, got shape \(inputs.shape)")
        }
        let fused = activationFunction.elementwise
        var y: Tensor
        if let pointwiseKernel {
            let ones = Array(repeating: 1, count: rank)
            let depthwise = try Ops.depthwiseConv(x, kernel: depthwiseKernel.value, bias: nil, strides: strides,
                                                  padding: padding, dilation: dilationRate)
            y = try Ops.conv(depthwise, kernel: pointwiseKernel.value, bias: bias?.value, strides: ones, padding: .valid,
                             dilation: ones, activation: fused ?? .linear)
        } else {
            y = try Ops.depthwiseConv(x, kernel: depthwiseKernel.value, bias: bias?.value, strides: strides, padding: padding,
                                      dilation: dilationRate, activation: fused ?? .linear)
        }
        y = try channelsRestored(y, dataFormat, rank: rank)
        return fused == nil ? try activationFunction(y) : y
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        let rank = Self.spatialRank
        let channels = inputShape.count == rank + 2 ? inputShape[dataFormat == .channelsLast ? rank + 1 : 1] : nil
        let expanded = try channels.map { try ShapeMath.product([$0, depthMultiplier], "\(type(of: self)) '\(name)' channels × depth_multiplier") }
        return try windowOutputShape(self, inputShape, rank: rank, dataFormat: dataFormat, window: kernelSize,
                                     strides: strides, dilation: dilationRate, padding: padding, channels: filters ?? expanded)
    }
}
