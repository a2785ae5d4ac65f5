#if canImport(Glibc)
import Glibc
#endif
import CHDF5Shim

/// Adam: bias-corrected running means of the gradient and its square, optionally with AMSGrad's
/// running maximum. Keras: `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
/// ``AdamW`` is Adam with its own weight decay, as in Keras (`class AdamW(Adam)`).
public class Adam: MomentOptimizer, @unchecked Sendable {
    /// Keeps the running maximum of the second moment (AMSGrad).
    public let amsgrad: Bool

    public convenience init(learningRate: any LearningRateConvertible = 0.001, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false,
                            options: OptimizerArguments = OptimizerArguments()) throws {
        try self.init("Adam", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                      amsgrad: amsgrad, options: options, defaultName: "adam")
    }

    /// The initialiser AdamW shares: `owner` names the class in messages.
    init(_ owner: String, learningRate: any LearningRateConvertible, beta1: Double, beta2: Double, epsilon: Double,
         amsgrad: Bool, options: OptimizerArguments, defaultName: String) throws {
        self.amsgrad = amsgrad
        try super.init(owner, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, options: options,
                       defaultName: defaultName)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Adam", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let m = try Moments(&a)
        let amsgrad = try a.bool("amsgrad", default: false)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, beta1: m.beta1, beta2: m.beta2, epsilon: m.epsilon,
                      amsgrad: amsgrad, options: options)
    }

    public override var slotGroups: [[String]] { [["momentum", "velocity"]] + (amsgrad ? [["velocity_hat"]] : []) }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        adamUpdate(w, g, n, slots, step: step, lr: lr, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad)
    }

    public override var config: JSON {
        var c = super.config
        c.set("amsgrad", .bool(amsgrad))
        return c
    }
}

/// The Adam step shared by ``Adam`` and ``AdamW``: slots are momentum, velocity, then the
/// AMSGrad maximum. Each element's update is independent, so a large variable (an Embedding's
/// table: 640,000 weights in bilstm_text_epoch, 7% of its samples on one core) is split across
/// cores (``Parallel/forEachChunk(_:_:)``) with the same bits.
func adamUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ n: Int, _ slots: UnsafeMutablePointer<Float>,
                step: Int, lr: Float, beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool) {
    let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon)
    let t = Float(step)
    let alpha = lr * (1 - powf(b2, t)).squareRoot() / (1 - powf(b1, t))
    let m = slots, v = slots + n
    if Kernels.nativeRecurrentSteps {
        // The same operations in AVX (`sk_adam_update` in kernels.c), whose vsqrtps takes eight
        // lanes at once where Swift's SIMD8 square root becomes eight scalar sqrtss; with AMSGrad
        // the maximum as `Swift.max(vhat, v)` picks it (`v >= vhat ? v : vhat`).
        let vhat: UnsafeMutablePointer<Float>? = amsgrad ? slots + 2 * n : nil
        Parallel.forEachChunk(n) { r in
            let i = r.lowerBound
            sk_adam_update(w + i, g + i, m + i, v + i, vhat.map { $0 + i }, r.count, 1 - b1, 1 - b2, alpha, eps)
        }
    } else if amsgrad {
        let vhat = slots + 2 * n
        Parallel.forEachChunk(n) { r in
            for i in r.lowerBound..<r.upperBound {
                m[i] += (g[i] - m[i]) * (1 - b1)
                v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
                vhat[i] = Swift.max(vhat[i], v[i])
                w[i] -= m[i] * alpha / (vhat[i].squareRoot() + eps)
            }
        }
    } else {
        Parallel.forEachChunk(n) { r in
            // Eight lanes at a time, each lane the scalar loop's operations in its order (no
            // fused multiply-adds), so the bits are the same; the scalar loop's divide and square
            // root waited on each other one element at a time (8.5% of bilstm_text_epoch's samples).
            let c1 = SIMD8<Float>(repeating: 1 - b1), c2 = SIMD8<Float>(repeating: 1 - b2)
            let a = SIMD8<Float>(repeating: alpha), e = SIMD8<Float>(repeating: eps)
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                var mi = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
                var vi = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
                let wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self)
                mi += (gi - mi) * c1
                vi += (gi * gi - vi) * c2
                UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(w + i).storeBytes(of: wi - mi * a / (vi.squareRoot() + e), as: SIMD8<Float>.self)
                i += 8
            }
            while i < r.upperBound {
                m[i] += (g[i] - m[i]) * (1 - b1)
                v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
                w[i] -= m[i] * alpha / (v[i].squareRoot() + eps)
                i += 1
            }
        }
    }
}
