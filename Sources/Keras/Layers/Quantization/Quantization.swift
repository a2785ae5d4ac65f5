/// The quantization modes a layer can take (Keras: `layer.quantize(mode)`, `model.quantize`).
/// The library holds `int8`; Keras's other modes are refused by name.
public enum QuantizationMode: String, Sendable {
    case int8

    /// Keras's modes (`dtype_policies.QUANTIZATION_MODES`).
    public static let kerasModes = ["int8", "float8", "int4", "gptq", "awq"]

    /// The mode of Keras's name; a clear error for one Keras has that the library does not, and
    /// Keras's own for an unknown one.
    public init(named name: String) throws {
        if let mode = QuantizationMode(rawValue: name) { self = mode; return }
        if QuantizationMode.kerasModes.contains(name) {
            throw KerasError.invalidArgument("quantize: mode '\(name)' is not supported by this library; the supported mode is 'int8' (Dense, EinsumDense and Embedding)")
        }
        throw KerasError.invalidArgument("Invalid quantization mode. Expected one of \(QuantizationMode.pythonTuple). Received: mode=\(name)")
    }

    static var pythonTuple: String { "(" + kerasModes.map { "'\($0)'" }.joined(separator: ", ") + ")" }

    /// The dtype policy a layer quantized from float32 carries in its config (Keras 3.15:
    /// `QuantizedDTypePolicy`, named `int8_from_float32`).
    var dtypePolicy: JSON {
        ["module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
         "config": ["mode": .string(rawValue), "source_name": "float32"], "registered_name": nil]
    }

    /// Keras's default config of the mode, as a quantized layer's config carries it
    /// (`quantization_config`: `Int8QuantizationConfig()`, inputs quantized per row).
    var defaultConfig: JSON {
        let activation: JSON = ["module": "keras.quantizers", "class_name": "AbsMaxQuantizer",
                                "config": ["value_range": [-127, 127], "epsilon": .double(1e-7), "output_dtype": "int8"],
                                "registered_name": nil]
        return ["module": "keras.quantizers", "class_name": "Int8QuantizationConfig",
                "config": ["weight_quantizer": nil, "activation_quantizer": activation], "registered_name": nil]
    }

    /// Checks a saved `quantization_config`: the library computes Keras's default int8 scheme
    /// (abs-max over ±127: per output channel for the weights, per row for the inputs), so a
    /// config asking for another one is refused, naming what differs.
    static func checkSavedConfig(_ config: JSON?, layer: String) throws {
        guard let config, config != .null else { return }
        let inner = config["config"] ?? config
        func check(_ key: String, mayBeNull: Bool) throws {
            let q = inner[key] ?? .null
            if q == .null {
                guard mayBeNull else {
                    throw KerasError.invalidArgument("\(layer): quantization_config with \(key)=None (weight-only int8) is not supported; the library quantizes the inputs as Keras's default Int8QuantizationConfig() does")
                }
                return
            }
            let cls = q["class_name"]?.stringValue ?? ""
            let range = (q["config"]?["value_range"]?.arrayValue ?? []).compactMap { $0.doubleValue }
            guard cls == "AbsMaxQuantizer", range.isEmpty || range == [-127, 127] else {
                throw KerasError.invalidArgument("\(layer): quantization_config's \(key) must be AbsMaxQuantizer(value_range=(-127, 127)) (Keras's default), got \(q)")
            }
        }
        try check("weight_quantizer", mayBeNull: true)
        try check("activation_quantizer", mayBeNull: false)
    }

    /// The mode a layer config's `dtype` names: a `QuantizedDTypePolicy` (`{"mode": "int8"}` as
    /// Keras 3.15 writes it, or `{"name": "int8_from_float32"}` as earlier Keras 3 did), or a
    /// policy name string `"int8_from_float32"`; nil for a float policy.
    static func of(dtypePolicy dtype: JSON) throws -> QuantizationMode? {
        var mode = dtype["config"]?["mode"]?.stringValue
        let name = dtype.stringValue ?? dtype["config"]?["name"]?.stringValue
        if mode == nil, let name, let r = name.range(of: "_from_") { mode = String(name[..<r.lowerBound]) }
        guard let mode else { return nil }
        return try QuantizationMode(named: mode.split(separator: "/").first.map(String.init) ?? mode)
    }
}

