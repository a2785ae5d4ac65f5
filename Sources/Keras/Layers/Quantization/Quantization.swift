/// The quantization modes a layer can take (Keras: `layer.quantize(mode)`, `model.quantize`).
/// The library holds `int8`, `int4`, `float8`, `gptq` and `awq` (Dense and EinsumDense, the last
/// two).
public enum QuantizationMode: Sendable, Hashable {
    /// Keras's int8: the kernel as int8 with one scale per output channel, the inputs quantized
    /// per row at call time.
    case int8
    /// Keras's int4 (weight-only): the kernel's 4-bit values packed two to a byte along its last
    /// axis. `blockSize` nil: one symmetric scale per output channel (values -8 ... 7, Keras's
    /// `int4/-1`); a positive size: groups of that many along the contracted axis, each with its
    /// scale and zero point (Keras's default `Int4QuantizationConfig()`, `int4/128`).
    case int4(blockSize: Int?)
    /// Keras's GPTQ (`quantize("gptq", config=GPTQConfig(...))`, Dense): the kernel's
    /// `bits`-bit values (0 ... 2^bits - 1) found by the GPTQ solve over calibration data
    /// (``GPTQKernel``), transposed (`[units, input_dim]`, packed two to a byte along the units
    /// at 4 bits), with a scale and a zero point per unit and group of `groupSize` input rows
    /// (-1: one group); the policy mode `"gptq/<bits>/<group_size>"`.
    case gptq(bits: Int, groupSize: Int)
    /// Keras's AWQ (`quantize("awq", config=AWQConfig(...))`, Dense): GPTQ's 4-bit form with
    /// `awq_scales` (``AWQKernel``); the policy mode `"awq/4/<group_size>"`.
    case awq(groupSize: Int)
    /// Keras's float8 training mode (Dense and EinsumDense): the kernel stays float32 and
    /// trainable; the inputs and kernel are fake-quantized to float8_e4m3fn and the output's
    /// gradient to float8_e5m2 with delayed scaling over an amax history of this length
    /// (Keras's `QuantizedFloat8DTypePolicy(amax_history_length=1024)`).
    case float8(amaxHistoryLength: Int)

    /// Keras's `quantize("float8")`: the default amax history length.
    public static let float8 = QuantizationMode.float8(amaxHistoryLength: Float8Variables.defaultAmaxHistoryLength)

    /// Keras's modes (`dtype_policies.QUANTIZATION_MODES`).
    public static let kerasModes = ["int8", "float8", "int4", "gptq", "awq"]
    /// Keras's default int4 block size (`Int4QuantizationConfig(block_size=128)`).
    public static let defaultInt4BlockSize = 128

    /// The mode of Keras's name: `"int8"`, `"int4"` (Keras's default config: groups of 128) or
    /// an int4 policy mode `"int4/<block_size>"` (`-1`: per channel); a clear error for a mode
    /// Keras has that the library does not, and Keras's own for an unknown one.
    public init(named name: String) throws {
        if name == "int8" { self = .int8; return }
        if name == "float8" { self = .float8; return }
        if name == "int4" { self = .int4(blockSize: QuantizationMode.defaultInt4BlockSize); return }
        if name.hasPrefix("int4/") { self = .int4(blockSize: try QuantizationMode.int4BlockSize(policyMode: name)); return }
        if name.hasPrefix("gptq/") {
            let (bits, groupSize) = try GPTQKernel.policyParameters(name, method: "gptq")
            self = .gptq(bits: bits, groupSize: groupSize)
            return
        }
        if name.hasPrefix("awq/") {
            self = .awq(groupSize: try GPTQKernel.policyParameters(name, method: "awq").groupSize)
            return
        }
        if QuantizationMode.kerasModes.contains(name) {
            throw KerasError.invalidArgument("quantize: mode '\(name)' is not supported by this library; the supported modes are 'int8' and 'int4' (Dense, EinsumDense and Embedding), 'float8' (Dense and EinsumDense), and 'gptq/<bits>/<group_size>' and 'awq/4/<group_size>' (Dense and EinsumDense, their values from the calibration the Python binding's model.quantize runs)")
        }
        throw KerasError.invalidArgument("Invalid quantization mode. Expected one of \(QuantizationMode.pythonTuple). Received: mode=\(name)")
    }

