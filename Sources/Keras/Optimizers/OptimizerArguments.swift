/// The arguments every Keras optimizer takes besides its learning rate and its own (Keras's base
/// `Optimizer(weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
/// use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
/// gradient_accumulation_steps=None, name=None)`), declared once and passed as one value.
///
/// ```swift
/// let opt = try Adam(learningRate: 1e-3, options: OptimizerArguments(weightDecay: 0.01, useEMA: true))
/// ```
public struct OptimizerArguments: Sendable {
    /// Decoupled weight decay (AdamW and Muon take theirs as their own `weightDecay` argument).
    public var weightDecay: Double?
    /// Clips each gradient to this L2 norm.
    public var clipnorm: Double?
    /// Clips each gradient element to `[-clipvalue, clipvalue]`.
    public var clipvalue: Double?
    /// Clips all gradients together to this global L2 norm.
    public var globalClipnorm: Double?
    /// Keeps an exponential moving average of the weights.
    public var useEMA: Bool
    /// The moving average's momentum.
    public var emaMomentum: Double
    /// Every this many steps, the weights are overwritten with their average.
    public var emaOverwriteFrequency: Int?
    /// The loss is multiplied by this before gradients are taken and the gradients divided by it.
    public var lossScaleFactor: Double?
    /// Gradients are summed over this many calls and their mean applied on the last one.
    public var gradientAccumulationSteps: Int?
    /// Keras 2's learning-rate decay: `lr / (1 + decay * iterations)`.
    public var decay: Double
    /// The name; nil gives the optimizer's Keras default (`adam`).
    public var name: String?

    /// Keras's defaults unless given.
    public init(weightDecay: Double? = nil, clipnorm: Double? = nil, clipvalue: Double? = nil,
                globalClipnorm: Double? = nil, useEMA: Bool = false, emaMomentum: Double = 0.99,
                emaOverwriteFrequency: Int? = nil, lossScaleFactor: Double? = nil,
                gradientAccumulationSteps: Int? = nil, decay: Double = 0, name: String? = nil) {
        self.weightDecay = weightDecay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
        self.useEMA = useEMA
        self.emaMomentum = emaMomentum
        self.emaOverwriteFrequency = emaOverwriteFrequency
        self.lossScaleFactor = lossScaleFactor
        self.gradientAccumulationSteps = gradientAccumulationSteps
        self.decay = decay
        self.name = name
    }

    /// The learning rate (nil when absent) and these arguments from a config, with Keras 2's
    /// `lr` for `learning_rate` and `decay`.
    static func read(_ a: inout ConfigArguments) throws -> (LearningRate?, OptimizerArguments) {
        var learningRate: LearningRate?
        if let lr = a.raw("learning_rate") ?? a.raw("lr") {
            if lr.objectValue != nil {
                learningRate = .schedule(try LearningRateSchedule.deserialize(lr))
            } else if let v = lr.doubleValue {
                learningRate = .constant(Float(v))
            } else {
                throw KerasError.invalidArgument("\(a.owner)(learning_rate: \(lr)): learning_rate must be a number or a learning rate schedule")
            }
        }
        let o = OptimizerArguments(
            weightDecay: try a.double("weight_decay"), clipnorm: try a.double("clipnorm"),
            clipvalue: try a.double("clipvalue"), globalClipnorm: try a.double("global_clipnorm"),
            useEMA: try a.bool("use_ema", default: false), emaMomentum: try a.double("ema_momentum", default: 0.99),
            emaOverwriteFrequency: try a.int("ema_overwrite_frequency"),
            lossScaleFactor: try a.double("loss_scale_factor"),
            gradientAccumulationSteps: try a.int("gradient_accumulation_steps"),
            decay: try a.double("decay", default: 0), name: try a.string("name"))
        // tf.keras 2.11+ writes these in optimizer configs; they mean nothing here.
        _ = a.raw("jit_compile")
        _ = a.raw("is_legacy_optimizer")
        return (learningRate, o)
    }

    /// These arguments with the weight decay of an optimizer that takes `weight_decay` as its own
    /// argument (AdamW, Muon); throws when they set one as well, so that it is given once.
    func withOwnWeightDecay(_ value: Double?, _ owner: String) throws -> OptimizerArguments {
        if let given = weightDecay {
            throw KerasError.invalidArgument("\(owner)(weight_decay: \(given)): pass weight_decay as \(owner)'s own weightDecay argument, not in options")
        }
        var o = self
        o.weightDecay = value
        return o
    }
}
