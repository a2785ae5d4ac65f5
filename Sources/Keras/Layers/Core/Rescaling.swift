/// Multiplies its inputs by `scale` and adds `offset`: `x * scale + offset`.
/// Keras: `keras.layers.Rescaling`.
///
/// ```swift
/// Rescaling(1.0 / 255)                 // [0, 255] → [0, 1]
/// Rescaling(1.0 / 127.5, offset: -1)   // [0, 255] → [-1, 1]
/// ```
public final class Rescaling: Layer, @unchecked Sendable {
    /// The factor applied first.
    public let scale: Double
    /// The value added after scaling.
    public let offset: Double

    public init(_ scale: Double, offset: Double = 0, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.scale = scale
        self.offset = offset
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
        supportsMasking = true
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        Ops.affine(inputs, scale: Float(scale), offset: Float(offset))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }
}

extension Rescaling: DeclaredLayer {
    /// Keras: `Rescaling(scale, offset=0.0)`; only scalar `scale` and `offset` are supported
    /// (Keras also accepts per-channel lists).
    public static let declaration = LayerDeclaration(Rescaling.self, arguments: [
        .required("scale", \.scale),
        .optional("offset", \.offset, default: 0),
    ]) { c in Rescaling(try c.double("scale"), offset: try c.double("offset"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Rescaling.self, $0) }
