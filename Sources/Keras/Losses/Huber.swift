#if canImport(Glibc)
import Glibc
#endif

/// Quadratic for errors up to `delta`, linear beyond: `0.5 e²` or `delta |e| - 0.5 delta²`,
/// averaged over the last axis. Keras: `Huber(delta=1.0)` / `"huber"` (its config, as Keras's,
/// holds only name and reduction).
public final class Huber: Loss, @unchecked Sendable {
    public let delta: Float

    public init(delta: Float = 1.0, reduction: Reduction = .sumOverBatchSize, name: String = "huber_loss") throws {
        guard delta >= 0, delta.isFinite else {
            throw KerasError.invalidArgument("Huber(delta: \(delta)): delta must be a finite number >= 0")
        }
        self.delta = delta
        super.init(name: name, reduction: reduction)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Huber", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let delta = try a.double("delta", default: 1.0)
        try a.finish()
        try self.init(delta: Float(delta), reduction: reduction, name: name ?? "huber_loss")
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        let error = try p - t
        let absError = Ops.abs(error)
        let quadratic = Ops.square(error) * 0.5
        let linear = absError * delta - 0.5 * delta * delta
        let inside = Kernels.map(absError) { $0 <= self.delta ? 1 : 0 }
        return try Ops.mean(Ops.where(inside, quadratic, linear), axis: -1)
    }
}

/// `log(cosh(ŷ - y))` averaged over the last axis, computed as `x + softplus(-2x) - log 2`.
/// Keras: `LogCosh` / `"log_cosh"` (Keras 2: `"logcosh"`).
public final class LogCosh: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "log_cosh") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        let x = try p - t
        let value = try x + Ops.activation(x * -2, .softplus) - logf(2)
        return try Ops.mean(value, axis: -1)
    }
}