    /// The block size of Keras's `Int4DTypePolicy` mode `"int4/<block_size>"`: nil for -1 (per
    /// channel), Keras's error for anything else that is not a positive integer.
    static func int4BlockSize(policyMode mode: String) throws -> Int? {
        let parts = mode.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "int4" else {
            throw KerasError.invalidArgument("Invalid mode for Int4DTypePolicy. Expected format 'int4/<block_size>', but got '\(mode)'.")
        }
        guard let size = Int(parts[1]) else {
            throw KerasError.invalidArgument("Invalid mode for Int4DTypePolicy. <block_size> must be an integer. Expected format 'int4/<block_size>', but got '\(mode)'.")
        }
        guard size == -1 || size > 0 else {
            throw KerasError.invalidArgument("Invalid block_size in mode. Supported values are -1 (per-channel) or a positive integer (sub-channel), but got \(size) from '\(mode)'.")
        }
        return size == -1 ? nil : size
    }

    static var pythonTuple: String { "(" + kerasModes.map { "'\($0)'" }.joined(separator: ", ") + ")" }

    /// Keras's name of the mode: `int8`, `int4` (Keras: `layer.quantization_mode`).
    public var name: String {
        switch self {
        case .int8: "int8"
        case .int4: "int4"
        case .gptq: "gptq"
        case .awq: "awq"
        case .float8: "float8"
        }
    }

    /// The mode as the layer's dtype policy names it: `int8`, `int4/128`, `int4/-1`.
    public var policyMode: String {
        switch self {
        case .int8: "int8"
        case .int4(let blockSize): "int4/\(blockSize ?? -1)"
        case .gptq(let bits, let groupSize): "gptq/\(bits)/\(groupSize)"
        case .awq(let groupSize): "awq/\(AWQKernel.bits)/\(groupSize)"
        case .float8: "float8"
        }
    }

    /// The int4 block size (nil: per channel, or int8).
    var int4BlockSize: Int? {
        if case .int4(let b) = self { return b }
        return nil
    }

    /// The dtype policy a layer quantized from float32 carries in its config (Keras 3.15:
    /// `QuantizedDTypePolicy` named `int8_from_float32`, `Int4DTypePolicy` named
    /// `int4/128_from_float32`).
    var dtypePolicy: JSON {
        if case .float8(let length) = self {
            return ["module": "keras.dtype_policies", "class_name": "QuantizedFloat8DTypePolicy",
                    "config": ["mode": "float8", "source_name": "float32", "amax_history_length": .int(length)],
                    "registered_name": nil]
        }
        let cls = switch self {
        case .int8: "QuantizedDTypePolicy"
        case .int4: "Int4DTypePolicy"
        case .gptq: "GPTQDTypePolicy"
        case .awq: "AWQDTypePolicy"
        case .float8: "QuantizedFloat8DTypePolicy"
        }
        return ["module": "keras.dtype_policies", "class_name": .string(cls),
                "config": ["mode": .string(policyMode), "source_name": "float32"], "registered_name": nil]
    }

