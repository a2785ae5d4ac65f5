/// Turns integer indices into dense vectors: row `i` of an `(input_dim, output_dim)` table for
/// each index `i`. With `maskZero`, index 0 is padding and the output carries a mask (false
/// there) that recurrent layers and losses honour. Keras: `keras.layers.Embedding`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [20]), Embedding(1000, 64, maskZero: true), LSTM(32)])
/// ```
public class Embedding: Layer, @unchecked Sendable {
    /// The number of rows of the table: indices run over `0..<inputDim`.
    public let inputDim: Int
    /// The length of each embedding vector.
    public let outputDim: Int
    public let embeddingsInitializer: Initializer
    public let embeddingsRegularizer: Regularizer?
    public let embeddingsConstraint: Constraint?
    /// Whether index 0 is padding that masks its timestep.
    public let maskZero: Bool

    /// The table `(input_dim, output_dim)`, once built.
    public private(set) var embeddings: Variable?
    /// The per-row scale of an int8 table (`embeddings / embeddingsScale[:, None]` is the float
    /// table), once quantized. Keras: `embeddings_scale`.
    public private(set) var embeddingsScale: Variable?
    /// An int4 table's zero point per row and group (`[input_dim, groups]`), once quantized in
    /// blocks. Keras: `embeddings_zero`.
    public private(set) var embeddingsZero: Variable?
    /// The group of each column of an int4 table quantized in blocks. Keras: `g_idx`.
    public private(set) var gIdx: Variable?
    /// `int8` or `int4` once quantized (Keras: `quantization_mode`), nil while float.
    public private(set) var quantizationMode: QuantizationMode?

    public init(_ inputDim: Int, _ outputDim: Int,
                embeddingsInitializer: Initializer = RandomUniform(),
                embeddingsRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
                embeddingsConstraint: Constraint? = nil, maskZero: Bool = false,
                name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        guard inputDim > 0 else {
            throw KerasError.invalidArgument("Embedding(input_dim: \(inputDim)): input_dim must be a positive integer")
        }
        guard outputDim > 0 else {
            throw KerasError.invalidArgument("Embedding(output_dim: \(outputDim)): output_dim must be a positive integer")
        }
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.embeddingsInitializer = withKerasDefaultSeed(embeddingsInitializer)
        self.embeddingsRegularizer = embeddingsRegularizer
        self.embeddingsConstraint = embeddingsConstraint
        self.maskZero = maskZero
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        supportsMasking = maskZero
        self.activityRegularizer = activityRegularizer
    }

    override class var maskingSupport: MaskingSupport { .whenArgument("mask_zero") }
    override class var computesOwnMask: Bool { true }

    public override func build(_ inputShape: [Int?]) throws {
        if quantizationMode == .int8 {
            // Keras's `_int8_build`: the int8 table and one scale per row, neither trainable.
            embeddings = addWeight(name: "embeddings", shape: [inputDim, outputDim], initializer: Zeros(),
                                   trainable: false, dtype: .int8)
            embeddingsScale = addWeight(name: "embeddings_scale", shape: [inputDim], initializer: Ones(), trainable: false)
            return
        }
        if case .int4(let blockSize)? = quantizationMode {
            // Keras's `_int4_build`: the table packed along its columns, its scale per row (and
            // group), and in blocks the zero points and the group of each column.
            embeddings = addWeight(name: "embeddings", shape: [inputDim, (outputDim + 1) / 2], initializer: Zeros(),
                                   trainable: false, dtype: .int8)
            let groups = blockSize.map { (outputDim + $0 - 1) / $0 }
            embeddingsScale = addWeight(name: "embeddings_scale", shape: [inputDim] + (groups.map { [$0] } ?? []),
                                        initializer: Ones(), trainable: false)
            if let blockSize, let groups {
                embeddingsZero = addWeight(name: "embeddings_zero", shape: [inputDim, groups], initializer: Zeros(),
                                           trainable: false, dtype: .int8)
                let g = addWeight(name: "g_idx", shape: [outputDim], initializer: Zeros(), trainable: false)
                try g.assign(Int4.groupIndex(count: outputDim, blockSize: blockSize))
                gIdx = g
            }
            return
        }
        embeddings = addWeight(name: "embeddings", shape: [inputDim, outputDim], initializer: embeddingsInitializer,
                               regularizer: embeddingsRegularizer, constraint: embeddingsConstraint)
    }

