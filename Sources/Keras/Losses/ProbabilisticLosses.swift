#if canImport(Glibc)
import Glibc
#endif

/// Kullback-Leibler divergence `sum(y * log(y / ŷ))` over the last axis, both clipped to
/// `[ε, 1]`. Keras: `KLDivergence` / `"kl_divergence"`, `"kld"`, `"KLD"`, Keras 2's
/// `"kullback_leibler_divergence"`.
public final class KLDivergence: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "kl_divergence") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t0, p0) = try LossReduction.prepare(yTrue, yPred)
        let t = Kernels.map(t0) { Swift.min(Swift.max($0, kerasEpsilon), 1) }
        let p = Ops.clip(p0, kerasEpsilon, 1)
        let logT = Kernels.map(t) { logf($0) }
        return try Ops.sum(t * (logT - Ops.log(p)), axis: -1)
    }
}

/// Poisson negative log-likelihood `mean(ŷ - y * log(ŷ + ε))` over the last axis.
/// Keras: `Poisson` / `"poisson"`.
public final class Poisson: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "poisson") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        return try Ops.mean(p - t * Ops.log(p + kerasEpsilon), axis: -1)
    }
}
