/// The layer classes this library can rebuild from a Keras config, by Keras class name.
///
/// To make a new built-in layer loadable, give it a `static func fromConfig(_ c: LayerConfig)
/// throws -> Layer` (read the constructor's arguments with `c.int("units")`,
/// `c.activation("activation")`, ..., pass `name: c.name`, then call `try c.applyCommon(to:)`)
/// and add one line to ``all``. Custom layers register with ``registerKerasSerializable(package:name:_:)``
/// or a ``CustomObjectScope`` instead.
enum BuiltinLayers {
    static let all: [String: (LayerConfig) throws -> Layer] = [
        "InputLayer": InputLayer.fromConfig,
        "Dense": Dense.fromConfig,
        "Activation": Activation.fromConfig,
        "ActivityRegularization": ActivityRegularization.fromConfig,
        "Dropout": Dropout.fromConfig,
        "Flatten": Flatten.fromConfig,
        "Lambda": Lambda.fromConfig,
        "Masking": Masking.fromConfig,
        "Permute": Permute.fromConfig,
        "RepeatVector": RepeatVector.fromConfig,
        "Rescaling": Rescaling.fromConfig,
        "Reshape": Reshape.fromConfig,
        "Concatenate": Concatenate.fromConfig,
        "ReLU": ReLU.fromConfig,
        "LeakyReLU": LeakyReLU.fromConfig,
        "ELU": ELU.fromConfig,
        "Softmax": Softmax.fromConfig,
        "ThresholdedReLU": ThresholdedReLU.fromConfig,
        "PReLU": PReLU.fromConfig,
    ]
}

extension InputLayer {
    /// Rebuilds an input layer from `batch_shape` (Keras 3), `batch_input_shape` (Keras 2) or
    /// `shape` + `batch_size`.
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let shape: [Int?]
        if let s = try c.shape("batch_shape") ?? c.shape("batch_input_shape") {
            shape = s
        } else if let s = try c.shape("shape") ?? c.shape("input_shape") {
            shape = [try c.optionalInt("batch_size")] + s
        } else {
            throw KerasError.io("InputLayer config: needs 'batch_shape' (or 'batch_input_shape' / 'shape')")
        }
        guard !shape.isEmpty else { throw KerasError.io("InputLayer config: the batch shape must include the batch dimension") }
        return InputLayer(batchShape: shape, name: c.name)
    }
}

extension Dense {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let units = try c.int("units")
        guard units > 0 else { throw KerasError.io("Dense config: units must be positive, got \(units)") }
        let layer = Dense(units, activation: try c.activation("activation"), useBias: try c.bool("use_bias", default: true),
                          kernelInitializer: try c.initializer("kernel_initializer", default: VarianceScaling.glorotUniform()),
                          biasInitializer: try c.initializer("bias_initializer", default: Zeros()),
                          kernelRegularizer: try c.regularizer("kernel_regularizer"),
                          biasRegularizer: try c.regularizer("bias_regularizer"),
                          kernelConstraint: try c.constraint("kernel_constraint"),
                          biasConstraint: try c.constraint("bias_constraint"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}
