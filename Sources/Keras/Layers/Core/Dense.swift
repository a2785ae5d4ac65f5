/// A fully connected layer: `activation(inputs · kernel + bias)` over the last axis.
/// Keras: `keras.layers.Dense`.
///
/// ```swift
/// let layer = Dense(64, activation: .relu, inputShape: [784])
/// ```
public final class Dense: Layer, @unchecked Sendable {
    public let units: Int
    /// The activation applied after the affine map (linear by default, never nil for Dense).
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

    /// The weight matrix `(input_dim, units)`, once built.
    @exclusivity(unchecked) public private(set) var kernel: Variable?
    /// The bias `(units,)`, once built with `useBias`.
    @exclusivity(unchecked) public private(set) var bias: Variable?
    /// The per-unit scale of an int8 kernel (`kernel / kernelScale` is the float kernel), once
    /// quantized. Keras: `kernel_scale`.
    @exclusivity(unchecked) public private(set) var kernelScale: Variable?
    /// An int4 kernel's zero point per group (`[groups, units]`), once quantized in blocks.
    /// Keras: `kernel_zero`.
    @exclusivity(unchecked) public private(set) var kernelZero: Variable?
    /// The group of each input row of an int4 kernel quantized in blocks. Keras: `g_idx`.
    @exclusivity(unchecked) public private(set) var gIdx: Variable?
    /// An AWQ kernel's per-input-row scales (Keras: `awq_scales`).
    @exclusivity(unchecked) public private(set) var awqScales: Variable?
    /// A float8 layer's scales and amax histories (Keras's `_float8_build`).
    private(set) var float8: Float8Variables?
    /// `int8`, `int4`, `gptq` or `float8` once quantized (Keras: `quantization_mode`), nil while float.
    public private(set) var quantizationMode: QuantizationMode?
    /// The int8 kernel packed for the int8 product, once per kernel value.
    let packedKernel = PackedInt8Cache()
    /// A GPTQ / AWQ kernel's weights checked once per value (``GPTQMatrixCache``).
    let gptqMatrix = GPTQMatrixCache()

