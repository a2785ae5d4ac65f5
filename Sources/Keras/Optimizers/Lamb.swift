#if canImport(Glibc)
import Glibc
#endif

/// LAMB: Adam's bias-corrected step scaled per variable by the trust ratio
/// `‖w‖ / ‖step‖` (1 when either norm is zero). Keras:
/// `Lamb(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
public final class Lamb: MomentOptimizer, @unchecked Sendable {
    public init(learningRate: any LearningRateConvertible = 0.001, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-7, options: OptimizerArguments = OptimizerArguments()) throws {
        try super.init("Lamb", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                       options: options, defaultName: "lamb")
    }

    convenience init(config: JSON) throws {
        let (learningRate, m, options) = try Moments.read("Lamb", config)
        try self.init(learningRate: learningRate ?? 0.001, beta1: m.beta1, beta2: m.beta2, epsilon: m.epsilon,
                      options: options)
    }

    public override var slotGroups: [[String]] { [["momentum", "velocity"]] }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        let t = Float(step), b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
        let keep1 = Float(1 - beta1), keep2 = Float(1 - beta2)
        let c1 = 1 - powf(b1, t), c2 = 1 - powf(b2, t)
        let m = slots, v = slots + n
        // The trust ratio needs the norms of the weights and of the whole step before any weight moves.
        var wNorm: Float = 0, stepNorm: Float = 0
        for i in 0..<n {
            m[i] += (g[i] - m[i]) * keep1
            v[i] += (g[i] * g[i] - v[i]) * keep2
            let u = (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            wNorm += w[i] * w[i]
            stepNorm += u * u
        }
        wNorm = wNorm.squareRoot(); stepNorm = stepNorm.squareRoot()
        let ratio: Float = wNorm > 0 && stepNorm > 0 ? wNorm / stepNorm : 1
        let scale = ratio * lr
        for i in 0..<n { w[i] -= scale * ((m[i] / c1) / ((v[i] / c2).squareRoot() + eps)) }
    }
}
