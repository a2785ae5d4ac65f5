/// What Conv1D, Conv2D and Conv3D share: arguments, weights, the call through ``Ops/conv(_:kernel:bias:strides:padding:dilation:groups:activation:)``
/// and the declaration. A subclass only names its ``spatialRank``.
/// Keras: `keras.src.layers.convolutional.base_conv.BaseConv`.
///
/// ```swift
/// let conv = try Conv2D(32, kernelSize: [3], activation: .relu, inputShape: [28, 28, 1])
/// ```
open class BaseConv: Layer {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }

    public let filters: Int
    /// The window per spatial axis.
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: ConvPadding
    public let dataFormat: DataFormat
    public let dilationRate: [Int]
    public let groups: Int
    /// The activation applied after the convolution and bias (linear by default).
    public override var activation: ActivationFunction? { activationFunction }
    let activationFunction: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?

    /// The kernel `(k..., in / groups, filters)`, once built.
    public private(set) var kernel: Variable?
    /// The bias `(filters,)`, once built with `useBias`.
    public private(set) var bias: Variable?

    /// `kernelSize`, `strides` and `dilationRate` take one integer (repeated) or one per spatial axis.
    public required init(_ filters: Int, kernelSize: [Int], strides: [Int] = [1], padding: ConvPadding = .valid,
                         dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1], groups: Int = 1,
                         activation: ActivationFunction = .linear, useBias: Bool = true,
                         kernelInitializer: Initializer = VarianceScaling.glorotUniform(),
                         biasInitializer: Initializer = Zeros(),
                         kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                         activityRegularizer: Regularizer? = nil,
                         kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
                         name: String? = nil, trainable: Bool = true,
                         inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let rank = Self.spatialRank, cls = String(describing: Self.self)
        self.kernelSize = try windowTuple(kernelSize, rank: rank, "\(cls)(kernel_size: \(kernelSize))")
        self.strides = try windowTuple(strides, rank: rank, "\(cls)(strides: \(strides))")
        self.dilationRate = try windowTuple(dilationRate, rank: rank, "\(cls)(dilation_rate: \(dilationRate))")
        guard filters > 0 else { throw KerasError.invalidArgument("\(cls)(filters: \(filters)): filters must be positive") }
        guard groups > 0, filters % groups == 0 else {
            throw KerasError.invalidArgument("\(cls)(groups: \(groups)): groups must be positive and divide filters (\(filters))")
        }
        guard self.strides.allSatisfy({ $0 == 1 }) || self.dilationRate.allSatisfy({ $0 == 1 }) else {
            throw KerasError.invalidArgument("\(cls)(strides: \(strides), dilation_rate: \(dilationRate)): strides > 1 cannot be combined with dilation_rate > 1")
        }
        guard padding != .causal || rank == 1 else {
            throw KerasError.invalidArgument("\(cls)(padding: \"causal\"): causal padding is only for Conv1D")
        }
        self.filters = filters
        self.padding = padding
        self.dataFormat = dataFormat
        self.groups = groups
        self.activationFunction = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    public override func build(_ inputShape: [Int?]) throws {
        let rank = Self.spatialRank
        guard inputShape.count == rank + 2 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': expects an input of rank \(rank + 2), got shape \(formatShape(inputShape))")
        }
        guard let channels = inputShape[dataFormat == .channelsLast ? rank + 1 : 1], channels > 0 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': the channel dimension (data_format \(dataFormat.rawValue)) of the input must be known, got \(formatShape(inputShape))")
        }
        guard channels % groups == 0 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': the input's \(channels) channels are not divisible by groups \(groups)")
        }
        _ = try computeOutputShape(inputShape)
        kernel = addWeight(name: "kernel", shape: kernelSize + [channels / groups, filters], initializer: kernelInitializer,
                           regularizer: kernelRegularizer, constraint: kernelConstraint)
        if useBias {
            bias = addWeight(name: "bias", shape: [filters], initializer: biasInitializer,
                             regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let kernel else { throw KerasError.invalidState("\(type(of: self)) '\(name)' is not built") }
        let rank = Self.spatialRank
        guard inputs.rank == rank + 2 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': expects an input of rank \(rank + 2), got shape \(inputs.shape)")
        }
        let fused = activationFunction.elementwise
        let x = try channelsLast(inputs, dataFormat, rank: rank)
        let y = try Ops.conv(x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding,
                             dilation: dilationRate, groups: groups, activation: fused ?? .linear)
        let out = try channelsRestored(y, dataFormat, rank: rank)
        return fused == nil ? try activationFunction(out) : out
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try windowOutputShape(self, inputShape, rank: Self.spatialRank, dataFormat: dataFormat, window: kernelSize,
                              strides: strides, dilation: dilationRate, padding: padding, channels: filters)
    }

    /// The declaration every convolution class shares (its Keras name and aliases differ).
    /// Keras: `BaseConv.__init__` and `get_config()`.
    public static func declaration<L: BaseConv>(_ type: L.Type, aliases: [String]) -> LayerDeclaration {
        LayerDeclaration(type, aliases: aliases, arguments: [
            .required("filters", \.filters),
            .required("kernel_size", \.kernelSize),
            .optional("strides", default: 1) { .array($0.strides.map { .int($0) }) },
            .optional("padding", \.padding, default: .valid),
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .optional("dilation_rate", default: 1) { .array($0.dilationRate.map { .int($0) }) },
            .optional("groups", \.groups, default: 1),
            .optional("activation", \.activationFunction, default: .linear),
            .optional("use_bias", \.useBias, default: true),
            .optional("kernel_initializer", \.kernelInitializer, default: VarianceScaling.glorotUniform()),
            .optional("bias_initializer", \.biasInitializer, default: Zeros()),
            .optional("kernel_regularizer", \.kernelRegularizer),
            .optional("bias_regularizer", \.biasRegularizer),
            .optional("activity_regularizer", default: nil) { $0.activityRegularizer?.serialized ?? .null },
            .optional("kernel_constraint", \.kernelConstraint),
            .optional("bias_constraint", \.biasConstraint),
        ]) { c in
            let rank = L.spatialRank, cls = String(describing: L.self)
            return try L(try c.int("filters"), kernelSize: try c.ints("kernel_size", rank: rank),
                         strides: try c.ints("strides", rank: rank),
                         padding: try ConvPadding.named(try c.string("padding"), "\(cls) config"),
                         dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
                         dilationRate: try c.ints("dilation_rate", rank: rank), groups: try c.int("groups"),
                         activation: try c.activation("activation"), useBias: try c.bool("use_bias"),
                         kernelInitializer: try c.initializer("kernel_initializer"),
                         biasInitializer: try c.initializer("bias_initializer"),
                         kernelRegularizer: try c.regularizer("kernel_regularizer"),
                         biasRegularizer: try c.regularizer("bias_regularizer"),
                         kernelConstraint: try c.constraint("kernel_constraint"),
                         biasConstraint: try c.constraint("bias_constraint"), name: c.name)
        }
    }
}
