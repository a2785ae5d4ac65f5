/// All zeros. Keras: `keras.initializers.Zeros`.
public struct Zeros: ShapeInitializer {
    public init() {}
    public var className: String { "Zeros" }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape) }
}

/// All ones. Keras: `keras.initializers.Ones`.
public struct Ones: ShapeInitializer {
    public init() {}
    public var className: String { "Ones" }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape, repeating: 1) }
}

/// Every value `value`, or an array of values broadcast to the weight's shape by numpy's rules
/// (Keras's `ops.cast(value) * ops.ones(shape)`: keras.io's PointNet starts a Dense bias at
/// `Constant(np.eye(n).flatten())`). Keras: `keras.initializers.Constant(value=0.0)`.
public struct Constant: ShapeInitializer {
    public var value: Float
    /// The array value (nil for a number); ``check(_:)`` says whether it broadcasts to a shape.
    public private(set) var values: Tensor?
    /// The value as the config gave it (Keras writes an array as `{"class_name": "__numpy__",
    /// "config": {"value": [...], "dtype": ...}}`, a list as the list).
    private var valueJSON: JSON
    public init(_ value: Float = 0) {
        self.value = value
        values = nil
        valueJSON = .double(Double(value))
    }

    /// From a config's `value`: a number, nested lists of numbers, or Keras's `__numpy__` array.
    public init(configValue json: JSON) throws {
        var array = json
        if json["class_name"]?.stringValue == "__numpy__" {
            guard let inner = json["config"]?["value"] else {
                throw KerasError.invalidArgument("Constant config: the array 'value' has no config.value, got \(json.description.prefix(80))")
            }
            array = inner
        } else if json.objectValue != nil {
            throw KerasError.invalidArgument("Constant config: 'value' must be a number or an array, got \(json.description.prefix(80))")
        }
        let tensor = try Tensor(nested: array, what: "Constant config: 'value'")
        value = tensor.scalars.first ?? 0
        values = tensor.shape.isEmpty ? nil : tensor
        valueJSON = values == nil && json.doubleValue != nil ? .double(Double(value)) : json
    }

    public var className: String { "Constant" }
    public var config: JSON { ["value": valueJSON] }

    /// Throws, as Keras does, where the array value does not broadcast to `shape`.
    public func check(_ shape: [Int]) throws {
        guard let values, Kernels.broadcastShape(values.shape, shape) != shape else { return }
        throw KerasError.invalidArgument("Constant: the value of shape \(values.shape) does not broadcast to the weight's shape \(shape)")
    }

    /// The values broadcast to `shape`; where they do not broadcast (``check(_:)`` refuses it),
    /// the flat values repeated in order, since an initializer cannot throw.
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        guard let values, values.count > 0 else { return Tensor(shape: shape, repeating: value) }
        if Kernels.broadcastShape(values.shape, shape) == shape { return Kernels.broadcastTo(values, shape).copy() }
        let out = Tensor(shape: shape)
        let n = values.count
        for i in 0..<out.count { out.data[i] = values.data[i % n] }
        return out
    }
}
