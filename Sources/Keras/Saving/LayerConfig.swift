/// A layer's Keras config with typed, validating accessors, handed to each layer class's
/// builder (its ``LayerDeclaration``'s `make`, or a custom layer's registered builder); keys the
/// config leaves out take the declared defaults. Every accessor throws a ``KerasError`` naming the layer class and the key
/// when the value has the wrong type, so a hostile or mistyped config never traps.
///
/// ```swift
/// registerKerasSerializable(name: "MyDense", .layer { c in
///     let layer = Dense(try c.int("units"), activation: try c.activation("activation"), name: c.name)
///     try c.applyCommon(to: layer)
///     return layer
/// })
/// ```
public struct LayerConfig {
    /// The Keras class name (`Dense`).
    public let className: String
    /// The `config` object.
    public let json: JSON
    /// The declared defaults of the class's arguments, which absent or null keys take.
    private var defaults: [String: JSON] = [:]

    public init(className: String, json: JSON) throws {
        guard json.objectValue != nil else {
            throw KerasError.io("\(className): the layer config must be a JSON object, got \(json.description.prefix(80))")
        }
        self.className = className
        self.json = json
    }

    private func bad(_ key: String, _ expected: String) -> KerasError {
        .io("\(className) config: '\(key)' must be \(expected), got \(json[key]?.description.prefix(80) ?? "nothing")")
    }

    /// A number argument that is absent or not a number: a string, a list or an object given is
    /// Keras's `TypeError` (``KerasError/wrongType(_:)``: its constructor compares or converts
    /// it, `'>' not supported between instances of 'str' and 'float'`), as is a None given where
    /// there is no default; a config that leaves it out (or gives a flag) cannot be read.
    private func notNumber(_ key: String, _ expected: String) -> KerasError {
        let error = bad(key, expected)
        switch json[key] {
        case .string?, .array?, .object?, .null?: return .wrongType(error.message)
        default: return error
        }
    }

    /// The value at `key`, or its declared default when it is absent or null; nil when both are.
    /// A numpy scalar given (``numpyScalar(_:)``) reads as its number.
    public subscript(key: String) -> JSON? {
        if let v = json[key], !v.isNull { return LayerConfig.numpyScalar(v) ?? v }
        guard let d = defaults[key], !d.isNull else { return nil }
        return d
    }

    /// The number of a numpy scalar as the Python binding writes one into the arguments a
    /// constructor checks (`np.int64(3)`: `{"class_name": "__numpy__", "config": {"value": 3,
    /// "dtype": "int64"}}`, Keras's form for numpy values): a number wherever Keras's checks
    /// compare or convert it, refused where Keras tests for a Python `int` (a single `strides`,
    /// a `seed`); nil for any other value.
    public static func numpyScalar(_ v: JSON) -> JSON? {
        guard v["class_name"]?.stringValue == "__numpy__", let value = v["config"]?["value"],
              value.intValue != nil || value.doubleValue != nil else { return nil }
        return value
    }

