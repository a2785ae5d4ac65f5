/// What Conv1D, Conv2D and Conv3D and their transposed forms share: arguments, weights, the call
/// through ``Ops/conv(_:kernel:bias:strides:padding:dilation:groups:activation:)`` (or
/// ``Ops/convTranspose(_:kernel:bias:strides:padding:outputPadding:dilation:activation:)``) and the
/// declaration. A subclass only names its ``spatialRank`` (and ``isTransposed``).
/// Keras: `keras.src.layers.convolutional.base_conv.BaseConv` and `base_conv_transpose.BaseConvTranspose`.
///
/// ```swift
/// let conv = try Conv2D(32, kernelSize: [3], activation: .relu, inputShape: [28, 28, 1])
/// ```
open class BaseConv: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }
    /// Whether the layer is a transposed convolution (the input gradient of a convolution).
    open class var isTransposed: Bool { false }

    public let filters: Int
    /// The window per spatial axis.
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: ConvPadding
    /// Transposed convolutions only: the extra output positions per axis (nil: Keras's default).
    public let outputPadding: [Int]?
    public let dataFormat: DataFormat
    public let dilationRate: [Int]
    public let groups: Int
    /// The activation applied after the convolution and bias (linear by default).
    public override var activation: ActivationFunction? { activationFunction }
    public override func replaceActivation(_ activation: ActivationFunction) { activationFunction = activation }
    var activationFunction: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?

    /// The kernel `(k..., in / groups, filters)` (transposed: `(k..., filters, in)`), once built.
    public private(set) var kernel: Variable?
    /// The bias `(filters,)`, once built with `useBias`.
    public private(set) var bias: Variable?

    /// `kernelSize`, `strides`, `dilationRate` (and `outputPadding`) take one integer (repeated) or one per spatial axis.
    public required init(_ filters: Int, kernelSize: [Int], strides: [Int] = [1], padding: ConvPadding = .valid,
                         outputPadding: [Int]? = nil, dataFormat: DataFormat = .channelsLast, dilationRate: [Int] = [1], groups: Int = 1,
                         activation: ActivationFunction = .linear, useBias: Bool = true,
                         kernelInitializer: Initializer = VarianceScaling.glorotUniform(),
                         biasInitializer: Initializer = Zeros(),
                         kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                         activityRegularizer: Regularizer? = nil,
                         kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
                         name: String? = nil, trainable: Bool = true,
                         inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let rank = Self.spatialRank, cls = String(describing: Self.self)
        let window = try ConvWindowArguments(cls, rank: rank, kernelSize: kernelSize, strides: strides,
                                             dilationRate: dilationRate, padding: padding)
        try window.checkFilters(filters)
        guard groups > 0, filters % groups == 0 else {
            throw KerasError.invalidArgument("\(cls)(groups: \(groups)): groups must be positive and divide filters (\(filters))")
        }
        try window.checkStridesWithDilation()
        try window.checkPadding(.conv1DOnly(allowed: rank == 1 && !Self.isTransposed))
        self.kernelSize = window.kernelSize
        self.strides = window.strides
        self.dilationRate = window.dilationRate
        self.outputPadding = try Self.checkedOutputPadding(outputPadding, strides: self.strides, groups: groups, cls)
        self.filters = filters
        self.padding = padding
        self.dataFormat = dataFormat
        self.groups = groups
        self.activationFunction = activation
        self.useBias = useBias
        self.kernelInitializer = withKerasDefaultSeed(kernelInitializer)
        self.biasInitializer = withKerasDefaultSeed(biasInitializer)
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    public override func build(_ inputShape: [Int?]) throws {
        let rank = Self.spatialRank
        let channels = try inputChannels(self, inputShape, rank: rank, dataFormat: dataFormat)
        guard channels % groups == 0 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': the input's \(channels) channels are not divisible by groups \(groups)")
        }
        _ = try computeOutputShape(inputShape)
        let kernelShape = Self.isTransposed ? kernelSize + [filters, channels] : kernelSize + [channels / groups, filters]
        kernel = addWeight(name: "kernel", shape: kernelShape, initializer: kernelInitializer,
                           regularizer: kernelRegularizer, constraint: kernelConstraint)
        if useBias {
            bias = addWeight(name: "bias", shape: [filters], initializer: biasInitializer,
                             regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let kernel else { throw KerasError.invalidState("\(type(of: self)) '\(name)' is not built") }
        return try convolve(inputs, kernel: kernel.value, bias: bias?.value)
    }

    /// The layer's output for `kernel` and `bias` (its own weights, or BatchNormalization folded into them).
    func convolve(_ inputs: Tensor, kernel: Tensor, bias: Tensor?) throws -> Tensor {
        let rank = Self.spatialRank
        guard inputs.rank == rank + 2 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': expects an input of rank \(rank + 2), got shape \(inputs.shape)")
        }
        let fused = activationFunction.elementwise
        let x = try channelsLast(inputs, dataFormat, rank: rank)
        let y = Self.isTransposed
            ? try Ops.convTranspose(x, kernel: kernel, bias: bias, strides: strides, padding: padding,
                                    outputPadding: outputPadding, dilation: dilationRate, activation: fused ?? .linear)
            : try Ops.conv(x, kernel: kernel, bias: bias, strides: strides, padding: padding,
                           dilation: dilationRate, groups: groups, activation: fused ?? .linear)
        let out = try channelsRestored(y, dataFormat, rank: rank)
        return fused == nil ? try activationFunction(out) : out
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        if Self.isTransposed { return try transposedOutputShape(inputShape) }
        return try windowOutputShape(self, inputShape, rank: Self.spatialRank, dataFormat: dataFormat, window: kernelSize,
                              strides: strides, dilation: dilationRate, padding: padding, channels: filters)
    }

    /// The declaration every convolution class shares (its Keras name and aliases differ).
    /// Keras: `BaseConv.__init__` and `get_config()`.
    public static func declaration<L: BaseConv>(_ type: L.Type, aliases: [String]) -> LayerDeclaration {
        let transposed: [LayerArgument<L>] = [
            .optional("output_padding", default: nil) { $0.outputPadding.map { .array($0.map { .int($0) }) } ?? .null },
        ]
        let grouped: [LayerArgument<L>] = [.optional("groups", \.groups, default: 1)]
        // (Keras's Conv3DTranspose takes data_format before output_padding; Conv1D/2DTranspose after)
        let order = L.isTransposed && L.spatialRank == 3
            ? ["filters", "kernel_size", "strides", "padding", "data_format", "output_padding", "dilation_rate", "activation",
               "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
               "activity_regularizer", "kernel_constraint", "bias_constraint"] : nil
        return LayerDeclaration(type, aliases: aliases, constructorOrder: order, arguments: [
            .required("filters", \.filters),
            .required("kernel_size", \.kernelSize),
            .optional("strides", default: 1) { .array($0.strides.map { .int($0) }) },
            .optional("padding", \.padding, default: .valid),
        ] + (L.isTransposed ? transposed : []) + [
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .optional("dilation_rate", default: 1) { .array($0.dilationRate.map { .int($0) }) },
        ] + (L.isTransposed ? [] : grouped) + [
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
            try c.refuseNone("groups")
            return try L(try c.int("filters"), kernelSize: try c.ints("kernel_size", rank: rank),
                         strides: try c.ints("strides", rank: rank),
                         padding: try ConvPadding.named(try c.lowercased("padding"), "\(cls) config"),
                         outputPadding: L.isTransposed ? try c.optionalInts("output_padding", rank: rank) : nil,
                         dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
                         dilationRate: try c.ints("dilation_rate", rank: rank), groups: try c.int("groups", default: 1),
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
