/// Passes its input through unchanged and, during training, adds
/// `(l1 · sum|x| + l2 · sum x²) / batch size` to the loss. Keras: `keras.layers.ActivityRegularization`.
///
/// ```swift
/// let model = try Sequential([Dense(8, inputDim: 4), ActivityRegularization(l1: 0.01)])
/// ```
public final class ActivityRegularization: Layer, @unchecked Sendable {
    public let l1: Double
    public let l2: Double

    public init(l1: Double = 0, l2: Double = 0, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        guard l1 >= 0, l2 >= 0, l1.isFinite, l2.isFinite else {
            throw KerasError.invalidArgument("ActivityRegularization(l1: \(l1), l2: \(l2)): factors must be finite and not negative")
        }
        self.l1 = l1
        self.l2 = l2
        let penalty = try L1L2(l1: Float(l1), l2: Float(l2))
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
        activityRegularizer = penalty
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { inputs }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { true }

    /// Keras's config pops the base's `activity_regularizer`: `l1` and `l2` make it.
    public override var configHoldsActivityRegularizer: Bool { false }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }
}

extension ActivityRegularization: DeclaredLayer {
    /// Keras: `ActivityRegularization(l1=0.0, l2=0.0)`.
    public static let declaration = LayerDeclaration(ActivityRegularization.self, builtAtInit: true, arguments: [
        .optional("l1", \.l1, default: 0),
        .optional("l2", \.l2, default: 0),
    ]) { c in try ActivityRegularization(l1: c.double("l1"), l2: c.double("l2"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ActivityRegularization.self, $0) }
