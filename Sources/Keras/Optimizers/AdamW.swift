/// Adam with decoupled weight decay on by default (`weight_decay=0.004`).
/// Keras: `AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
public final class AdamW: Optimizer, @unchecked Sendable {
    public let beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool

    /// `weightDecay` is AdamW's own argument (`options.weightDecay` must stay nil).
    public init(learningRate: any LearningRateConvertible = 0.001, weightDecay: Double = 0.004, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false,
                options: OptimizerArguments = OptimizerArguments()) throws {
        try checkBeta("AdamW", "beta_1", beta1)
        try checkBeta("AdamW", "beta_2", beta2)
        try checkNonNegative("AdamW", "epsilon", epsilon)
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.amsgrad = amsgrad
        try super.init(learningRate: learningRate, options: options.withOwnWeightDecay(weightDecay, "AdamW"),
                       defaultName: "adam_w")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("AdamW", config)
        let (learningRate, given) = try OptimizerArguments.read(&a)
        var options = given
        let beta1 = try a.double("beta_1", default: 0.9)
        let beta2 = try a.double("beta_2", default: 0.999)
        let epsilon = try a.double("epsilon", default: 1e-7)
        let amsgrad = try a.bool("amsgrad", default: false)
        try a.finish()
        if a.contains("weight_decay") && options.weightDecay == nil {
            throw KerasError.invalidArgument("AdamW(weight_decay: None): weight_decay must be a float")
        }
        let weightDecay = options.weightDecay ?? 0.004
        options.weightDecay = nil
        try self.init(learningRate: learningRate ?? 0.001, weightDecay: weightDecay, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, amsgrad: amsgrad, options: options)
    }

    public override var slotGroups: [[String]] { [["momentum", "velocity"]] + (amsgrad ? [["velocity_hat"]] : []) }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        adamUpdate(w, g, n, slots, step: step, lr: lr, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad)
    }

    public override var config: JSON {
        var c = super.config
        c.set("beta_1", .double(beta1)); c.set("beta_2", .double(beta2))
        c.set("epsilon", .double(epsilon)); c.set("amsgrad", .bool(amsgrad))
        return c
    }
}
