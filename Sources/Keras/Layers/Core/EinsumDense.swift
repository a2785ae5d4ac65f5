/// A dense layer whose product is an einsum equation with one input and the kernel:
/// `"abc,cde->abde"` projects the last axis into two. Keras: `keras.layers.EinsumDense`.
///
/// The product runs as one GEMM between transposed and reshaped operands (see `EinsumPlan`), so
/// its gradient comes from the matmul and transpose ops; the equation may elide leading or
/// trailing axes with `...`. Letters shared by input, weight and output (batched kernels) and
/// input letters summed away are refused.
///
/// ```swift
/// let layer = try EinsumDense("abc,cd->abd", outputShape: [nil, 64], biasAxes: "d")
/// ```
public final class EinsumDense: Layer, @unchecked Sendable {
    public let equation: String
    /// The output shape without the batch axis (nil entries follow the input).
    public let partialOutputShape: [Int?]
    /// The output letters that carry a bias, or nil for none.
    public let biasAxes: String?
    /// The activation applied after the product and bias.
    public override var activation: ActivationFunction? { activationFunction }
    public override func replaceActivation(_ activation: ActivationFunction) { activationFunction = activation }
    var activationFunction: ActivationFunction
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?

    /// The kernel, once built.
    public private(set) var kernel: Variable?
    /// The bias, once built with `biasAxes`.
    public private(set) var bias: Variable?
    /// The scale of an int8 kernel, one per produced index, in Keras's layout (broadcasting
    /// against the output), once quantized. Keras: `kernel_scale`.
    public private(set) var kernelScale: Variable?
    /// An int4 kernel's zero point per group (`[groups, n]`), once quantized in blocks. Keras:
    /// `kernel_zero`.
    public private(set) var kernelZero: Variable?
    /// The group of each contracted row of an int4 kernel in blocks. Keras: `g_idx`.
    public private(set) var gIdx: Variable?
    /// An AWQ kernel's per-row scales (Keras: `awq_scales`).
    public private(set) var awqScales: Variable?
    /// `int8` or `int4` once quantized (Keras: `quantization_mode`), nil while float.
    public private(set) var quantizationMode: QuantizationMode?
    /// A float8 layer's scales and amax histories (Keras's `_float8_build`).
    private(set) var float8: Float8Variables?
    /// The int8 kernel, as the `[k, n]` product takes it, packed once per kernel value.
    let packedKernel = PackedInt8Cache()
    /// A GPTQ / AWQ kernel's weights checked once per value (``GPTQMatrixCache``).
    let gptqMatrix = GPTQMatrixCache()
    private var plan: EinsumPlan?

    public init(_ equation: String, outputShape: [Int?], activation: ActivationFunction = .linear, biasAxes: String? = nil,
                kernelInitializer: Initializer = VarianceScaling.glorotUniform(), biasInitializer: Initializer = Zeros(),
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        if let bad = outputShape.first(where: { ($0 ?? 1) <= 0 }) {
            throw KerasError.invalidArgument("EinsumDense(outputShape: \(formatShape(outputShape))): sizes must be positive or nil, got \(bad ?? 0)")
        }
        self.equation = equation
        self.partialOutputShape = outputShape
        self.biasAxes = biasAxes
        self.activationFunction = activation
        self.kernelInitializer = withKerasDefaultSeed(kernelInitializer)
        self.biasInitializer = withKerasDefaultSeed(biasInitializer)
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        self.activityRegularizer = activityRegularizer
    }

    /// One output size (Keras's `output_shape=64`).
    public convenience init(_ equation: String, outputShape: Int, activation: ActivationFunction = .linear,
                            biasAxes: String? = nil, name: String? = nil) throws {
        try self.init(equation, outputShape: [outputShape], activation: activation, biasAxes: biasAxes, name: name)
    }

