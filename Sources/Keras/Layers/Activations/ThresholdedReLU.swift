/// `x` where `x > theta`, else 0. Keras 2: `keras.layers.ThresholdedReLU(theta=1.0)`; Keras 3
/// dropped the layer (`ReLU(threshold:)` differs: it keeps values equal to the threshold out
/// and allows a slope), so this follows Keras 2.
public final class ThresholdedReLU: Layer, @unchecked Sendable {
    public let theta: Float

    public init(theta: Float = 1, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        guard theta >= 0, theta.isFinite else {
            throw KerasError.invalidArgument("ThresholdedReLU(theta: \(theta)): theta of ThresholdedReLU layer cannot be negative")
        }
        self.theta = theta
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        let t = theta
        return Ops.unary(inputs, { $0 > t ? $0 : 0 }) { x, _, g in x > t ? g : 0 }
    }
}

extension ThresholdedReLU: DeclaredLayer {
    /// Keras 2: `ThresholdedReLU(theta=1.0)`.
    public static let declaration = LayerDeclaration(ThresholdedReLU.self, arguments: [
        .optional("theta", \.theta, default: 1),
    ]) { c in try ThresholdedReLU(theta: c.float("theta"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ThresholdedReLU.self, $0) }