    /// Keras's default config of the mode, as a quantized layer's config carries it
    /// (`quantization_config`: `Int8QuantizationConfig()`, inputs quantized per row;
    /// `Int4QuantizationConfig(block_size=...)`, weight-only).
    var defaultConfig: JSON {
        switch self {
        case .int8:
            let activation: JSON = ["module": "keras.quantizers", "class_name": "AbsMaxQuantizer",
                                    "config": ["value_range": [-127, 127], "epsilon": .double(1e-7), "output_dtype": "int8"],
                                    "registered_name": nil]
            return ["module": "keras.quantizers", "class_name": "Int8QuantizationConfig",
                    "config": ["weight_quantizer": nil, "activation_quantizer": activation], "registered_name": nil]
        case .int4(let blockSize):
            return ["module": "keras.quantizers", "class_name": "Int4QuantizationConfig",
                    "config": ["weight_quantizer": nil, "activation_quantizer": nil, "block_size": .int(blockSize ?? -1)],
                    "registered_name": nil]
        case .gptq(let bits, let groupSize):
            // Keras writes the layer's GPTQConfig, without its dataset and tokenizer; the
            // calibration settings other than these two only mattered while it ran.
            return ["module": "keras.quantizers", "class_name": "GPTQConfig",
                    "config": ["dataset": nil, "tokenizer": nil, "weight_bits": .int(bits), "num_samples": 128,
                               "per_channel": true, "sequence_length": 512, "hessian_damping": .double(0.01),
                               "group_size": .int(groupSize), "symmetric": false, "activation_order": false,
                               "quantization_layer_structure": nil],
                    "registered_name": nil]
        case .awq(let groupSize):
            // Keras writes the layer's AWQConfig, without its dataset and tokenizer.
            return ["module": "keras.quantizers", "class_name": "AWQConfig",
                    "config": ["dataset": nil, "tokenizer": nil, "weight_bits": .int(AWQKernel.bits), "num_samples": 128,
                               "sequence_length": 512, "group_size": .int(groupSize), "num_grid_points": 20,
                               "quantization_layer_structure": nil],
                    "registered_name": nil]
        case .float8:
            return ["module": "keras.quantizers", "class_name": "Float8QuantizationConfig", "config": [:], "registered_name": nil]
        }
    }

    /// The mode a saved layer config computes in, from its dtype policy `mode` and its
    /// `quantization_config`, checked: the library computes Keras's default schemes (int8:
    /// abs-max over ±127, per output channel for the weights, per row for the inputs; int4:
    /// weight-only, per channel or in blocks), so a config asking for another one is refused,
    /// naming what differs. An int4 config's `block_size` wins over the policy's, as in Keras.
    static func checkSavedConfig(_ mode: QuantizationMode, _ config: JSON?, layer: String) throws -> QuantizationMode {
        guard let config, config != .null else { return mode }
        let inner = config["config"] ?? config
        if case .gptq = mode {
            // Keras's `get_weight_bits_for_layer` / `get_group_size_for_layer`: a GPTQConfig's
            // values win over the policy's.
            guard config["class_name"]?.stringValue == "GPTQConfig",
                  let bits = inner["weight_bits"]?.intValue, let groupSize = inner["group_size"]?.intValue else { return mode }
            return try QuantizationMode(named: "gptq/\(bits)/\(groupSize)")
        }
        if case .awq = mode {
            // Keras's `get_group_size_for_layer`: an AWQConfig's group size wins over the policy's.
            guard config["class_name"]?.stringValue == "AWQConfig",
                  let bits = inner["weight_bits"]?.intValue, let groupSize = inner["group_size"]?.intValue else { return mode }
            return try QuantizationMode(named: "awq/\(bits)/\(groupSize)")
        }
        if case .float8 = mode {   // (Keras's Float8QuantizationConfig has no options)
            let cls = config["class_name"]?.stringValue ?? "Float8QuantizationConfig"
            guard cls == "Float8QuantizationConfig" else {
                throw KerasError.invalidArgument("\(layer): a float8 layer's quantization_config must be a Float8QuantizationConfig, got \(cls)")
            }
            return mode
        }
        if case .int4 = mode {
            for key in ["weight_quantizer", "activation_quantizer"] where (inner[key] ?? .null) != .null {
                throw KerasError.invalidArgument("\(layer): quantization_config with a custom \(key) (\(inner[key] ?? .null)) is not supported for int4; the library computes Keras's default Int4QuantizationConfig (weight-only)")
            }
            guard let size = inner["block_size"] else { return mode }
            if size == .null { return .int4(blockSize: nil) }
            guard let n = size.intValue, n == -1 || n > 0 else {
                throw KerasError.invalidArgument("\(layer): block_size must be None, -1, or a positive integer. Received: block_size=\(size)")
            }
            return .int4(blockSize: n == -1 ? nil : n)
        }
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
        return mode
    }

