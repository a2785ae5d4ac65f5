/// A training objective: per-sample values from targets and predictions, reduced over the batch
/// with optional sample weights, as Keras computes it. Keras: `keras.losses.Loss`.
///
/// Subclasses implement ``perSample(_:_:)`` (Keras's `call`) by composing differentiable ops;
/// ``callAsFunction(_:_:sampleWeight:)`` weights and reduces the values (Keras's `__call__`).
///
/// ```swift
/// let loss = Huber(delta: 0.5, reduction: .sum)
/// let value = try loss(yTrue, yPred, sampleWeight: weights)
/// let same = try Loss.named("huber")
/// ```
open class Loss: @unchecked Sendable {
    /// How per-sample values become one number. Keras: `reduction=`.
    public enum Reduction: String, Sendable, CaseIterable {
        /// Sum of the weighted values divided by their number (Keras's default).
        case sumOverBatchSize = "sum_over_batch_size"
        case sum
        /// No reduction: the weighted per-sample values.
        case none
        /// The same as `sumOverBatchSize`.
        case mean
        /// Sum of the weighted values divided by the sum of the weights.
        case meanWithSampleWeight = "mean_with_sample_weight"
    }

    /// The name (Keras's `name`, `mean_squared_error` by default).
    public let name: String
    public let reduction: Reduction

    public init(name: String, reduction: Reduction = .sumOverBatchSize) {
        self.name = name
        self.reduction = reduction
    }

    /// The Keras class name (`MeanSquaredError`).
    open var className: String { String(describing: type(of: self)) }
    /// The name Keras writes this loss under when it is a function, not a Loss class (a compile
    /// config's `{"class_name": "function", "config": name}`); nil for a class.
    open var functionName: String? { nil }

