/// Masks timesteps whose features all equal `maskValue`: their outputs become 0 and the output
/// carries a mask (false at those timesteps) that layers supporting masking pass on and losses
/// and metrics honour. Keras: `keras.layers.Masking`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [10, 8]), Masking(maskValue: 0), Dense(1)])
/// ```
public final class Masking: Layer {
    /// The value that marks a padded timestep when every feature equals it.
    public let maskValue: Double

    public init(maskValue: Double = 0, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.maskValue = maskValue
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
        supportsMasking = true
    }

    /// 1 where some feature of the timestep differs from `maskValue`, else 0; shape `[rows, 1]`
    /// over the last axis, with the number of rows.
    private func keep(_ x: Tensor) throws -> (Tensor, rows: Int) {
        guard x.rank >= 1, let width = x.shape.last, width > 0 else {
            throw KerasError.shapeMismatch("Masking '\(name)': the input needs a last (feature) axis of positive size, got shape \(x.shape)")
        }
        let rows = x.count / width
        let value = Float(maskValue)
        let out = Tensor(shape: Array(x.shape.dropLast()) + [1])
        let src = x.data, dst = out.data
        for r in 0..<rows {
            var any = false
            for j in 0..<width where src[r * width + j] != value { any = true; break }
            dst[r] = any ? 1 : 0
        }
        return (out, rows)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try Ops.multiply(inputs, try keep(inputs).0)
    }

    /// Keras: `any(inputs != mask_value, axis=-1)`.
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? {
        try keep(inputs).0.viewing(Array(inputs.shape.dropLast()))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("mask_value", .double(maskValue))
        return c
    }

    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = Masking(maskValue: Double(try c.float("mask_value", default: 0)), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}