    public override func build(_ inputShape: [Int?]) throws {
        let p = try EinsumPlan(equation, biasAxes: biasAxes, inputShape: inputShape, partialOutput: partialOutputShape, layer: name)
        plan = p
        // Keras gives variance-scaling initializers the einsum's input and output axes: the fans
        // are the contracted and produced sizes, whatever the kernel's rank.
        let kernelInit: Initializer = kernelInitializer is VarianceScaling
            ? FlatFansInitializer(base: kernelInitializer, fans: [p.k, p.n]) : kernelInitializer
        if quantizationMode == .int8 {
            // Keras's `_int8_build`: the int8 kernel and its scale, neither trainable.
            kernel = addWeight(name: "kernel", shape: p.kernelShape, initializer: Zeros(), trainable: false, dtype: .int8)
            kernelScale = addWeight(name: "kernel_scale", shape: p.kernelScaleShape, initializer: Ones(), trainable: false)
        } else if case .int4(let blockSize)? = quantizationMode {
            // Keras's `_int4_build`: the kernel flattened to [contracted, produced] (a reshape
            // of its own layout), packed along the produced columns.
            setInt4(try Int4Kernel.build(on: self, rows: p.k, cols: p.n, blockSize: blockSize))
        } else if case .gptq(let bits, let groupSize)? = quantizationMode {
            // Keras's `_gptq_build`: the kernel flattened to [rows, cols] (GPTQKernel.flattened).
            let (rows, cols) = try GPTQKernel.flattened(p.kernelShape, layer: name)
            setGPTQ(GPTQKernel.build(on: self, rows: rows, cols: cols, bits: bits, groupSize: groupSize, zeroName: "zero_point"))
        } else if case .awq(let groupSize)? = quantizationMode {
            let (rows, cols) = try GPTQKernel.flattened(p.kernelShape, layer: name)
            let w = AWQKernel.build(on: self, rows: rows, cols: cols, groupSize: groupSize, zeroName: "zero_point")
            setGPTQ(w.gptq)
            awqScales = w.awqScales
        } else {
            if case .float8(let length)? = quantizationMode {   // (Keras adds them before the kernel)
                float8 = try Float8Variables.build(on: self, historyLength: length)
            }
            kernel = addWeight(name: "kernel", shape: p.kernelShape, initializer: kernelInit,
                               regularizer: kernelRegularizer, constraint: kernelConstraint)
        }
        if let shape = p.biasShape {
            bias = addWeight(name: "bias", shape: shape, initializer: biasInitializer,
                             regularizer: biasRegularizer, constraint: biasConstraint)
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let plan, let kernel else { throw KerasError.invalidState("EinsumDense '\(name)' is not built") }
        guard inputs.rank == plan.input.count else {
            throw KerasError.shapeMismatch("EinsumDense '\(name)': expected inputs of rank \(plan.input.count) for '\(equation)', got shape \(inputs.shape)")
        }
        if let float8 {
            // Keras's `_float8_call`: the einsum of the fake-quantized input and kernel, its
            // gradient fake-quantized; the bias through bfloat16.
            var y = try float8.call(inputs, kernel: kernel.value, training: training) { x, w in try product(x, w, plan) }
            if let bias { y = try Ops.add(y, Float8Variables.bias(bias)) }
            return try activationFunction(y)
        }
        let identity = { (p: [Int]) in p == Array(0..<p.count) }
        let x = identity(plan.inputPerm) ? inputs : try Ops.transpose(inputs, plan.inputPerm)
        // (a quantized kernel held as bytes is made float only where it is read: an int8 one on a
        // change of the kernel, to pack it, and for the input's gradient)
        var kernelValue: Tensor? = kernel.dtype.isByte ? nil : kernel.value
        // A kernel read a block of rows at a time, when the product is a plain [m, k] · [k, n].
        func blockwise<K: BlockwiseKernel>(_ matrix: K) throws -> Tensor {
            let m = inputs.count / Swift.max(plan.k, 1)
            let y2 = try Ops.int4Dense(Ops.reshape(x, [m, plan.k]), kernel: matrix)
            let outShape = plan.outputShape(for: inputs.shape)
            let middle = outShape.indices.sorted { plan.outputPerm[$0] < plan.outputPerm[$1] }.map { outShape[$0] }
            var y = try Ops.reshape(y2, middle)
            if !identity(plan.outputPerm) { y = try Ops.transpose(y, plan.outputPerm) }
            if let bias { y = try Ops.add(y, bias.value) }
            return try activationFunction(y)
        }
        if case .int4? = quantizationMode, let kernelScale {
            // Keras's `_int4_call` (weight-only): the einsum with the dequantized kernel (per
            // channel `values / kernel_scale`, in blocks `(values - zero[g]) · scale[g]`); the
            // input's gradient goes through it, the int4 weights get none. A plain product reads
            // the packed kernel a block at a time; otherwise its float form is made per call.
            // Neither keeps a float copy.
            let int4 = Int4Kernel(kernel: kernel, scale: kernelScale, zero: kernelZero, gIdx: gIdx)
            let matrix = try Int4Matrix(int4, cols: plan.n, divided: true)
            if identity(plan.kernelPerm) { return try blockwise(matrix) }
            kernelValue = try Ops.reshape(matrix.floatKernel(), plan.kernelShape)
        }
        // Keras's `_gptq_call` / `_awq_call` (AWQ: GPTQ's, each row divided by its AWQ scale): the
        // dequantized [rows, cols] kernel in the kernel's shape, made per call and not kept; a
        // plain product over more rows than one block reads it a block of rows at a time.
        var gptq: GPTQMatrix?
        if case .gptq(let bits, _)? = quantizationMode, let kernelScale, let kernelZero, let gIdx {
            let cols = try GPTQKernel.flattened(plan.kernelShape, layer: name).cols
            gptq = try gptqMatrix.matrix(GPTQKernel(kernel: kernel, scale: kernelScale, zero: kernelZero, gIdx: gIdx), cols: cols, bits: bits)
        }
        if case .awq? = quantizationMode, let kernelScale, let kernelZero, let gIdx, let awqScales {
            let awq = AWQKernel(gptq: GPTQKernel(kernel: kernel, scale: kernelScale, zero: kernelZero, gIdx: gIdx), awqScales: awqScales)
            gptq = try awq.matrix(cols: try GPTQKernel.flattened(plan.kernelShape, layer: name).cols, cache: gptqMatrix)
        }
        if let gptq {
            if gptq.rows > Ops.int4BlockRows, identity(plan.kernelPerm), gptq.rows == plan.k, gptq.cols == plan.n {
                return try blockwise(gptq)
            }
            kernelValue = try Ops.reshape(gptq.floatKernel(), plan.kernelShape)
        }
        func kernel2D() throws -> Tensor {
            let value = kernelValue ?? kernel.value
            let w = identity(plan.kernelPerm) ? value : try Ops.transpose(value, plan.kernelPerm)
            return try Ops.reshape(w, [plan.k, plan.n])
        }
        let m = inputs.count / Swift.max(plan.k, 1)
        let x2 = try Ops.reshape(x, [m, plan.k])
        let outShape = plan.outputShape(for: inputs.shape)
        if quantizationMode == .int8, let kernelScale {
            // Keras's `_int8_call`: the input quantized over the contracted axes (one scale per
            // free index: per row of the GEMM), the kernel's scale one per produced index.
            let packed = try packedKernel.matrix(for: kernel) { try kernel2D() }
            let scale = try Ops.reshape(kernelScale.value, [plan.n])
            // (the input's gradient dequantizes the kernel straight from its bytes)
            let y2 = GradientTape.active == nil
                ? try Ops.int8DenseInference(x2, packed: packed, kernelScale: scale, bias: nil, activation: .linear)
                : try Ops.int8Dense(x2, kernelShape: [plan.k, plan.n], kernelScale: scale, packed: packed, kernelBytes: {
                    identity(plan.kernelPerm) ? kernel.bytes : VariableDType.int8.bytes(of: try kernel2D())
                })
            let middle = outShape.indices.sorted { plan.outputPerm[$0] < plan.outputPerm[$1] }.map { outShape[$0] }
            var y = try Ops.reshape(y2, middle)
            if !identity(plan.outputPerm) { y = try Ops.transpose(y, plan.outputPerm) }
            if let bias { y = try Ops.add(y, bias.value) }
            return try activationFunction(y)
        }
        let w2 = try kernel2D()
        if plan.biasFuses || bias == nil, identity(plan.outputPerm) {
            let b = try bias.map { try Ops.reshape($0.value, [plan.n]) }
            let y: Tensor
            if let fused = activationFunction.elementwise {
                y = try Ops.dense(x2, kernel: w2, bias: b, activation: fused)
                return try Ops.reshape(y, outShape)
            }
            y = try Ops.dense(x2, kernel: w2, bias: b)
            return try activationFunction(Ops.reshape(y, outShape))
        }
        let middle = outShape.indices.sorted { plan.outputPerm[$0] < plan.outputPerm[$1] }.map { outShape[$0] }
        var y = try Ops.transpose(Ops.reshape(Ops.matmul(x2, w2), middle), plan.outputPerm)
        if let bias { y = try Ops.add(y, bias.value) }
        return try activationFunction(y)
    }

    /// The einsum of `inputs` and `kernel` (in the kernel's own layout), without the bias.
    private func product(_ inputs: Tensor, _ kernel: Tensor, _ plan: EinsumPlan) throws -> Tensor {
        let identity = { (p: [Int]) in p == Array(0..<p.count) }
        let x = identity(plan.inputPerm) ? inputs : try Ops.transpose(inputs, plan.inputPerm)
        let w = identity(plan.kernelPerm) ? kernel : try Ops.transpose(kernel, plan.kernelPerm)
        let m = inputs.count / Swift.max(plan.k, 1)
        let y2 = try Ops.matmul(Ops.reshape(x, [m, plan.k]), Ops.reshape(w, [plan.k, plan.n]))
        let outShape = plan.outputShape(for: inputs.shape)
        let middle = outShape.indices.sorted { plan.outputPerm[$0] < plan.outputPerm[$1] }.map { outShape[$0] }
        let y = try Ops.reshape(y2, middle)
        return identity(plan.outputPerm) ? y : try Ops.transpose(y, plan.outputPerm)
    }

    /// The kernel as `[k, n]` and the bias as `[n]` when this layer is one plain product over
    /// its input's last axis (no transposes, a bias that fuses, no activation, no activity
    /// regularizer), for a caller that joins several such products into one
    /// (``MultiHeadAttention``'s self-attention projections); nil otherwise.
    func denseOperands() throws -> (kernel: Tensor, bias: Tensor?)? {
        guard let plan, let kernel, quantizationMode == nil, activityRegularizer == nil, activationFunction.elementwise == .linear,
              plan.biasFuses || bias == nil else { return nil }
        let identity = { (p: [Int]) in p == Array(0..<p.count) }
        guard identity(plan.inputPerm), identity(plan.kernelPerm), identity(plan.outputPerm) else { return nil }
        return (try Ops.reshape(kernel.value, [plan.k, plan.n]), try bias.map { try Ops.reshape($0.value, [plan.n]) })
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

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        let p = try plan ?? EinsumPlan(equation, biasAxes: biasAxes, inputShape: inputShape, partialOutput: partialOutputShape, layer: name)
        // Keras's `full_output_shape`: the given output_shape on the axes it covers (its None
        // kept, even on an axis the input shares: the size is known only when called), the
        // input's sizes on the batch axis and the axes an ellipsis stands for.
        return p.output.enumerated().map { i, c in
            let given = i - p.userAxes.lowerBound
            if p.userAxes.contains(i), partialOutputShape.indices.contains(given) { return partialOutputShape[given] }
            return p.input.firstIndex(of: c).flatMap { $0 < inputShape.count ? inputShape[$0] : nil }
        }
    }
}

/// A variance-scaling initializer drawing as if the kernel were the `fans[0] × fans[1]` matrix
/// of its product (Keras's `input_axes`/`output_axes`), reshaped to the kernel's shape.
struct FlatFansInitializer: Initializer {
    let base: Initializer
    let fans: [Int]
    var className: String { base.className }
    var config: JSON { base.config }
    func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let t = base(fans, generator: generator)
        return t.count == shape.reduce(1, *) ? t.viewing(shape) : base(shape, generator: generator)
    }
}