    /// Keras's `standardize_tuple` refusal of a single value given for an integer tuple that is
    /// not a Python `int` (a float, a numpy integer, None where the default is not None):
    /// `ValueError`; a string of `rank` digits passes Keras's `tuple(value)` and fails its
    /// comparison with 0: `TypeError`. Nil where the value is an int, a list, or not given.
    private func singleValueRefusal(_ key: String, rank: Int) -> KerasError? {
        guard let given = json[key], given.arrayValue == nil else { return nil }
        if given.isNull, defaults[key]?.isNull ?? true { return nil }
        if case .int = given { return nil }
        if case .string(let s) = given, s.count == rank, s.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return .wrongType("\(className): '<=' not supported between instances of 'str' and 'int' (\(key)=\(given))")
        }
        return .invalidArgument("The `\(key)` argument must be a tuple of \(rank) integers. Received \(key)=\(LayerConfig.pythonStr(given))")
    }

    /// Python's `str()` of a value given, as Keras's messages show it in an f-string: `None`,
    /// `True`, a string without quotes, a numpy scalar's number (at most 80 characters).
    public static func pythonStr(_ v: JSON) -> String {
        switch numpyScalar(v) ?? v {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .string(let s): return String(s.prefix(80))
        case let other: return String(other.description.prefix(80))
        }
    }

    /// A string argument Keras's constructor lowercases (`padding.lower()`): a value given that is
    /// not a string (a None given included) is Python's `AttributeError` there
    /// (``KerasError/noAttribute(_:)``); the declared default when absent.
    public func lowercased(_ key: String) throws -> String {
        guard let v = json[key] else { return try string(key) }
        let type: String
        switch v {
        case .string(let s): return s.lowercased()
        case .null: type = "NoneType"
        case .bool: type = "bool"
        case .int: type = "int"
        case .double: type = "float"
        case .array: type = "list"
        case .object: type = "dict"
        }
        throw KerasError.noAttribute("\(className): '\(type)' object has no attribute 'lower' (\(key)=\(LayerConfig.pythonStr(v)))")
    }

    /// A string argument Keras's constructor checks against its choices as given (`if
    /// interpolation not in ("nearest", "bilinear")`): the string given, else Python's `str()` of
    /// the value given (`"None"`, `"1"`, which no choice is), so that the class refuses it naming
    /// it as Keras does; the declared default when absent.
    public func givenString(_ key: String) throws -> String {
        guard let v = json[key] else { return try string(key) }
        return v.stringValue ?? LayerConfig.pythonStr(v)
    }

    /// A value Keras's constructor takes only as a Python `int` or `float` or a list, testing
    /// `isinstance(value, (int, float))` (an image augmentation's `factor`): the value as given,
    /// a None given where the default is not None kept as null and a numpy number as its marker
    /// (``numpyScalar(_:)``), but for a `float64`, which is a Python float; the declared default
    /// when absent.
    public func pythonNumber(_ key: String) -> JSON? {
        guard let v = json[key], !(v.isNull && defaults[key]?.isNull ?? true) else { return self[key] }
        if v["config"]?["dtype"]?.stringValue == "float64", let number = LayerConfig.numpyScalar(v) { return number }
        return v
    }

    /// `read(self, key)` for an argument Keras's constructor converts (`float(momentum)`,
    /// `int(axis)`): a string of a number is read as that number, as Python converts it
    /// (`momentum="0.99"`); another string is Python's `ValueError` there (`could not convert
    /// string to float`), not the `TypeError` of a comparison.
    public func converted<T>(_ key: String, _ read: (LayerConfig, String) throws -> T) throws -> T {
        do {
            return try read(self, key)
        } catch KerasError.wrongType(let message) where json[key]?.stringValue != nil {
            let text = json[key]?.stringValue ?? ""
            guard let number = Int(text).map(JSON.int) ?? Double(text).map(JSON.double) else {
                throw KerasError.invalidArgument(message)
            }
            var given = json
            given.set(key, number)
            guard let value = try? read(LayerConfig(className: className, json: given).withDefaults(defaults), key) else {
                throw KerasError.invalidArgument(message)
            }
            return value
        }
    }

    /// Keras's `TypeError` for a None given to an argument its constructor compares or converts
    /// (`if dropout > 0`, `float(momentum)`, `groups <= 0`), which the accessors would otherwise
    /// read as its default; Keras keeps a None given to others as it is.
    public func refuseNone(_ keys: String...) throws {
        for key in keys where json[key]?.isNull == true {
            throw KerasError.wrongType("\(className): '\(key)' must be a number, got None (Keras's constructor compares or converts it)")
        }
    }

    /// Whether the config itself gives `key` (not null), rather than its default.
    public func isGiven(_ key: String) -> Bool { json[key].map { !$0.isNull } ?? false }

    /// This config with `defaults` for the keys it leaves out.
    func withDefaults(_ defaults: [String: JSON]) -> LayerConfig {
        var c = self
        c.defaults = defaults
        return c
    }

    /// `read(self)`, a value of the wrong kind refused as Keras's constructor refuses it, with a
    /// `TypeError` (``KerasError/wrongType(_:)``): `Dot(axes="a")`. The number accessors refuse
    /// so by themselves (`RepeatVector(n="a")`); others report it as a config that cannot be read.
    public func wrongTypeRefused<T>(_ read: (LayerConfig) throws -> T) throws -> T {
        do {
            return try read(self)
        } catch KerasError.io(let message) {
            throw KerasError.wrongType(message)
        }
    }

    /// The layer name given in the config.
    public var name: String? { json["name"]?.stringValue }

    public func int(_ key: String) throws -> Int {
        guard let v = self[key]?.intValue else { throw notNumber(key, "an integer") }
        return v
    }
    public func int(_ key: String, default d: Int) throws -> Int { self[key] == nil ? d : try int(key) }
    public func optionalInt(_ key: String) throws -> Int? { self[key] == nil ? nil : try int(key) }

    /// A layer's `seed` (nil when not given), refused as Keras's `SeedGenerator` refuses it when
    /// the layer is made: a value that is not an integer with Keras's `ValueError`, an integer
    /// outside `uint32` (a negative seed) with numpy's `OverflowError` (``KerasError/overflow(_:)``).
    /// `drawn` false: the layer draws nothing (Keras's `Dropout(0.0)` makes no generator), and
    /// any integer is taken unchecked, as Keras takes it.
    public func seed(_ key: String = "seed", drawn: Bool = true) throws -> Int? {
        guard drawn else { return try optionalInt(key) }
        guard let v = self[key] else { return nil }
        guard case .int(let seed) = v, LayerConfig.numpyScalar(json[key] ?? .null) == nil else {
            throw KerasError.invalidArgument("Argument `\(key)` must be an integer. Received: \(key)=\(v.description.prefix(80))")
        }
        guard seed >= 0, seed <= Int(UInt32.max) else {
            throw KerasError.overflow("Python integer \(seed) out of bounds for uint32")
        }
        return seed
    }

    public func float(_ key: String) throws -> Float {
        guard let v = self[key]?.doubleValue else { throw notNumber(key, "a number") }
        return Float(v)
    }
    public func float(_ key: String, default d: Float) throws -> Float { self[key] == nil ? d : try float(key) }
    public func optionalFloat(_ key: String) throws -> Float? { self[key] == nil ? nil : try float(key) }

    public func double(_ key: String) throws -> Double {
        guard let v = self[key]?.doubleValue else { throw notNumber(key, "a number") }
        return v
    }

    /// A flag, read as Keras's constructors test theirs (`if use_bias:`): any value, by Python's
    /// truth (`1`, `"x"` and `[0]` are true; `0`, `""`, `[]` and a `None` given are false), which
    /// ``Layer/getConfig()`` writes back as given (``LayerConfig/givenFlags``).
    public func bool(_ key: String) throws -> Bool {
        if json[key]?.isNull == true, defaults[key]?.boolValue != nil { return false }
        guard let v = self[key] else { throw bad(key, "true or false") }
        return LayerConfig.truth(v)
    }

    public func bool(_ key: String, default d: Bool) throws -> Bool {
        if json[key]?.isNull == true { return defaults[key]?.boolValue != nil ? false : d }
        guard let v = self[key] else { return d }
        return LayerConfig.truth(v)
    }

    /// Python's `bool(value)` of a JSON value.
    static func truth(_ v: JSON) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }

    /// The flags the config gives as something other than true or false (`use_bias=1`,
    /// `return_sequences=None`), which Keras's `get_config()` keeps as given.
    var givenFlags: [String: JSON] {
        guard let pairs = json.objectValue else { return [:] }
        return Dictionary(pairs.filter { key, v in v.boolValue == nil && defaults[key]?.boolValue != nil },
                          uniquingKeysWith: { a, _ in a })
    }

    public func string(_ key: String) throws -> String {
        guard let v = self[key]?.stringValue else { throw bad(key, "a string") }
        return v
    }
    public func string(_ key: String, default d: String) throws -> String { self[key] == nil ? d : try string(key) }
    public func optionalString(_ key: String) throws -> String? { self[key] == nil ? nil : try string(key) }

    /// An integer tuple given as a list or a single integer repeated `rank` times
    /// (`kernel_size: 3` or `[3, 3]`).
    public func ints(_ key: String, rank: Int) throws -> [Int] {
        if let refusal = singleValueRefusal(key, rank: rank) { throw refusal }
        guard let v = self[key] else { throw bad(key, "an integer or a list of \(rank)") }
        if let i = v.intValue { return Array(repeating: i, count: rank) }
        guard let a = v.arrayValue, a.count == rank else { throw bad(key, "an integer or a list of \(rank)") }
        return try a.map { guard let i = $0.intValue else { throw bad(key, "a list of integers") }; return i }
    }
    public func optionalInts(_ key: String, rank: Int) throws -> [Int]? { self[key] == nil ? nil : try ints(key, rank: rank) }

    /// A list of integers of any length (Keras writes tuples as lists): `dims`, `target_shape`.
    public func ints(_ key: String) throws -> [Int] {
        guard let a = self[key]?.arrayValue, a.count <= 32 else { throw bad(key, "a list of integers") }
        return try a.map { guard let i = $0.intValue else { throw bad(key, "a list of integers") }; return i }
    }

    /// A shape list with `null` for unknown dimensions.
    public func shape(_ key: String) throws -> [Int?]? {
        guard let v = self[key] else { return nil }
        guard let a = v.arrayValue, a.count <= 32 else { throw bad(key, "a shape list") }
        return try a.map { d -> Int? in
            if d.isNull { return nil }
            guard let i = d.intValue, i >= 0 else { throw bad(key, "a shape list of non-negative integers or null") }
            return i
        }
    }

    /// An activation given by name or as a serialized function; absent means the declared
    /// default, a None given means linear (Keras's `activations.get(None)`: LSTM(activation=None)).
    public func activation(_ key: String) throws -> ActivationFunction {
        try deserializeActivation(json[key]?.isNull == true ? .null : self[key] ?? .null)
    }

    public func initializer(_ key: String, default d: Initializer) throws -> Initializer {
        guard let v = self[key] else { return d }
        return try deserializeInitializer(v)
    }
    /// An initializer the config or the declared default gives.
    public func initializer(_ key: String) throws -> Initializer {
        guard let v = self[key] else { throw bad(key, "an initializer") }
        return try deserializeInitializer(v)
    }
    public func regularizer(_ key: String) throws -> Regularizer? { try self[key].map(deserializeRegularizer) }
    public func constraint(_ key: String) throws -> Constraint? { try self[key].map(deserializeConstraint) }

    /// The input shape a layer was declared with: Keras 3 `batch_shape`, Keras 2
    /// `batch_input_shape`, or `input_shape` (+ `batch_size`).
    public func batchInputShape() throws -> [Int?]? {
        if let s = try shape("batch_shape") ?? shape("batch_input_shape") { return s }
        if let s = try shape("input_shape") { return [try optionalInt("batch_size")] + s }
        return nil
    }

    /// The float dtype policies a saved layer may name (Keras's float dtypes and mixed
    /// policies): accepted, and computed in float32.
    static let floatPolicies: Set<String> = ["float32", "float64", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"]

    /// Applies what every layer config carries: trainable, the declared input shape and the
    /// activity regularizer.
    public func applyCommon(to layer: Layer) throws {
        // Setting the flag walks the sublayers (found by reflection): a fresh layer already
        // has the default.
        let trainable = try bool("trainable", default: true)
        if layer.trainable != trainable { layer.trainable = trainable }
        if let s = try batchInputShape(), !(layer is InputLayer) { layer.batchInputShape = s }
        if let r = try regularizer("activity_regularizer") { layer.activityRegularizer = r }
        if let dtype = self["dtype"], let mode = try QuantizationMode.of(dtypePolicy: dtype) {
            // A quantized layer (Keras: `QuantizedDTypePolicy`) builds its quantized weights.
            guard let q = layer as? QuantizableLayer, q.isQuantizableClass else {
                throw bad("dtype", "a float dtype policy (only Dense, EinsumDense and Embedding take a quantized one)")
            }
            try q.setQuantizationModeForBuild(QuantizationMode.checkSavedConfig(mode, self["quantization_config"],
                                                                                layer: "\(layer.pythonClassName) '\(layer.name)'"))
        } else if let dtype = self["dtype"] {
            let name = dtype.stringValue ?? dtype["config"]?["name"]?.stringValue
            let integer = layer is any IntegerOutputLayer && (name == "int32" || name == "int64")
                || layer is InputLayer && InputLayer.keptDTypes.contains(name ?? "")
            // A file saved under any float policy loads; the layer computes in float32 (the
            // Python binding warns which layers' policies were not kept).
            guard let name, integer || LayerConfig.floatPolicies.contains(name) else {
                throw bad("dtype", "a float dtype policy (this library computes in float32)")
            }
        }
    }
}