    /// The mode a layer config's `dtype` names: a `QuantizedDTypePolicy` / `Int4DTypePolicy`
    /// (`{"mode": "int8"}`, `{"mode": "int4/128"}` as Keras 3.15 writes them, or `{"name":
    /// "int8_from_float32"}` as earlier Keras 3 did), or a policy name string
    /// `"int4/128_from_float32"`; nil for a float policy. A bare `int4` (Keras's legacy
    /// `int4_from_float32`) is per channel.
    static func of(dtypePolicy dtype: JSON) throws -> QuantizationMode? {
        var mode = dtype["config"]?["mode"]?.stringValue
        let name = dtype.stringValue ?? dtype["config"]?["name"]?.stringValue
        if mode == nil, let name, let r = name.range(of: "_from_") { mode = String(name[..<r.lowerBound]) }
        guard let mode else { return nil }
        if mode == "int4" { return .int4(blockSize: nil) }
        if mode == "float8" {
            let length = dtype["config"]?["amax_history_length"] ?? .int(Float8Variables.defaultAmaxHistoryLength)
            guard let n = length.intValue, n > 0 else {
                throw KerasError.invalidArgument("QuantizedFloat8DTypePolicy: amax_history_length must be a positive integer, got \(length)")
            }
            return .float8(amaxHistoryLength: n)
        }
        if mode.hasPrefix("int4/") || mode.hasPrefix("gptq/") || mode.hasPrefix("awq/") { return try QuantizationMode(named: mode) }
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
    func checkUnbuiltForPolicy(_ mode: QuantizationMode) throws {
        try checkSupports(mode)
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
            throw KerasError.invalidArgument("Layer '\(name)' is already quantized with dtype_policy='\(current.policyMode)_from_float32'. Received: mode=\(mode.name)")
        }
        try checkSupports(mode)
    }

    /// Keras's error for a mode the layer's class has no quantized form of (Embedding: no
    /// float8), nil when it has one. `Model.quantize` warns with it and leaves the layer float.
    func unsupportedModeMessage(_ mode: QuantizationMode) -> String? {
        guard case .float8 = mode, self is Embedding else { return nil }
        return "Invalid quantization mode. Expected one of ('int8', 'int4'). Received: quantization_mode=float8"
    }

    /// An int4 block size must be positive (nil: per channel); the mode must be one the class has.
    func checkSupports(_ mode: QuantizationMode) throws {
        switch mode {
        case .gptq, .awq:
            guard self is Dense || self is EinsumDense else {
                throw KerasError.invalidArgument("\(pythonClassName) '\(name)': quantize: mode '\(mode.name)' is supported by this library for Dense and EinsumDense layers only")
            }
        default: break
        }
        if let message = unsupportedModeMessage(mode) { throw KerasError.invalidArgument(message) }
        if case .int4(let blockSize?) = mode, blockSize <= 0 {
            throw KerasError.invalidArgument("block_size must be None, -1, or a positive integer. Received: block_size=\(blockSize)")
        }
    }

