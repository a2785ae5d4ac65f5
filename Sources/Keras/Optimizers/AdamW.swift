/// Adam with decoupled weight decay on by default (`weight_decay=0.004`).
/// Keras: `AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
public final class AdamW: Adam, @unchecked Sendable {
    /// `weightDecay` is AdamW's own argument (`options.weightDecay` must stay nil).
    public init(learningRate: any LearningRateConvertible = 0.001, weightDecay: Double = 0.004, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-7, amsgrad: Bool = false,
                options: OptimizerArguments = OptimizerArguments()) throws {
        try super.init("AdamW", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                       amsgrad: amsgrad, options: options.withOwnWeightDecay(weightDecay, "AdamW"), defaultName: "adam_w")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("AdamW", config)
        let (learningRate, given) = try OptimizerArguments.read(&a)
        var options = given
        let m = try Moments(&a)
        let amsgrad = try a.bool("amsgrad", default: false)
        try a.finish()
        if a.contains("weight_decay") && options.weightDecay == nil {
            throw KerasError.invalidArgument("AdamW(weight_decay: None): weight_decay must be a float")
        }
        let weightDecay = options.weightDecay ?? 0.004
        options.weightDecay = nil
        try self.init(learningRate: learningRate ?? 0.001, weightDecay: weightDecay, beta1: m.beta1, beta2: m.beta2,
                      epsilon: m.epsilon, amsgrad: amsgrad, options: options)
    }
}
