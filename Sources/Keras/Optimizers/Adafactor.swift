#if canImport(Glibc)
import Glibc
#endif

/// Adafactor: Adam-like steps whose second moment is factored into row and column means for
/// variables of rank 2 and more, with the step size relative to the weights' RMS. Keras:
/// `Adafactor(learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
/// clip_threshold=1.0, relative_step=True)`.
///
/// The step size is `min(lr, 1 / sqrt(t))` whatever `relative_step` says, as in Keras.
public final class Adafactor: Optimizer, @unchecked Sendable {
    public let beta2Decay: Double, epsilon1: Double, epsilon2: Double, clipThreshold: Double
    public let relativeStep: Bool

    public init(learningRate: any LearningRateConvertible = 0.001, beta2Decay: Double = -0.8, epsilon1: Double = 1e-30,
                epsilon2: Double = 1e-3, clipThreshold: Double = 1.0, relativeStep: Bool = true,
                options: OptimizerArguments = OptimizerArguments()) throws {
        for (key, value) in [("beta_2_decay", beta2Decay), ("epsilon_1", epsilon1), ("epsilon_2", epsilon2),
                             ("clip_threshold", clipThreshold)] where !value.isFinite {
            throw KerasError.invalidArgument("Adafactor(\(key): \(value)): \(key) must be a finite number")
        }
        self.beta2Decay = beta2Decay; self.epsilon1 = epsilon1; self.epsilon2 = epsilon2
        self.clipThreshold = clipThreshold; self.relativeStep = relativeStep
        try super.init(learningRate: learningRate, options: options, defaultName: "adafactor")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Adafactor", config)
        let (learningRate, options) = try OptimizerArguments.read(&a)
        let beta2Decay = try a.double("beta_2_decay", default: -0.8)
        let epsilon1 = try a.double("epsilon_1", default: 1e-30)
        let epsilon2 = try a.double("epsilon_2", default: 1e-3)
        let clipThreshold = try a.double("clip_threshold", default: 1.0)
        let relativeStep = try a.bool("relative_step", default: true)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, beta2Decay: beta2Decay, epsilon1: epsilon1,
                      epsilon2: epsilon2, clipThreshold: clipThreshold, relativeStep: relativeStep, options: options)
    }

    /// Keras creates, per variable, the row means `r`, the column means `c` (scalars left at zero
    /// for variables of rank < 2) and the velocity.
    public override var slotGroups: [[String]] { [["r", "c", "velocity"]] }

    /// Keras names the factored means after the variable alone (`adafactor/kernel`), and makes
    /// the placeholders of a variable of rank < 2 outside the optimizer's scope (`bias`).
    public override func slotVariablePath(_ slot: String, of variable: Variable, shape: [Int]) -> String {
        guard slot == "r" || slot == "c" else { return super.slotVariablePath(slot, of: variable, shape: shape) }
        return variable.shape.count < 2 ? variable.name : "\(name)/\(variable.name)"
    }

    public override func slotShape(_ index: Int, of shape: [Int]) -> [Int] {
        guard index < 2 else { return shape }
        guard shape.count >= 2 else { return [] }
        return index == 0 ? Array(shape.dropLast()) : Array(shape.dropLast(2)) + [shape[shape.count - 1]]
    }

    public override func updateVariable(_ variable: Variable, _ w: UnsafeMutablePointer<Float>,
                                        gradient g: UnsafePointer<Float>, count n: Int,
                                        slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        guard n > 0 else { return }
        let t = Float(step), eps1 = Float(epsilon1)
        let rho = Swift.min(lr, 1 / t.squareRoot())
        let alpha = Swift.max(Float(epsilon2), rms(UnsafePointer(w), n)) * rho
        let beta = 1 - powf(t, Float(beta2Decay)), keep = 1 - beta
        let v = slots + 2 * n
        let shape = variable.shape
        if shape.count >= 2, let cols = shape.last, cols > 0, shape[shape.count - 2] > 0 {
            factoredVelocity(g, n: n, rows: shape[shape.count - 2], cols: cols, r: slots, c: slots + n, v: v,
                             beta: beta, eps1: eps1)
        } else {
            for i in 0..<n { v[i] = beta * v[i] + keep * (g[i] * g[i] + eps1) }
        }
        var sumSquares: Float = 0
        for i in 0..<n { let u = g[i] / v[i].squareRoot(); sumSquares += u * u }
        let scale = alpha / Swift.max(1, (sumSquares / Float(n)).squareRoot() / Float(clipThreshold))
        for i in 0..<n { w[i] -= g[i] / v[i].squareRoot() * scale }
    }

    /// `r` and `c` move toward the row and column means of `g² + ε₁`, and
    /// `v = (r / mean(r))[..., None] * c[..., None, :]` per matrix of the batch.
    private func factoredVelocity(_ g: UnsafePointer<Float>, n: Int, rows: Int, cols: Int,
                                  r: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                                  v: UnsafeMutablePointer<Float>, beta: Float, eps1: Float) {
        let keep = 1 - beta
        for b in 0..<(n / (rows * cols)) {
            let gb = g + b * rows * cols, rb = r + b * rows, cb = c + b * cols, vb = v + b * rows * cols
            var rowMeanTotal: Float = 0
            for i in 0..<rows {
                var s: Float = 0
                for j in 0..<cols { s += gb[i * cols + j] * gb[i * cols + j] + eps1 }
                rb[i] = beta * rb[i] + keep * (s / Float(cols))
                rowMeanTotal += rb[i]
            }
            for j in 0..<cols {
                var s: Float = 0
                for i in 0..<rows { s += gb[i * cols + j] * gb[i * cols + j] + eps1 }
                cb[j] = beta * cb[j] + keep * (s / Float(rows))
            }
            let rMean = rowMeanTotal / Float(rows)
            for i in 0..<rows {
                let ri = rb[i] / rMean
                for j in 0..<cols { vb[i * cols + j] = ri * cb[j] }
            }
        }
    }

    private func rms(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for i in 0..<n { s += p[i] * p[i] }
        return (s / Float(n)).squareRoot()
    }

    public override var config: JSON {
        var c = super.config
        c.set("beta_2_decay", .double(beta2Decay)); c.set("epsilon_1", .double(epsilon1))
        c.set("epsilon_2", .double(epsilon2)); c.set("clip_threshold", .double(clipThreshold))
        c.set("relative_step", .bool(relativeStep))
        return c
    }
}
