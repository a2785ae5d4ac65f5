import Foundation

/// Cosine decay with warm restarts (SGDR): each period is `t_mul` times longer than the last and
/// starts from `m_mul` times the previous initial rate.
/// Keras: `CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0)`.
public final class CosineDecayRestarts: LearningRateSchedule, @unchecked Sendable {
    public let initialLearningRate: Double
    public let firstDecaySteps: Double
    public let tMul: Double
    public let mMul: Double
    public let alpha: Double

    public init(initialLearningRate: Double, firstDecaySteps: Double, tMul: Double = 2.0, mMul: Double = 1.0,
                alpha: Double = 0, name: String = "SGDRDecay") throws {
        try checkFinite("CosineDecayRestarts", "initial_learning_rate", initialLearningRate)
        try checkDecaySteps("CosineDecayRestarts", "first_decay_steps", firstDecaySteps)
        guard tMul > 0, tMul.isFinite else {
            throw KerasError.invalidArgument("CosineDecayRestarts(t_mul: \(tMul)): t_mul must be > 0")
        }
        try checkFinite("CosineDecayRestarts", "m_mul", mMul)
        try checkFinite("CosineDecayRestarts", "alpha", alpha)
        self.initialLearningRate = initialLearningRate
        self.firstDecaySteps = firstDecaySteps
        self.tMul = tMul
        self.mMul = mMul
        self.alpha = alpha
        super.init(name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("CosineDecayRestarts", config)
        guard let lr = try a.double("initial_learning_rate"), let steps = try a.double("first_decay_steps") else {
            throw KerasError.invalidArgument("CosineDecayRestarts: initial_learning_rate and first_decay_steps are required")
        }
        let tMul = try a.double("t_mul", default: 2.0)
        let mMul = try a.double("m_mul", default: 1.0)
        let alpha = try a.double("alpha", default: 0)
        let name = try a.string("name") ?? "SGDRDecay"
        try a.finish()
        try self.init(initialLearningRate: lr, firstDecaySteps: steps, tMul: tMul, mMul: mMul, alpha: alpha, name: name)
    }

    /// In float32, in Keras's order of operations.
    public override func value(at step: Double) -> Double {
        let tMul = Float(self.tMul), alpha = Float(self.alpha)
        var fraction = Float(step) / Float(firstDecaySteps)
        let restart: Float
        if tMul == 1 {
            restart = fraction.rounded(.down)
            fraction -= restart
        } else {
            restart = (logf(1 - fraction * (1 - tMul)) / logf(tMul)).rounded(.down)
            let sumR = (1 - powf(tMul, restart)) / (1 - tMul)
            fraction = (fraction - sumR) / powf(tMul, restart)
        }
        let cosine = 0.5 * powf(Float(mMul), restart) * (1 + cosf(kerasPi * fraction))
        return Double(Float(initialLearningRate) * ((1 - alpha) * cosine + alpha))
    }

    public override var config: JSON {
        ["initial_learning_rate": .double(initialLearningRate), "first_decay_steps": .number(firstDecaySteps),
         "t_mul": .double(tMul), "m_mul": .double(mMul), "alpha": .double(alpha), "name": .string(name)]
    }
}
