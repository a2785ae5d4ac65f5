/// Rectified linear unit with optional cap, slope below the threshold, and threshold:
/// `f(x) = min(x, maxValue)` for `x > threshold`, `negativeSlope * (x - threshold)` below.
/// Keras: `keras.layers.ReLU(max_value=None, negative_slope=0.0, threshold=0.0)`.
///
/// ```swift
/// Sequential([Dense(32, inputDim: 8), ReLU(maxValue: 6)])
/// ```
public final class ReLU: Layer, @unchecked Sendable {
    public let maxValue: Float?
    public let negativeSlope: Float
    public let threshold: Float
    let function: ActivationFunction

    public init(maxValue: Float? = nil, negativeSlope: Float = 0, threshold: Float = 0, name: String? = nil,
                trainable: Bool = true, inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        if let maxValue, !(maxValue >= 0) {
            throw KerasError.invalidArgument("ReLU(max_value: \(maxValue)): max_value of a ReLU layer cannot be a negative value")
        }
        guard negativeSlope >= 0, negativeSlope.isFinite else {
            throw KerasError.invalidArgument("ReLU(negative_slope: \(negativeSlope)): negative_slope of a ReLU layer cannot be a negative value")
        }
        guard threshold >= 0, threshold.isFinite else {
            throw KerasError.invalidArgument("ReLU(threshold: \(threshold)): threshold of a ReLU layer cannot be a negative value")
        }
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
        function = .relu(negativeSlope: negativeSlope, maxValue: maxValue, threshold: threshold)
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try function(inputs) }
}

extension ReLU: DeclaredLayer {
    /// Keras: `ReLU(max_value=None, negative_slope=0.0, threshold=0.0)`.
    public static let declaration = LayerDeclaration(ReLU.self, builtAtInit: true, arguments: [
        .optional("max_value", \.maxValue, default: nil),
        .optional("negative_slope", \.negativeSlope, default: 0),
        .optional("threshold", \.threshold, default: 0),
    ]) { c in
        try ReLU(maxValue: c.optionalFloat("max_value"), negativeSlope: c.float("negative_slope"),
                 threshold: c.float("threshold"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ReLU.self, $0) }
