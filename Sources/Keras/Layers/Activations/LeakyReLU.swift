/// Leaky rectified linear unit: `x` for `x >= 0`, `negativeSlope * x` below.
/// Keras: `keras.layers.LeakyReLU(negative_slope=0.3)` (Keras 2's `alpha` is accepted).
public final class LeakyReLU: Layer, @unchecked Sendable {
    public let negativeSlope: Float
    let function: ActivationFunction

    public init(negativeSlope: Float = 0.3, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        guard negativeSlope >= 0, negativeSlope.isFinite else {
            throw KerasError.invalidArgument("LeakyReLU(negative_slope: \(negativeSlope)): the negative_slope value of a Leaky ReLU layer cannot be None or negative")
        }
        self.negativeSlope = negativeSlope
        function = .leakyReLU(negativeSlope: negativeSlope)
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
        supportsMasking = true
    }

    /// Keras 2's spelling: `LeakyReLU(alpha=0.3)`.
    public convenience init(alpha: Float, name: String? = nil, trainable: Bool = true,
                            inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        try self.init(negativeSlope: alpha, name: name, trainable: trainable, inputShape: inputShape,
                      inputDim: inputDim, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try function(inputs) }

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("negative_slope", .double(Double(negativeSlope)))
        return c
    }
}