    public init(_ units: Int, activation: ActivationFunction = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = VarianceScaling.glorotUniform(),
                biasInitializer: Initializer = Zeros(),
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil,
                name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.units = units
        self.activationFunction = activation
        self.useBias = useBias
        self.kernelInitializer = withKerasDefaultSeed(kernelInitializer)
        self.biasInitializer = withKerasDefaultSeed(biasInitializer)
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// Keras-style construction with string names: `Dense(64, activation: "relu")`.
    public convenience init(_ units: Int, activation: String?, useBias: Bool = true,
                            kernelInitializer: String = "glorot_uniform", biasInitializer: String = "zeros",
                            name: String? = nil, inputShape: [Int]? = nil, inputDim: Int? = nil,
                            batchSize: Int? = nil) throws {
        self.init(units, activation: try ActivationFunction.named(activation), useBias: useBias,
                  kernelInitializer: try initializer(named: kernelInitializer),
                  biasInitializer: try initializer(named: biasInitializer),
                  name: name, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    public override func build(_ inputShape: [Int?]) throws {
        guard units > 0 else {
            throw KerasError.invalidArgument("Dense(units: \(units)): units must be positive")
        }
        guard let last = inputShape.last, let inputDim = last else {
            throw KerasError.shapeMismatch("Dense '\(name)': the last dimension of the input must be known, got \(formatShape(inputShape))")
        }
        if quantizationMode == .int8 {
            // Keras's `_int8_build`: the int8 kernel and its scale, neither trainable.
            kernel = addWeight(name: "kernel", shape: [inputDim, units], initializer: Zeros(), trainable: false, dtype: .int8)
            kernelScale = addWeight(name: "kernel_scale", shape: [units], initializer: Ones(), trainable: false)
        } else if case .int4(let blockSize)? = quantizationMode {
            setInt4(try Int4Kernel.build(on: self, rows: inputDim, cols: units, blockSize: blockSize))
        } else if case .gptq(let bits, let groupSize)? = quantizationMode {
            setGPTQ(GPTQKernel.build(on: self, rows: inputDim, cols: units, bits: bits, groupSize: groupSize))
        } else if case .awq(let groupSize)? = quantizationMode {
            setAWQ(AWQKernel.build(on: self, rows: inputDim, cols: units, groupSize: groupSize))
        } else {
            if case .float8(let length)? = quantizationMode {   // (Keras adds them before the kernel)
                float8 = try Float8Variables.build(on: self, historyLength: length)
            }
            kernel = addWeight(name: "kernel", shape: [inputDim, units], initializer: kernelInitializer,
                               regularizer: kernelRegularizer, constraint: kernelConstraint)
        }
        if useBias {
            bias = addWeight(name: "bias", shape: [units], initializer: biasInitializer,
                             regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let kernel else { throw KerasError.invalidState("Dense '\(name)' is not built") }
        if let float8 {
            // Keras's `_float8_call`: the product of the fake-quantized input and kernel, its
            // gradient fake-quantized; the bias through bfloat16.
            var y = try float8.call(inputs, kernel: kernel.value, training: training) { x, w in
                try Ops.dense(x, kernel: w, bias: nil)
            }
            if let bias { y = try Ops.add(y, Float8Variables.bias(bias)) }
            return try activationFunction(y)
        }
        if case .int4(let blockSize)? = quantizationMode, let kernelScale {
            return try int4Call(inputs, kernel: kernel, kernelScale: kernelScale, blockSize: blockSize)
        }
        if case .gptq(let bits, _)? = quantizationMode, let kernelScale {
            guard let kernelZero, let gIdx else { throw KerasError.invalidState("Dense '\(name)': gptq kernel_zero / g_idx missing") }
            let gptq = GPTQKernel(kernel: kernel, scale: kernelScale, zero: kernelZero, gIdx: gIdx)
            return try gptqCall(inputs, gptqMatrix.matrix(gptq, cols: units, bits: bits))
        }
        if case .awq? = quantizationMode, let kernelScale {
            guard let kernelZero, let gIdx, let awqScales else {
                throw KerasError.invalidState("Dense '\(name)': awq kernel_zero / awq_scales / g_idx missing")
            }
            let awq = AWQKernel(gptq: GPTQKernel(kernel: kernel, scale: kernelScale, zero: kernelZero, gIdx: gIdx), awqScales: awqScales)
            return try gptqCall(inputs, awq.matrix(cols: units, cache: gptqMatrix))
        }
        if let kernelScale {
            let packed = try packedKernel.matrix(for: kernel) { kernel.storedValue }
            if GradientTape.active == nil {
                // Inference: the bias and an elementwise activation join the product's pass.
                let fused = activationFunction.elementwise
                let y = try Ops.int8DenseInference(inputs, packed: packed, kernelScale: kernelScale.value,
                                                   bias: bias?.value, activation: fused ?? .linear)
                return fused == nil ? try activationFunction(y) : y
            }
            // (the input's gradient dequantizes the kernel straight from its bytes)
            var y = try Ops.int8Dense(inputs, kernelShape: kernel.shape, kernelScale: kernelScale.value, packed: packed,
                                      kernelBytes: { kernel.bytes })
            if let bias { y = try Ops.add(y, bias.value) }
            return try activationFunction(y)
        }
        if let fused = activationFunction.elementwise {
            return try Ops.dense(inputs, kernel: kernel.value, bias: bias?.value, activation: fused)
        }
        return try activationFunction(Ops.dense(inputs, kernel: kernel.value, bias: bias?.value))
    }

    /// Keras's `_int4_call` (weight-only): per channel `(x · unpacked) / kernel_scale`, in
    /// blocks `x · dequantized` (`(unpacked - kernel_zero[g]) · kernel_scale[g]`), then the bias
    /// and the activation, the kernel read from its packed nibbles a block at a time
    /// (``Ops/int4Dense(_:kernel:bias:activation:)``: no float copy is kept). The input's
    /// gradient goes through the dequantized kernel, as Keras's custom gradient gives; the int4
    /// weights get none.
    private func int4Call(_ inputs: Tensor, kernel: Variable, kernelScale: Variable, blockSize: Int?) throws -> Tensor {
        if blockSize != nil && (kernelZero == nil || gIdx == nil) {
            throw KerasError.invalidState("Dense '\(name)': int4 kernel_zero / g_idx missing")
        }
        let int4 = Int4Kernel(kernel: kernel, scale: kernelScale, zero: kernelZero, gIdx: gIdx)
        return try blockwiseCall(inputs, Int4Matrix(int4, cols: units, divided: false))
    }

    /// Keras's `_gptq_call` / `_awq_call`: the product with the dequantized kernel, then the bias
    /// and the activation. A kernel of at most ``Ops/int4BlockRows`` input rows (one block) is
    /// made float per call and goes through the float Dense's product; a taller one is read a
    /// block of rows at a time (``Ops/int4Dense(_:kernel:bias:activation:)``). Neither keeps a
    /// float copy of the kernel.
    private func gptqCall(_ inputs: Tensor, _ matrix: GPTQMatrix) throws -> Tensor {
        guard matrix.rows <= Ops.int4BlockRows else { return try blockwiseCall(inputs, matrix) }
        let fused = activationFunction.elementwise
        let y = try Ops.dense(inputs, kernel: matrix.floatKernel(), bias: bias?.value, activation: fused ?? .linear)
        return fused == nil ? try activationFunction(y) : y
    }

    /// The product with a kernel read a block of rows at a time, then the bias and the
    /// activation (joining the product's pass at inference).
    private func blockwiseCall(_ inputs: Tensor, _ matrix: some BlockwiseKernel) throws -> Tensor {
        let fused = activationFunction.elementwise
        if GradientTape.active == nil {
            // Inference: the bias and an elementwise activation join the product's pass.
            let y = try Ops.int4Dense(inputs, kernel: matrix, bias: bias?.value, activation: fused ?? .linear)
            return fused == nil ? try activationFunction(y) : y
        }
        var y = try Ops.int4Dense(inputs, kernel: matrix)
        if let bias { y = try Ops.add(y, bias.value) }
        return try activationFunction(y)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard !inputShape.isEmpty else {
            throw KerasError.shapeMismatch("Dense '\(name)': input must have at least one dimension")
        }
        return Array(inputShape.dropLast()) + [units]
    }

    /// Keras's config, with the quantized dtype policy once quantized.
    public override func getConfig() -> JSON {
        var c = super.getConfig()
        if let quantizationMode {
            c.set("dtype", quantizationMode.dtypePolicy)
            c.set("quantization_config", quantizationMode.defaultConfig)
        }
        return c
    }
}

extension Dense: QuantizableLayer {
    public func setQuantizationModeForBuild(_ mode: QuantizationMode) throws {
        try checkUnbuiltForPolicy(mode)
        quantizationMode = mode
    }

    /// Keras's `Dense.quantize(mode)`. int8: the kernel quantized per unit over its abs-max
    /// (`AbsMaxQuantizer(axis=0)`), kept as int8 with its scale. int4: per unit over -8 ... 7,
    /// or in blocks of input rows with zero points, packed two values to a byte along the units
    /// (`[input_dim, ceil(units / 2)]`). float8: the kernel stays, the scales and amax histories
    /// join it. The bias stays float and trainable.
    public func quantize(_ mode: QuantizationMode) throws {
        try checkQuantizable(mode)
        guard let old = kernel, old.shape.count == 2 else { throw KerasError.invalidState("Dense '\(name)' has no kernel") }
        switch mode {
        case .int8:
            let (bytes, scale) = absMaxQuantize(old.storedValue, axis: 0)
            (kernel, kernelScale, _) = try replaceByQuantized(old, bytes: bytes, scale: scale, scaleName: "kernel_scale")
        case .int4(let blockSize):
            setInt4(try Int4Kernel.quantize(old, as: old.storedValue, blockSize: blockSize, on: self))
        case .gptq(let bits, let groupSize):
            // Keras's `_gptq_build` on a built layer; the GPTQ solve's values are assigned next
            // (the binding's `model.quantize("gptq", config=...)`).
            setGPTQ(try GPTQKernel.replace(old, bits: bits, groupSize: groupSize, on: self))
        case .awq(let groupSize):
            // Keras's `_awq_build` on a built layer; the AWQ values are assigned next (the
            // binding's `model.quantize("awq", config=...)`).
            setAWQ(try AWQKernel.replace(old, groupSize: groupSize, on: self))
        case .float8(let length):
            float8 = try Float8Variables.build(on: self, historyLength: length, pathPrefix: String(old.path.dropLast(old.name.count)))
        }
        quantizationMode = mode
    }

    private func setInt4(_ w: Int4Kernel) {
        (kernel, kernelScale, kernelZero, gIdx) = (w.kernel, w.scale, w.zero, w.gIdx)
    }

    private func setGPTQ(_ w: GPTQKernel) {
        (kernel, kernelScale, kernelZero, gIdx) = (w.kernel, w.scale, w.zero, w.gIdx)
    }

    private func setAWQ(_ w: AWQKernel) {
        setGPTQ(w.gptq)
        awqScales = w.awqScales
    }

    /// Keras's `variable_serialization_spec`: kernel, bias, then kernel_scale when quantized
    /// (then kernel_zero and g_idx for int4 in blocks); gptq: bias, kernel, kernel_scale,
    /// kernel_zero, g_idx; awq: bias, kernel, kernel_scale, kernel_zero, awq_scales, g_idx.
    public var variablesInSaveOrder: [Variable] {
        if let float8, let kernel { return [kernel] + (bias.map { [$0] } ?? []) + float8.all }
        guard let kernel, let kernelScale else { return variables }
        if case .gptq? = quantizationMode {
            return (bias.map { [$0] } ?? []) + [kernel, kernelScale] + [kernelZero, gIdx].compactMap { $0 }
        }
        if case .awq? = quantizationMode {
            return (bias.map { [$0] } ?? []) + [kernel, kernelScale] + [kernelZero, awqScales, gIdx].compactMap { $0 }
        }
        return [kernel] + (bias.map { [$0] } ?? []) + [kernelScale] + [kernelZero, gIdx].compactMap { $0 }
    }
}

extension Dense: DeclaredLayer {
    /// Keras: `Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
    /// bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
    /// activity_regularizer=None, kernel_constraint=None, bias_constraint=None)`.
    public static let declaration = LayerDeclaration(Dense.self, arguments: [
        .required("units", \.units),
        .optional("activation", \.activationFunction, default: .linear),
        .optional("use_bias", \.useBias, default: true),
        .optional("kernel_initializer", \.kernelInitializer, default: VarianceScaling.glorotUniform()),
        .optional("bias_initializer", \.biasInitializer, default: Zeros()),
        .optional("kernel_regularizer", \.kernelRegularizer),
        .optional("bias_regularizer", \.biasRegularizer),
        .unsaved("activity_regularizer"),
        .optional("kernel_constraint", \.kernelConstraint),
        .optional("bias_constraint", \.biasConstraint),
        .optional("quantization_config", default: nil) { _ in .null },
    ]) { c in
        // (a Python int: Keras's isinstance test refuses a numpy integer or a float)
        guard case .int(let units)? = c.pythonNumber("units"), units > 0 else {
            throw KerasError.io("Dense: Received an invalid value for `units`, expected a positive integer. "
                                             + "Received: units=\(c["units"]?.description ?? "None")")
        }
        return Dense(units, activation: try c.activation("activation"), useBias: try c.bool("use_bias"),
                     kernelInitializer: try c.initializer("kernel_initializer"),
                     biasInitializer: try c.initializer("bias_initializer"),
                     kernelRegularizer: try c.regularizer("kernel_regularizer"),
                     biasRegularizer: try c.regularizer("bias_regularizer"),
                     kernelConstraint: try c.constraint("kernel_constraint"),
                     biasConstraint: try c.constraint("bias_constraint"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Dense.self, $0) }
