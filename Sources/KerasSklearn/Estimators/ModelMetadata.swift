/// The hyperparameters routed to a model builder: every `model__<name>` parameter, keyed by
/// `<name>`. Typed reads throw a ``KerasError`` naming the key and the value.
///
/// ```swift
/// let build: ModelBuilder = { p, meta in
///     try Sequential([Dense(try p.int("hidden", default: 8), activation: .relu)])
/// }
/// ```
public struct ModelParams: @unchecked Sendable {
    /// The values, keys without the `model__` prefix.
    public let values: Params

    public init(_ values: Params) { self.values = values }

    public subscript(key: String) -> ParamValue? { values[key] }

    private var reader: ParamReader { ParamReader(owner: "model builder", params: values.reduce(into: [:]) { $0["model__" + $1.key] = $1.value }) }

    public func int(_ key: String, default d: Int) throws -> Int { try reader.int("model__" + key, default: d) }
    public func double(_ key: String, default d: Double) throws -> Double { try reader.double("model__" + key, default: d) }
    public func bool(_ key: String, default d: Bool) throws -> Bool { try reader.bool("model__" + key, default: d) }
    public func string(_ key: String, default d: String) throws -> String { try reader.string("model__" + key) ?? d }
    /// A list of integers (`model__hidden_layer_sizes: [64, 32]`); a single integer is a list of one.
    public func ints(_ key: String, default d: [Int]) throws -> [Int] {
        guard let v = values[key], !v.isNone else { return d }
        if let i = v.intValue { return [i] }
        guard let a = v.arrayValue else { throw reader.bad("model__" + key, v, "a list of integers") }
        return try a.map { e in
            guard let i = e.intValue else { throw reader.bad("model__" + key, v, "a list of integers") }
            return i
        }
    }
}

/// What the data tells a model builder, as SciKeras passes `meta`: the number of features,
/// classes and outputs, the target type, and the output layer and loss the data calls for.
public struct ModelMetadata: @unchecked Sendable {
    /// Features per sample. scikit-learn: `n_features_in_`.
    public let nFeaturesIn: Int
    /// Classes (0 for regressors). SciKeras: `n_classes_`.
    public let nClasses: Int
    /// The classes as label keys (empty for regressors).
    public let classes: [String]
    /// Columns of `y`. SciKeras: `n_outputs_`.
    public let nOutputs: Int
    /// Units of the output layer the encoded targets need.
    public let nOutputsExpected: Int
    /// The kind of target. SciKeras: `target_type_`.
    public let targetType: TargetType
    /// The output activation the target needs: softmax, sigmoid or linear.
    public let outputActivation: ActivationFunction
    /// The loss the estimator compiles with when the `loss` parameter is not set.
    public let defaultLoss: String

    public init(nFeaturesIn: Int, nClasses: Int, classes: [String], nOutputs: Int, nOutputsExpected: Int,
                targetType: TargetType, outputActivation: ActivationFunction, defaultLoss: String) {
        self.nFeaturesIn = nFeaturesIn
        self.nClasses = nClasses
        self.classes = classes
        self.nOutputs = nOutputs
        self.nOutputsExpected = nOutputsExpected
        self.targetType = targetType
        self.outputActivation = outputActivation
        self.defaultLoss = defaultLoss
    }

    /// A `Dense` output layer of `nOutputsExpected` units with `outputActivation`.
    public func outputLayer() -> Dense {
        Dense(nOutputsExpected, activation: outputActivation)
    }
}

/// Builds an uncompiled (or compiled) Keras model from routed hyperparameters and data metadata.
/// When the model it returns ends in a hidden layer (an activation other than the output one),
/// the estimator appends ``ModelMetadata/outputLayer()``; when it is not compiled, the estimator
/// compiles it with its `optimizer`, `loss` and `metrics` parameters.
public typealias ModelBuilder = (_ params: ModelParams, _ meta: ModelMetadata) throws -> Model