    /// Per-sample losses, before weighting and reduction: shape `[batch]` (or `[batch, ...]`
    /// without the reduced axis). Keras: `loss.call(y_true, y_pred)`.
    open func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        throw KerasError.invalidState("Loss '\(name)' does not implement perSample(_:_:)")
    }

    /// Per-sample losses and the mask of values that count (nil: all), for losses that ignore
    /// some samples (SparseCategoricalCrossentropy's `ignore_class`).
    open func maskedPerSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> (values: Tensor, mask: Tensor?) {
        (try perSample(yTrue, yPred), nil)
    }

    /// The reduced loss, weighting values by `sampleWeight` when given (shape `[batch]`, or the
    /// shape of the per-sample values). Keras: `loss(y_true, y_pred, sample_weight)`.
    public func callAsFunction(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor? = nil) throws -> Tensor {
        let (values, mask) = try maskedPerSample(yTrue, yPred)
        return try LossReduction.reduceWeighted(values, sampleWeight: sampleWeight, mask: mask,
                                                reduction: reduction, owner: name)
    }

    /// Keras's `get_config()`: name and reduction, then the subclass's arguments.
    open var config: JSON { ["name": .string(name), "reduction": .string(reduction.rawValue)] }

    /// Keras's serialized form: `{"module": "keras.losses", "class_name": ..., "config": ..., "registered_name": null}`.
    public var serialized: JSON {
        ["module": "keras.losses", "class_name": .string(className), "config": config, "registered_name": nil]
    }

    /// Finds a loss by Keras class name, function name or alias (`"MeanSquaredError"`,
    /// `"mean_squared_error"`, `"mse"`, Keras 2's `"logcosh"`), with default arguments.
    /// Keras: `keras.losses.get("mse")`.
    public static func named(_ name: String) throws -> Loss {
        if case .loss(let make)? = ObjectRegistry.lookupCustom(.loss, name) { return try make(.object([])) }
        if let className = aliases[name] { return try from(className: className, config: [:]) }
        if case .loss(let make)? = ObjectRegistry.builtin(.loss, name) { return try make(.object([])) }
        let known = Set(aliases.keys).union(ObjectRegistry.builtinNames(.loss)).sorted()
        throw KerasError.unknownName("Unknown loss '\(name)'. Known: \(known.joined(separator: ", "))")
    }

    /// A loss from its Keras class name and config (`{"from_logits": true}`).
    public static func from(className: String, config: JSON) throws -> Loss {
        guard case .loss(let make)? = ObjectRegistry.lookup(.loss, className)
                ?? aliases[className].flatMap({ ObjectRegistry.builtin(.loss, $0) }) else {
            throw KerasError.unknownName("Unknown loss class '\(className)'. Known: \(ObjectRegistry.builtinNames(.loss).joined(separator: ", "))")
        }
        return try make(config)
    }

    /// A loss from a name or Keras's serialized form (`{"class_name": "Huber", "config": {...}}`).
    public static func deserialize(_ json: JSON) throws -> Loss {
        if let name = json.stringValue { return try named(name) }
        guard let className = json["class_name"]?.stringValue else {
            throw KerasError.invalidArgument("loss: expected a name or {\"class_name\": ..., \"config\": ...}, got \(json)")
        }
        return try from(className: className, config: json["config"] ?? [:])
    }

    /// Keras's function names and aliases, and Keras 2's spellings, to class names.
    static let aliases: [String: String] = [
        "mean_squared_error": "MeanSquaredError", "mse": "MeanSquaredError", "MSE": "MeanSquaredError",
        "mean_absolute_error": "MeanAbsoluteError", "mae": "MeanAbsoluteError", "MAE": "MeanAbsoluteError",
        "mean_absolute_percentage_error": "MeanAbsolutePercentageError", "mape": "MeanAbsolutePercentageError",
        "MAPE": "MeanAbsolutePercentageError",
        "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError", "msle": "MeanSquaredLogarithmicError",
        "MSLE": "MeanSquaredLogarithmicError",
        "hinge": "Hinge", "squared_hinge": "SquaredHinge", "categorical_hinge": "CategoricalHinge",
        "log_cosh": "LogCosh", "logcosh": "LogCosh", "huber": "Huber", "huber_loss": "Huber",
        "categorical_crossentropy": "CategoricalCrossentropy",
        "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
        "binary_crossentropy": "BinaryCrossentropy", "bce": "BinaryCrossentropy", "BCE": "BinaryCrossentropy",
        "kl_divergence": "KLDivergence", "kullback_leibler_divergence": "KLDivergence", "kld": "KLDivergence",
        "KLD": "KLDivergence", "poisson": "Poisson",
        "cosine_similarity": "CosineSimilarity", "cosine_proximity": "CosineSimilarity",
        "binary_focal_crossentropy": "BinaryFocalCrossentropy",
        "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
        "categorical_generalized_cross_entropy": "CategoricalGeneralizedCrossEntropy",
        "dice": "Dice", "tversky": "Tversky", "circle": "Circle", "ctc": "CTC",
    ]

    /// The loss classes of this library by Keras class name, as ``ObjectRegistry`` loads them.
    static let builtinClasses: [String: (JSON) throws -> Loss] = [
        "MeanSquaredError": { try simpleLoss("MeanSquaredError", $0) { MeanSquaredError(reduction: $0, name: $1 ?? "mean_squared_error") } },
        "MeanAbsoluteError": { try simpleLoss("MeanAbsoluteError", $0) { MeanAbsoluteError(reduction: $0, name: $1 ?? "mean_absolute_error") } },
        "MeanAbsolutePercentageError": { try simpleLoss("MeanAbsolutePercentageError", $0) { MeanAbsolutePercentageError(reduction: $0, name: $1 ?? "mean_absolute_percentage_error") } },
        "MeanSquaredLogarithmicError": { try simpleLoss("MeanSquaredLogarithmicError", $0) { MeanSquaredLogarithmicError(reduction: $0, name: $1 ?? "mean_squared_logarithmic_error") } },
        "Hinge": { try simpleLoss("Hinge", $0) { Hinge(reduction: $0, name: $1 ?? "hinge") } },
        "SquaredHinge": { try simpleLoss("SquaredHinge", $0) { SquaredHinge(reduction: $0, name: $1 ?? "squared_hinge") } },
        "CategoricalHinge": { try simpleLoss("CategoricalHinge", $0) { CategoricalHinge(reduction: $0, name: $1 ?? "categorical_hinge") } },
        "LogCosh": { try simpleLoss("LogCosh", $0) { LogCosh(reduction: $0, name: $1 ?? "log_cosh") } },
        "KLDivergence": { try simpleLoss("KLDivergence", $0) { KLDivergence(reduction: $0, name: $1 ?? "kl_divergence") } },
        "Poisson": { try simpleLoss("Poisson", $0) { Poisson(reduction: $0, name: $1 ?? "poisson") } },
        "Huber": Huber.init(config:),
        "CosineSimilarity": CosineSimilarity.init(config:),
        "BinaryCrossentropy": BinaryCrossentropy.init(config:),
        "CategoricalCrossentropy": CategoricalCrossentropy.init(config:),
        "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy.init(config:),
        "BinaryFocalCrossentropy": BinaryFocalCrossentropy.init(config:),
        "CategoricalFocalCrossentropy": CategoricalFocalCrossentropy.init(config:),
        "CategoricalGeneralizedCrossEntropy": CategoricalGeneralizedCrossEntropy.init(config:),
        "Dice": Dice.init(config:), "Tversky": Tversky.init(config:), "Circle": Circle.init(config:),
        "CTC": { try simpleLoss("CTC", $0) { CTC(reduction: $0, name: $1 ?? "ctc") } },
    ]
}

