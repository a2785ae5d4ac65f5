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
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// Keras 2's spelling: `LeakyReLU(alpha=0.3)`.
    public convenience init(alpha: Float, name: String? = nil, trainable: Bool = true,
                            inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        try self.init(negativeSlope: alpha, name: name, trainable: trainable, inputShape: inputShape,
                      inputDim: inputDim, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try function(inputs) }
}

extension LeakyReLU: DeclaredLayer {
    /// Keras: `LeakyReLU(negative_slope=0.3)`; Keras 2's `alpha` is read when `negative_slope` is absent.
    public static let declaration = LayerDeclaration(LeakyReLU.self, builtAtInit: true, arguments: [
        .optional("negative_slope", \.negativeSlope, default: 0.3),
    ]) { c in
        try LeakyReLU(negativeSlope: c.isGiven("negative_slope") ? c.float("negative_slope") : c.float("alpha", default: 0.3),
                      name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(LeakyReLU.self, $0) }