    /// Replaces the float weight `old` (and its regularizer) by its int8 values as `bytes` (the
    /// values' bit patterns, of `valuesShape`, `old`'s when nil: int4 values are packed; written
    /// straight into the new weight) and their scale (`scaleName`, of `scale`'s shape), then the
    /// `extra` weights (name, value, dtype: int4's zero point and group index), all
    /// non-trainable, at `old`'s path (the one it was made at, inside its model). Returns the new
    /// weights: values, scale, then the extra ones.
    func replaceByQuantized(_ old: Variable, bytes: [UInt8], valuesShape: [Int]? = nil, valuesDType: VariableDType = .int8,
                            scale: Tensor, scaleName: String,
                            extra: [(String, Tensor, VariableDType)] = []) throws -> (Variable, Variable, [Variable]) {
        let taken = takeWeights()
        restoreWeights((taken.variables.filter { $0 !== old }, taken.regularizers.filter { $0.0 !== old }))
        let q = try addByteWeight(name: old.name, shape: valuesShape ?? old.shape, bytes: bytes, dtype: valuesDType)
        let s = addWeight(name: scaleName, shape: scale.shape, initializer: Ones(), trainable: false)
        try s.assign(scale)
        let prefix = String(old.path.dropLast(old.name.count))
        q.path = old.path
        s.path = prefix + scaleName
        let more = try extra.map { name, value, dtype in
            let v = addWeight(name: name, shape: value.shape, initializer: Zeros(), trainable: false, dtype: dtype)
            try v.assign(value)
            v.path = prefix + name
            return v
        }
        return (q, s, more)
    }
}

/// Keras's `abs_max_quantize(w, axis, value_range)` of a 2-D weight over `axis` (0: per column,
/// Dense's kernel; 1: per row, Embedding's table): the quantized values as bytes (their int8 bit
/// patterns, what the int8 weight holds) and one scale per kept index. `range`: int8's ±127 or
/// int4's -8 ... 7.
func absMaxQuantize(_ w: Tensor, axis: Int, range: ClosedRange<Float> = -127...127) -> (bytes: [UInt8], scale: Tensor) {
    let rows = w.shape[0], cols = w.shape[1]
    let (lines, length, lineStride, step) = axis == 0 ? (cols, rows, 1, cols) : (rows, cols, cols, 1)
    let scale = Tensor.uninitialized([lines])
    var bytes = [UInt8](repeating: 0, count: rows * cols)
    let x = w.data, s = scale.data
    bytes.withUnsafeMutableBufferPointer { out in
        for l in 0..<lines {
            let start = x + l * lineStride
            let sc = Kernels.absMaxScale(start, count: length, stride: step, high: range.upperBound)
            s[l] = sc
            for i in 0..<length {
                out[l * lineStride + i * step] = UInt8(bitPattern: Int8(Kernels.quantizedValue(start[i * step], sc, range: range)))
            }
        }
    }
    return (bytes, scale)
}

extension Model {
    /// Quantizes every layer of the model that can be (Keras: `model.quantize(mode)`), as
    /// Keras walks them (`_flatten_layers`, leaves only). Returns the class names of the leaf
    /// layers that cannot be quantized (Keras warns for each), or for a layer whose class has no
    /// form in this mode (Embedding in float8) Keras's message. `only`: the names of the layers
    /// to quantize (Keras's `filters`), all when nil.
    @discardableResult
    public func quantize(_ mode: QuantizationMode, only: Set<String>? = nil) throws -> [String] {
        var skipped: [String] = []
        let layers = flattenedLayers().map(\.0)
        let leaves = layers.filter { $0.sublayers.isEmpty && !($0 is Model) && (only?.contains($0.name) ?? true) }
        // Checked first, so that a refused layer leaves the model as it was.
        for case let q as QuantizableLayer in leaves where q.isQuantizableClass && q.unsupportedModeMessage(mode) == nil {
            try q.checkQuantizable(mode)
        }
        for layer in leaves {
            if let q = layer as? QuantizableLayer, q.isQuantizableClass, let message = q.unsupportedModeMessage(mode) {
                skipped.append(message)
            } else if let q = layer as? QuantizableLayer, q.isQuantizableClass {
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