/// A layer that `quantize` can turn into its quantized form (Keras's Dense, EinsumDense and
/// Embedding): int8 weights with per-channel scales, built so from a config whose dtype policy
/// is quantized.
public protocol QuantizableLayer: Layer {
    /// The mode the layer computes in, nil while it is float.
    var quantizationMode: QuantizationMode? { get }
    /// Builds the quantized weights instead of the float ones (a config's quantized policy);
    /// only before the layer is built.
    func setQuantizationModeForBuild(_ mode: QuantizationMode) throws
    /// Replaces the float weights by their quantized form. The layer must be built and float.
    func quantize(_ mode: QuantizationMode) throws
    /// The weights in the order Keras saves them for the current mode (Keras's
    /// `variable_serialization_spec`).
    var variablesInSaveOrder: [Variable] { get }
}

extension QuantizableLayer {
    /// A quantized dtype policy takes effect only when the layer builds its weights.
    func checkUnbuiltForPolicy() throws {
        guard !built else {
            throw KerasError.invalidState("\(pythonClassName) '\(name)': a built layer is quantized with quantize(), not by its dtype policy")
        }
    }

    /// Keras's `_check_quantize_args`: built, and not quantized yet.
    func checkQuantizable(_ mode: QuantizationMode) throws {
        guard built else {
            throw KerasError.invalidArgument("Cannot quantize a layer that isn't yet built. Layer '\(name)' (of type '\(pythonClassName)') is not built yet.")
        }
        if let current = quantizationMode {
            throw KerasError.invalidArgument("Layer '\(name)' is already quantized with dtype_policy='\(current.rawValue)_from_float32'. Received: mode=\(mode.rawValue)")
        }
    }

    /// Replaces the float weight `old` (and its regularizer) by its int8 values and their
    /// scale (`scaleName`, of `scale`'s shape), both non-trainable, at `old`'s path (the one
    /// it was made at, inside its model). Returns the two new weights.
    func replaceByQuantized(_ old: Variable, values: [Int32], scale: Tensor, scaleName: String) throws -> (Variable, Variable) {
        let taken = takeWeights()
        restoreWeights((taken.variables.filter { $0 !== old }, taken.regularizers.filter { $0.0 !== old }))
        let q = addWeight(name: old.name, shape: old.shape, initializer: Zeros(), trainable: false, dtype: .int8)
        let s = addWeight(name: scaleName, shape: scale.shape, initializer: Ones(), trainable: false)
        try q.assign(integers: values)
        try s.assign(scale)
        q.path = old.path
        s.path = String(old.path.dropLast(old.name.count)) + scaleName
        return (q, s)
    }
}

/// Keras's `abs_max_quantize(w, axis)` of a 2-D weight over `axis` (0: per column, Dense's
/// kernel; 1: per row, Embedding's table): the int8 values and one scale per kept index.
func absMaxQuantize(_ w: Tensor, axis: Int) -> (values: [Int32], scale: Tensor) {
    let rows = w.shape[0], cols = w.shape[1]
    let (lines, length, lineStride, step) = axis == 0 ? (cols, rows, 1, cols) : (rows, cols, cols, 1)
    let scale = Tensor.uninitialized([lines])
    var values = [Int32](repeating: 0, count: rows * cols)
    let x = w.data, s = scale.data
    for l in 0..<lines {
        let start = x + l * lineStride
        let sc = Kernels.absMaxScale(start, count: length, stride: step)
        s[l] = sc
        for i in 0..<length { values[l * lineStride + i * step] = Int32(Kernels.quantizedValue(start[i * step], sc)) }
    }
    return (values, scale)
}

extension Model {
    /// Quantizes every layer of the model that can be (Keras: `model.quantize(mode)`), as
    /// Keras walks them (`_flatten_layers`, leaves only). Returns the class names of the leaf
    /// layers that cannot be quantized (Keras warns for each). `only`: the names of the layers
    /// to quantize (Keras's `filters`), all when nil.
    @discardableResult
    public func quantize(_ mode: QuantizationMode, only: Set<String>? = nil) throws -> [String] {
        var skipped: [String] = []
        let layers = flattenedLayers().map(\.0)
        for layer in layers where layer.sublayers.isEmpty && !(layer is Model) && (only?.contains(layer.name) ?? true) {
            if let q = layer as? QuantizableLayer, q.isQuantizableClass {
                try q.quantize(mode)
            } else {
                skipped.append(layer.pythonClassName)
            }
        }
        // The fused inference and training plans hold the float kernels: read them again.
        for case let m as Model in layers where m.built { m.readPlans() }
        return skipped
    }
}

extension QuantizableLayer {
    /// Keras quantizes the class itself, not its subclasses (`type_check`).
    var isQuantizableClass: Bool { type(of: self) == Dense.self || type(of: self) == Embedding.self || type(of: self) == EinsumDense.self }
}