/// Reads `name` and `reduction` (Keras writes null for no reduction).
func lossBaseArguments(_ a: inout ConfigArguments) throws -> (Loss.Reduction, String?) {
    let name = try a.string("name")
    _ = try a.string("dtype")
    guard a.contains("reduction") else { return (.sumOverBatchSize, name) }
    guard let r = try a.string("reduction") else { return (.none, name) }
    // tf.keras 2 writes "auto", which means sum_over_batch_size outside distribution strategies.
    if r == "auto" { return (.sumOverBatchSize, name) }
    guard let reduction = Loss.Reduction(rawValue: r) else {
        throw KerasError.invalidArgument("\(a.owner)(reduction: \(r)): reduction must be one of \(Loss.Reduction.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return (reduction, name)
}

/// A loss whose config holds only `name` and `reduction`.
func simpleLoss(_ owner: String, _ config: JSON, _ make: (Loss.Reduction, String?) -> Loss) throws -> Loss {
    var a = try ConfigArguments(owner, config)
    let (reduction, name) = try lossBaseArguments(&a)
    try a.finish()
    return make(reduction, name)
}

/// A loss from a function of (yTrue, yPred) giving per-sample values, as Keras accepts plain
/// functions.
public final class LossFunction: Loss, @unchecked Sendable {
    private let fn: (Tensor, Tensor) throws -> Tensor
    public init(name: String, reduction: Reduction = .sumOverBatchSize, _ fn: @escaping (Tensor, Tensor) throws -> Tensor) {
        self.fn = fn
        super.init(name: name, reduction: reduction)
    }
    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor { try fn(yTrue, yPred) }
    public override var functionName: String? { name }
}

/// Checks that targets and predictions have the same shape (after dropping a trailing 1).
func checkSameShape(_ loss: String, _ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
    if yTrue.shape == yPred.shape { return yTrue }
    if yTrue.count == yPred.count && (yTrue.shape.first == yPred.shape.first) { return yTrue.detached.viewing(yPred.shape) }
    throw KerasError.shapeMismatch("\(loss): targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
}
