extension BaseDepthwiseConv {
    /// The declaration every depthwise and separable convolution class shares (separable ones add
    /// `filters` and the pointwise arguments). Keras: `BaseDepthwiseConv.__init__` /
    /// `BaseSeparableConv.__init__` and their `get_config()`.
    public static func declaration<L: BaseDepthwiseConv>(_ type: L.Type, aliases: [String]) -> LayerDeclaration {
        let separable = L.isSeparable
        func only(_ arguments: [LayerArgument<L>]) -> [LayerArgument<L>] { separable ? arguments : [] }
        let order = separable
            ? ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier"]
            : ["kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate"]
        let arguments: [LayerArgument<L>] = [.optional("depth_multiplier", \.depthMultiplier, default: 1)]
            + only([.required("filters") { $0.filters.map { .int($0) } }]) + [
            .required("kernel_size", \.kernelSize),
            .optional("strides", default: 1) { .array($0.strides.map { .int($0) }) },
            .optional("padding", \.padding, default: .valid),
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .optional("dilation_rate", default: 1) { .array($0.dilationRate.map { .int($0) }) },
            .optional("activation", \.activationFunction, default: .linear),
            .optional("use_bias", \.useBias, default: true),
            .optional("depthwise_initializer", \.depthwiseInitializer, default: VarianceScaling.glorotUniform()),
        ] + only([.optional("pointwise_initializer", \.pointwiseInitializer, default: VarianceScaling.glorotUniform())]) + [
            .optional("bias_initializer", \.biasInitializer, default: Zeros()),
            .optional("depthwise_regularizer", \.depthwiseRegularizer),
        ] + only([.optional("pointwise_regularizer", \.pointwiseRegularizer)]) + [
            .optional("bias_regularizer", \.biasRegularizer),
            .optional("activity_regularizer", default: nil) { $0.activityRegularizer?.serialized ?? .null },
            .optional("depthwise_constraint", \.depthwiseConstraint),
        ] + only([.optional("pointwise_constraint", \.pointwiseConstraint)]) + [
            .optional("bias_constraint", \.biasConstraint),
        ]
        let constructorOrder = order + arguments.map(\.name).filter { !order.contains($0) }
        return LayerDeclaration(type, aliases: aliases, constructorOrder: constructorOrder, arguments: arguments) { c in
            let rank = L.spatialRank, cls = String(describing: L.self)
            return try L(filters: separable ? try c.int("filters") : nil, kernelSize: try c.ints("kernel_size", rank: rank),
                         strides: try c.ints("strides", rank: rank),
                         padding: try ConvPadding.named(try c.lowercased("padding"), "\(cls) config"),
                         dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
                         dilationRate: try c.ints("dilation_rate", rank: rank),
                         depthMultiplier: try c.int("depth_multiplier"),
                         activation: try c.activation("activation"), useBias: try c.bool("use_bias"),
                         depthwiseInitializer: try c.initializer("depthwise_initializer"),
                         pointwiseInitializer: try c.initializer("pointwise_initializer", default: VarianceScaling.glorotUniform()),
                         biasInitializer: try c.initializer("bias_initializer"),
                         depthwiseRegularizer: try c.regularizer("depthwise_regularizer"),
                         pointwiseRegularizer: try c.regularizer("pointwise_regularizer"),
                         biasRegularizer: try c.regularizer("bias_regularizer"),
                         depthwiseConstraint: try c.constraint("depthwise_constraint"),
                         pointwiseConstraint: try c.constraint("pointwise_constraint"),
                         biasConstraint: try c.constraint("bias_constraint"), name: c.name)
        }
    }
}
