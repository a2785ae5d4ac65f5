/// Targets of 0 and 1 become -1 and 1, as Keras's hinge losses do when every label is 0 or 1.
func hingeLabels(_ yTrue: Tensor) -> Tensor {
    let t = yTrue.detached
    for i in 0..<t.count where t.data[i] != 0 && t.data[i] != 1 { return t }
    return Kernels.map(t) { 2 * $0 - 1 }
}

/// `mean(max(1 - y * ŷ, 0))` over the last axis, for labels in {-1, 1} (or {0, 1}).
/// Keras: `Hinge` / `"hinge"`.
public final class Hinge: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "hinge") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        return try Ops.mean(Ops.maximum(1 - hingeLabels(t) * p, Tensor(0)), axis: -1)
    }
}

/// `mean(max(1 - y * ŷ, 0)²)` over the last axis. Keras: `SquaredHinge` / `"squared_hinge"`.
public final class SquaredHinge: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "squared_hinge") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        return try Ops.mean(Ops.square(Ops.maximum(1 - hingeLabels(t) * p, Tensor(0))), axis: -1)
    }
}

/// `max(max((1 - y) * ŷ) - sum(y * ŷ) + 1, 0)` for one-hot targets.
/// Keras: `CategoricalHinge` / `"categorical_hinge"`.
public final class CategoricalHinge: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "categorical_hinge") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        let pos = try Ops.sum(t * p, axis: -1)
        let neg = try Ops.max((1 - t) * p, axes: [-1])
        return try Ops.maximum(neg - pos + 1, Tensor(0))
    }
}
