/// Multiplies its inputs by `scale` and adds `offset`: `x * scale + offset`.
/// Keras: `keras.layers.Rescaling`.
///
/// ```swift
/// Rescaling(1.0 / 255)                 // [0, 255] → [0, 1]
/// Rescaling(1.0 / 127.5, offset: -1)   // [0, 255] → [-1, 1]
/// ```
public final class Rescaling: Layer {
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

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("scale", .double(scale))
        c.set("offset", .double(offset))
        return c
    }
}