extension EinsumDense: QuantizableLayer {
    public func setQuantizationModeForBuild(_ mode: QuantizationMode) throws {
        try checkUnbuiltForPolicy(mode)
        quantizationMode = mode
    }

    /// Keras's `EinsumDense.quantize(mode)`. int4: the kernel reshaped to [contracted,
    /// produced] and quantized as Dense's (``Int4Kernel``). int8: the kernel quantized over its contracted axes
    /// (one abs-max scale per produced index), kept as int8 in its own layout with the scale in
    /// Keras's layout; the bias stays float and trainable.
    public func quantize(_ mode: QuantizationMode) throws {
        try checkQuantizable(mode)
        guard let plan, let old = kernel else { throw KerasError.invalidState("EinsumDense '\(name)' has no kernel") }
        if case .float8(let length) = mode {   // (the kernel stays; the scales join it)
            float8 = try Float8Variables.build(on: self, historyLength: length, pathPrefix: String(old.path.dropLast(old.name.count)))
            quantizationMode = mode
            return
        }
        if case .gptq(let bits, let groupSize) = mode {
            // Keras's `_gptq_build` on a built layer; the GPTQ solve's values are assigned next.
            setGPTQ(try GPTQKernel.replace(old, bits: bits, groupSize: groupSize, on: self, zeroName: "zero_point"))
            quantizationMode = mode
            return
        }
        if case .awq(let groupSize) = mode {
            let w = try AWQKernel.replace(old, groupSize: groupSize, on: self, zeroName: "zero_point")
            setGPTQ(w.gptq)
            awqScales = w.awqScales
            quantizationMode = mode
            return
        }
        if case .int4(let blockSize) = mode {
            // Keras flattens the kernel to [contracted, produced] by a reshape of its own layout.
            setInt4(try Int4Kernel.quantize(old, as: Ops.reshape(old.storedValue, [plan.k, plan.n]), blockSize: blockSize, on: self))
            quantizationMode = mode
            return
        }
        // The kernel as the GEMM's [k, n] (contracted, produced): its columns are Keras's
        // channels; quantized there and put back in the kernel's axis order.
        let permuted = plan.kernelPerm.map { old.shape[$0] }
        let w2 = try Ops.reshape(Ops.transpose(old.storedValue, plan.kernelPerm), [plan.k, plan.n])
        var (bytes, scale) = absMaxQuantize(w2, axis: 0)
        if plan.kernelPerm != Array(0..<plan.kernelPerm.count) {
            let asFloats = try Tensor(shape: permuted, scalars: bytes.map { Float(Int8(bitPattern: $0)) })
            var inverse = [Int](repeating: 0, count: plan.kernelPerm.count)
            for (i, p) in plan.kernelPerm.enumerated() { inverse[p] = i }
            bytes = VariableDType.int8.bytes(of: try Ops.transpose(asFloats, inverse))
        }
        let (q, s, _) = try replaceByQuantized(old, bytes: bytes, scale: try Ops.reshape(scale, plan.kernelScaleShape),
                                            scaleName: "kernel_scale")
        kernel = q
        kernelScale = s
        quantizationMode = mode
    }

