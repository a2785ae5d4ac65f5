extension ConvLSTM: SequenceFlags {
    /// Keras's constructor order of ConvLSTM1D/2D/3D.
    static let constructorOrder = [
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
        "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
        "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
        "return_sequences", "return_state", "go_backwards", "stateful",
    ]

    /// The declaration every ConvLSTM class shares, in Keras's `get_config()` order (the RNN
    /// entries first, then the cell's). Keras: `ConvLSTM.__init__` and `get_config()`.
    public static func declaration<L: ConvLSTM>(_ type: L.Type) -> LayerDeclaration {
        let ints = { (v: [Int]) -> JSON in .array(v.map { .int($0) }) }
        return LayerDeclaration(type, constructorOrder: constructorOrder, checkedWhenBuilt: ["filters": 1], arguments: sequenceFlagArguments() + [
            .required("filters", \.filters),
            .required("kernel_size") { ints($0.kernelSize) },
            .optional("strides", default: 1) { ints($0.strides) },
            .optional("padding", \.padding, default: .valid),
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .optional("dilation_rate", default: 1) { ints($0.dilationRate) },
            .optional("activation", \.activationFunction, default: .tanh),
            .optional("recurrent_activation", \.recurrentActivationFunction, default: .sigmoid),
            .optional("use_bias", \.useBias, default: true),
            .optional("kernel_initializer", \.options.kernelInitializer, default: VarianceScaling.glorotUniform()),
            .optional("recurrent_initializer", \.options.recurrentInitializer, default: Orthogonal()),
            .optional("bias_initializer", \.options.biasInitializer, default: Zeros()),
            .optional("unit_forget_bias", \.unitForgetBias, default: true),
            .optional("kernel_regularizer", \.options.kernelRegularizer),
            .optional("recurrent_regularizer", \.options.recurrentRegularizer),
            .optional("bias_regularizer", \.options.biasRegularizer),
            .optional("activity_regularizer", default: .null) { $0.activityRegularizer?.serialized ?? .null },
            .optional("kernel_constraint", \.options.kernelConstraint),
            .optional("recurrent_constraint", \.options.recurrentConstraint),
            .optional("bias_constraint", \.options.biasConstraint),
            .optional("dropout", \.options.dropout, default: 0),
            .optional("recurrent_dropout", \.options.recurrentDropout, default: 0),
            .optional("seed", \.options.seed, default: nil),
        ]) { c in
            let rank = L.spatialRank, cls = String(describing: L.self)
            return try L(try c.int("filters"), kernelSize: try c.ints("kernel_size", rank: rank),
                         strides: try c.ints("strides", rank: rank),
                         padding: try ConvPadding.named(try c.lowercased("padding"), "\(cls) config"),
                         dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
                         dilationRate: try c.ints("dilation_rate", rank: rank), activation: try c.activation("activation"),
                         recurrentActivation: try c.activation("recurrent_activation"), useBias: try c.bool("use_bias"),
                         unitForgetBias: try c.bool("unit_forget_bias"), options: try RecurrentCellOptions(c),
                         returnSequences: try c.bool("return_sequences"), returnState: try c.bool("return_state"),
                         goBackwards: try c.bool("go_backwards"), stateful: try c.bool("stateful"),
                         unroll: try c.bool("unroll"), zeroOutputForMask: try c.bool("zero_output_for_mask"), name: c.name)
        }
    }
}
