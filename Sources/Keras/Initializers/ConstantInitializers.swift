/// All zeros. Keras: `keras.initializers.Zeros`.
public struct Zeros: Initializer {
    public init() {}
    public var className: String { "Zeros" }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape) }
}

/// All ones. Keras: `keras.initializers.Ones`.
public struct Ones: Initializer {
    public init() {}
    public var className: String { "Ones" }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape, repeating: 1) }
}

/// Every value `value`. Keras: `keras.initializers.Constant(value=0.0)`.
public struct Constant: Initializer {
    public var value: Float
    public init(_ value: Float = 0) { self.value = value }
    public var className: String { "Constant" }
    public var config: JSON { ["value": .double(Double(value))] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape, repeating: value) }
}