    /// The input's values as row indices (Keras casts them to int32: fractions truncate); an
    /// index outside `0..<inputDim` (or not a finite number) is an error naming it.
    private func indices(_ x: Tensor) throws -> [Int] {
        let src = x.data, n = x.count, limit = Float(inputDim)
        var out = [Int](repeating: 0, count: n)
        for k in 0..<n {
            let v = src[k]
            guard v > -1, v < limit else {
                let shown = abs(v) < 1e15 && v == v.rounded() ? String(Int(v)) : String(v)
                throw KerasError.invalidArgument("Embedding '\(name)': index \(shown) at position \(k) of the input is out of range [0, \(inputDim))")
            }
            out[k] = Int(v)
        }
        return out
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let embeddings else { throw KerasError.invalidState("Embedding '\(name)' is not built") }
        let ids = try indices(inputs)
        if case .int4(let blockSize)? = quantizationMode, let embeddingsScale {
            // Keras's `_int4_call`: the rows unpacked, each divided by its scale (per channel) or
            // `(values - zero) · scale` of its group (in blocks): the same per value as the
            // dequantized table's rows taken, read from the packed table (no float copy kept).
            if blockSize != nil && (embeddingsZero == nil || gIdx == nil) {
                throw KerasError.invalidState("Embedding '\(name)': int4 embeddings_zero / g_idx missing")
            }
            let rows = try Int4.takeRows(ids, packed: embeddings, cols: outputDim, scale: embeddingsScale.storedValue,
                                         zero: embeddingsZero?.storedValue, gIdx: gIdx?.storedValue)
            return try Ops.reshape(rows, inputs.shape + [outputDim])
        }
        // (an int8 table keeps only its bytes: the rows taken are read from them)
        var rows = embeddings.dtype.isByte ? try embeddings.byteRows(ids) : try Ops.take(embeddings.value, ids)
        if let embeddingsScale {
            // Keras's `_int8_call`: each row divided by its scale.
            rows = try Ops.divide(rows, Ops.reshape(Ops.take(embeddingsScale.value, ids), [ids.count, 1]))
        }
        return try Ops.reshape(rows, inputs.shape + [outputDim])
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

    /// Keras: `not_equal(inputs, 0)` with `mask_zero`, otherwise no mask.
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? {
        guard maskZero else { return nil }
        let out = Tensor(shape: inputs.shape)
        let src = inputs.data, dst = out.data
        for k in 0..<inputs.count { dst[k] = src[k] != 0 ? 1 : 0 }
        return out
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape + [outputDim] }

    /// The class's declaration (DeclaredLayer): a class property, so that a subclass
    /// (``ReversibleEmbedding``) declares its own.
    public class var declaration: LayerDeclaration { Embedding.embeddingDeclaration }
}

extension Embedding: DeclaredLayer {
    /// Keras: `Embedding(input_dim, output_dim, embeddings_initializer="uniform",
    /// embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False)`.
    static let embeddingDeclaration = LayerDeclaration(Embedding.self, constructorOrder: [   // (activity_regularizer: **kwargs)
        "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "embeddings_constraint", "mask_zero",
        "quantization_config",
    ], arguments: [
        .required("input_dim", \.inputDim),
        .required("output_dim", \.outputDim),
    ] + tableArguments(Embedding.self)) { c in
        try Embedding(try c.int("input_dim"), try c.int("output_dim"),
                      embeddingsInitializer: try c.initializer("embeddings_initializer"),
                      embeddingsRegularizer: try c.regularizer("embeddings_regularizer"),
                      embeddingsConstraint: try c.constraint("embeddings_constraint"),
                      maskZero: try c.bool("mask_zero"), name: c.name)
    }
}
extension Embedding {
    /// The arguments of the table, which Embedding and ReversibleEmbedding share.
    static func tableArguments<L: Embedding>(_ type: L.Type) -> [LayerArgument<L>] {
        [
            .optional("embeddings_initializer", \.embeddingsInitializer, default: RandomUniform()),
            .optional("embeddings_regularizer", \.embeddingsRegularizer),
            .optional("activity_regularizer", default: .null) { $0.activityRegularizer?.serialized ?? .null },
            .optional("embeddings_constraint", \.embeddingsConstraint),
            .optional("mask_zero", \.maskZero, default: false),
            .optional("quantization_config", default: nil) { _ in .null },
        ]
    }
}
extension Embedding: QuantizableLayer {
    public func setQuantizationModeForBuild(_ mode: QuantizationMode) throws {
        try checkUnbuiltForPolicy(mode)
        quantizationMode = mode
    }