    private func setInt4(_ w: Int4Kernel) {
        (kernel, kernelScale, kernelZero, gIdx) = (w.kernel, w.scale, w.zero, w.gIdx)
    }

    private func setGPTQ(_ w: GPTQKernel) {
        (kernel, kernelScale, kernelZero, gIdx) = (w.kernel, w.scale, w.zero, w.gIdx)
    }

    /// Keras's `variable_serialization_spec`: kernel, bias, then kernel_scale when quantized
    /// (then kernel_zero and g_idx for int4 in blocks).
    public var variablesInSaveOrder: [Variable] {
        if let float8, let kernel { return [kernel] + (bias.map { [$0] } ?? []) + float8.all }
        guard let kernel, let kernelScale else { return variables }
        switch quantizationMode {
        case .gptq?, .awq?:   // (Keras: bias, kernel, kernel_scale, zero_point[, awq_scales], g_idx)
            return (bias.map { [$0] } ?? []) + [kernel, kernelScale] + [kernelZero, awqScales, gIdx].compactMap { $0 }
        default:
            return [kernel] + (bias.map { [$0] } ?? []) + [kernelScale] + [kernelZero, gIdx].compactMap { $0 }
        }
    }

}

extension EinsumDense: DeclaredLayer {
    /// Keras: `EinsumDense(equation, output_shape, activation=None, bias_axes=None,
    /// kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
    /// bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None, …)`;
    /// `get_config()` writes `output_shape` first.
    public static let declaration = LayerDeclaration(EinsumDense.self, constructorOrder: [
        "equation", "output_shape", "activation", "bias_axes", "kernel_initializer", "bias_initializer",
        "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint",
    ], arguments: [
        .required("output_shape") { .array($0.partialOutputShape.map { $0.map(JSON.int) ?? .null }) },
        .required("equation", \.equation),
        .optional("activation", \.activationFunction, default: .linear),
        .optional("bias_axes", \.biasAxes, default: nil),
        .optional("kernel_initializer", \.kernelInitializer, default: VarianceScaling.glorotUniform()),
        .optional("bias_initializer", \.biasInitializer, default: Zeros()),
        .optional("kernel_regularizer", \.kernelRegularizer),
        .optional("bias_regularizer", \.biasRegularizer),
        .optional("activity_regularizer", default: nil) { $0.activityRegularizer?.serialized ?? .null },
        .optional("kernel_constraint", \.kernelConstraint),
        .optional("bias_constraint", \.biasConstraint),
        .optional("quantization_config", default: nil) { _ in .null },
    ]) { c in
        let shape: [Int?]
        if let one = c["output_shape"]?.intValue {
            shape = [one]
        } else {
            guard let s = try c.shape("output_shape") else {
                throw KerasError.io("EinsumDense config: 'output_shape' must be an integer or a list, got \(c["output_shape"] ?? .null)")
            }
            shape = s
        }
        return try EinsumDense(try c.string("equation"), outputShape: shape, activation: try c.activation("activation"),
                               biasAxes: try c.optionalString("bias_axes"),
                               kernelInitializer: try c.initializer("kernel_initializer"),
                               biasInitializer: try c.initializer("bias_initializer"),
                               kernelRegularizer: try c.regularizer("kernel_regularizer"),
                               biasRegularizer: try c.regularizer("bias_regularizer"),
                               kernelConstraint: try c.constraint("kernel_constraint"),
                               biasConstraint: try c.constraint("bias_constraint"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(EinsumDense.self, $0) }
