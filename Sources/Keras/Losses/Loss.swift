/// A training objective: per-sample values from targets and predictions, reduced over the batch
/// with optional sample weights. Keras: `keras.losses.Loss`.
open class Loss: @unchecked Sendable {
    /// How per-sample values become one number.
    public enum Reduction: String, Sendable {
        case sumOverBatchSize = "sum_over_batch_size", sum, none, mean
    }

    /// The Keras function name (`mean_squared_error`).
    public let name: String
    public let reduction: Reduction

    public init(name: String, reduction: Reduction = .sumOverBatchSize) {
        self.name = name
        self.reduction = reduction
    }

    /// The Keras class name (`MeanSquaredError`).
    open var className: String { String(describing: type(of: self)) }

    /// Per-sample losses: shape `[batch]` (or `[batch, ...]` without the last axis).
    open func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        throw KerasError.invalidState("Loss '\(name)' does not implement perSample(_:_:)")
    }

    /// The reduced loss, weighting samples by `sampleWeight` (shape `[batch]`) when given.
    public func callAsFunction(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor? = nil) throws -> Tensor {
        var values = try perSample(yTrue, yPred)
        if let sampleWeight {
            let w = values.rank > 1 ? try Ops.reshape(sampleWeight, [sampleWeight.count] + Array(repeating: 1, count: values.rank - 1)) : sampleWeight
            values = try values * w
        }
        switch reduction {
        case .none: return values
        case .sum: return try Ops.sum(values)
        case .sumOverBatchSize, .mean: return try Ops.mean(values)
        }
    }

    /// Keras config: name and reduction.
    open var config: JSON { ["name": .string(name), "reduction": .string(reduction.rawValue)] }

    /// Finds a loss by Keras name or alias (`"mse"`, `"categorical_crossentropy"`).
    public static func named(_ name: String) throws -> Loss {
        if case .loss(let make)? = ObjectRegistry.lookupCustom(.loss, name) { return try make(.object([])) }
        if let make = builtins[name] { return make() }
        throw KerasError.unknownName("Unknown loss '\(name)'. Known: \(builtins.keys.sorted().joined(separator: ", "))")
    }

    nonisolated(unsafe) static var builtins: [String: () -> Loss] = [
        "mean_squared_error": { MeanSquaredError() }, "mse": { MeanSquaredError() }, "MeanSquaredError": { MeanSquaredError() },
        "mean_absolute_error": { MeanAbsoluteError() }, "mae": { MeanAbsoluteError() }, "MeanAbsoluteError": { MeanAbsoluteError() },
        "categorical_crossentropy": { CategoricalCrossentropy() }, "CategoricalCrossentropy": { CategoricalCrossentropy() },
        "sparse_categorical_crossentropy": { SparseCategoricalCrossentropy() },
        "SparseCategoricalCrossentropy": { SparseCategoricalCrossentropy() },
        "binary_crossentropy": { BinaryCrossentropy() }, "BinaryCrossentropy": { BinaryCrossentropy() },
    ]
}

/// A loss from a function of (yTrue, yPred) giving per-sample values, as Keras accepts plain
/// functions.
public final class LossFunction: Loss, @unchecked Sendable {
    private let fn: (Tensor, Tensor) throws -> Tensor
    public init(name: String, _ fn: @escaping (Tensor, Tensor) throws -> Tensor) {
        self.fn = fn
        super.init(name: name)
    }
    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor { try fn(yTrue, yPred) }
}

/// Checks that targets and predictions have the same shape (after dropping a trailing 1).
func checkSameShape(_ loss: String, _ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
    if yTrue.shape == yPred.shape { return yTrue }
    if yTrue.count == yPred.count && (yTrue.shape.first == yPred.shape.first) { return yTrue.detached.viewing(yPred.shape) }
    throw KerasError.shapeMismatch("\(loss): targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
}

public final class MeanSquaredError: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize) { super.init(name: "mean_squared_error", reduction: reduction) }
    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let t = try checkSameShape(name, yTrue, yPred)
        return try Ops.mean(Ops.square(yPred - t), axis: -1)
    }
}

public final class MeanAbsoluteError: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize) { super.init(name: "mean_absolute_error", reduction: reduction) }
    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let t = try checkSameShape(name, yTrue, yPred)
        return try Ops.mean(Ops.abs(yPred - t), axis: -1)
    }
}