    /// Keras's `Embedding.quantize(mode)`. int8: each row of the table quantized over its
    /// abs-max (`AbsMaxQuantizer(axis=-1)`), kept as int8 with its scale. int4: per row over
    /// -8 ... 7, or in blocks of columns with zero points, packed two values to a byte along
    /// the columns (`[input_dim, ceil(output_dim / 2)]`).
    public func quantize(_ mode: QuantizationMode) throws {
        try checkQuantizable(mode)
        guard let old = embeddings, old.shape.count == 2 else { throw KerasError.invalidState("Embedding '\(name)' has no table") }
        switch mode {
        case .int8:
            let (bytes, scale) = absMaxQuantize(old.storedValue, axis: 1)
            (embeddings, embeddingsScale, _) = try replaceByQuantized(old, bytes: bytes, scale: scale, scaleName: "embeddings_scale")
        case .int4(let blockSize):
            // Keras quantizes the transposed table (groups along the columns), then transposes back.
            let (valuesT, scaleT, zeroT) = Int4.quantize(try Ops.transpose(old.storedValue), blockSize: blockSize)
            var values = [UInt8](repeating: 0, count: inputDim * outputDim)
            for r in 0..<inputDim {
                for c in 0..<outputDim { values[r * outputDim + c] = valuesT[c * inputDim + r] }
            }
            var extra: [(String, Tensor, VariableDType)] = []
            if let zeroT, let blockSize {
                extra = [("embeddings_zero", try Ops.transpose(zeroT), .int8),
                         ("g_idx", Int4.groupIndex(count: outputDim, blockSize: blockSize), .float32)]
            }
            let made = try replaceByQuantized(old, bytes: Int4.pack(values, rows: inputDim, cols: outputDim),
                                              valuesShape: [inputDim, (outputDim + 1) / 2],
                                              scale: blockSize == nil ? scaleT : try Ops.transpose(scaleT),
                                              scaleName: "embeddings_scale", extra: extra)
            (embeddings, embeddingsScale) = (made.0, made.1)
            (embeddingsZero, gIdx) = made.2.count == 2 ? (made.2[0], made.2[1]) : (nil, nil)
        case .gptq, .awq:
            throw KerasError.invalidArgument("Embedding '\(name)': quantize: mode '\(mode.name)' is supported by this library for Dense and EinsumDense layers only")
        case .float8:   // (refused by checkQuantizable: Keras's Embedding has no float8 form)
            throw KerasError.invalidArgument(unsupportedModeMessage(mode) ?? "Embedding: float8 is not supported")
        }
        quantizationMode = mode
    }

    /// Keras's `variable_serialization_spec`: embeddings, then embeddings_scale (then
    /// embeddings_zero and g_idx for int4 in blocks).
    public var variablesInSaveOrder: [Variable] { variables }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Embedding.self, $0) }
