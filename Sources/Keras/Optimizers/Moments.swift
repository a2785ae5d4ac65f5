/// The Adam family's `beta_1`, `beta_2` and `epsilon` (Adam, AdamW, Adamax, Lamb, Nadam,
/// ScheduleFreeAdamW): checked, read from a config and written into one here, once.
struct Moments {
    var beta1: Double, beta2: Double, epsilon: Double

    /// Reads them from a config, with Keras's defaults (0.9, 0.999 and `epsilon`).
    init(_ a: inout ConfigArguments, epsilon defaultEpsilon: Double = 1e-7) throws {
        beta1 = try a.double("beta_1", default: 0.9)
        beta2 = try a.double("beta_2", default: 0.999)
        epsilon = try a.double("epsilon", default: defaultEpsilon)
    }

    /// The learning rate, moments and common arguments of a config with no other keys of its own
    /// (Adamax, Lamb, Nadam; `ignoring` keys Keras 2 wrote and Keras 3 ignores).
    static func read(_ owner: String, _ config: JSON, ignoring: [String] = [])
        throws -> (learningRate: LearningRate?, moments: Moments, options: OptimizerArguments) {
        var a = try ConfigArguments(owner, config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let m = try Moments(&a)
        for key in ignoring { _ = try a.double(key) }
        try a.finish()
        return (learningRate, m, options)
    }

    /// Throws unless `beta_1` and `beta_2` are in [0, 1) (`beta_2` in [0, 1] when
    /// `beta2MayBeOne`: Adamax's norm does not divide by `1 - beta_2^t`) and `epsilon` >= 0.
    static func check(_ owner: String, _ beta1: Double, _ beta2: Double, _ epsilon: Double,
                      beta2MayBeOne: Bool = false) throws {
        try checkBeta(owner, "beta_1", beta1)
        if beta2MayBeOne { try checkRange(owner, "beta_2", beta2, 0...1) } else { try checkBeta(owner, "beta_2", beta2) }
        try checkNonNegative(owner, "epsilon", epsilon)
    }
}

extension JSON {
    /// Sets Keras's `beta_1`, `beta_2` and `epsilon` keys of an optimizer config.
    mutating func setMoments(_ beta1: Double, _ beta2: Double, _ epsilon: Double) {
        set("beta_1", .double(beta1)); set("beta_2", .double(beta2)); set("epsilon", .double(epsilon))
    }
}

/// The base of the optimizers whose own arguments begin with Keras's `beta_1`, `beta_2` and
/// `epsilon` (Adam and AdamW, Adamax, Lamb, Nadam), which it checks, keeps and writes.
public class MomentOptimizer: Optimizer, @unchecked Sendable {
    /// The decay rate of the first moment (Keras's `beta_1`).
    public let beta1: Double
    /// The decay rate of the second moment or norm (Keras's `beta_2`).
    public let beta2: Double
    /// Added to the denominator for numerical stability (Keras's `epsilon`).
    public let epsilon: Double

    /// Checks the moments for `owner` (``Moments/check(_:_:_:_:beta2MayBeOne:)``) and keeps them.
    init(_ owner: String, learningRate: any LearningRateConvertible, beta1: Double, beta2: Double, epsilon: Double,
         beta2MayBeOne: Bool = false, options: OptimizerArguments, defaultName: String) throws {
        try Moments.check(owner, beta1, beta2, epsilon, beta2MayBeOne: beta2MayBeOne)
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        try super.init(learningRate: learningRate, options: options, defaultName: defaultName)
    }

    public override var config: JSON {
        var c = super.config
        c.setMoments(beta1, beta2, epsilon)
        return c
    }
}
