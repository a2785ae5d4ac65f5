/// Flattens every sample to one dimension: `(batch, d1, d2, ...)` → `(batch, d1·d2·...)`.
/// Keras: `keras.layers.Flatten`.
///
/// With `dataFormat: .channelsFirst` the channel axis is moved last before flattening, so that
/// the element order matches a channels-last model.
///
/// ```swift
/// let model = try Sequential([Flatten(inputShape: [28, 28]), Dense(10)])
/// ```
public final class Flatten: Layer, @unchecked Sendable {
    /// Where the channel axis is in the input.
    public let dataFormat: DataFormat

    public init(dataFormat: DataFormat = .channelsLast, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.dataFormat = dataFormat
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard inputs.rank >= 1 else {
            throw KerasError.shapeMismatch("Flatten '\(name)': expects an input with a batch dimension, got a scalar")
        }
        var x = inputs
        if dataFormat == .channelsFirst && x.rank > 2 {
            x = try Ops.transpose(x, [0] + Array(2..<x.rank) + [1])
        }
        return try Ops.reshape(x, [x.shape[0], x.shape.dropFirst().reduce(1, *)])
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard let batch = inputShape.first else {
            throw KerasError.shapeMismatch("Flatten '\(name)': expects an input with a batch dimension, got shape ()")
        }
        let rest = inputShape.dropFirst()
        if rest.contains(where: { $0 == nil }) { return [batch, nil] }
        return [batch, try ShapeMath.product(rest.map { $0 ?? 1 }, "Flatten '\(name)'")]
    }
}

extension Flatten: DeclaredLayer {
    /// Keras: `Flatten(data_format=None)` (the config holds the resolved format).
    public static let declaration = LayerDeclaration(Flatten.self, arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
    ]) { c in Flatten(dataFormat: try DataFormat.named(c.string("data_format")), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Flatten.self, $0) }
