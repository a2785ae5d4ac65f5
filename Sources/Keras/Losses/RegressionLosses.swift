#if canImport(Glibc)
import Glibc
#endif

/// Mean of squared differences over the last axis. Keras: `MeanSquaredError` / `"mse"`.
public final class MeanSquaredError: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "mean_squared_error") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        return try Ops.mean(Ops.square(t - p), axis: -1)
    }
}

/// Mean of absolute differences over the last axis. Keras: `MeanAbsoluteError` / `"mae"`.
public final class MeanAbsoluteError: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "mean_absolute_error") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        return try Ops.mean(Ops.abs(t - p), axis: -1)
    }
}

/// `100 * mean(|(y - ŷ) / max(|y|, ε)|)`. Keras: `MeanAbsolutePercentageError` / `"mape"`.
public final class MeanAbsolutePercentageError: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "mean_absolute_percentage_error") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        let scale = Kernels.map(t) { 1 / Swift.max(Swift.abs($0), kerasEpsilon) }
        let diff = try Ops.abs(Ops.multiply(t - p, scale))
        return try Ops.mean(diff, axis: -1) * 100
    }
}

/// Mean of squared differences of `log(max(x, ε) + 1)`. Keras: `MeanSquaredLogarithmicError` / `"msle"`.
public final class MeanSquaredLogarithmicError: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "mean_squared_logarithmic_error") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        let first = Ops.log(try Ops.maximum(p, Tensor(kerasEpsilon)) + 1)
        let second = Kernels.map(t) { logf(Swift.max($0, kerasEpsilon) + 1) }
        return try Ops.mean(Ops.square(first - second), axis: -1)
    }
}
