/// Masks timesteps whose features all equal `maskValue`: their outputs become 0 and the output
/// carries a mask (false at those timesteps) that layers supporting masking pass on and losses
/// and metrics honour. Keras: `keras.layers.Masking`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [10, 8]), Masking(maskValue: 0), Dense(1)])
/// ```
public final class Masking: Layer, @unchecked Sendable {
    /// The value that marks a padded timestep when every feature equals it.
    public let maskValue: Double

    public init(maskValue: Double = 0, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.maskValue = maskValue
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// 1 where some feature of the timestep differs from `maskValue`, else 0: the mask, shape
    /// the input's without its last axis.
    private func keep(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, let width = x.shape.last, width > 0 else {
            throw KerasError.shapeMismatch("Masking '\(name)': the input needs a last (feature) axis of positive size, got shape \(x.shape)")
        }
        return anyAlongLastAxis(x, differingFrom: Float(maskValue))
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try Ops.multiply(inputs, try keep(inputs).viewing(Array(inputs.shape.dropLast()) + [1]))
    }

    /// Keras: `any(inputs != mask_value, axis=-1)`.
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? {
        try keep(inputs)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }
}

extension Masking: DeclaredLayer {
    /// Keras: `Masking(mask_value=0.0)`.
    public static let declaration = LayerDeclaration(Masking.self, builtAtInit: true, checkedWhenBuilt: ["mask_value": nil], arguments: [
        .optional("mask_value", \.maskValue, default: 0),
    ]) { c in Masking(maskValue: Double(try c.float("mask_value")), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Masking.self, $0) }

/// 1 where some value along the last axis differs from `value`, else 0 (Keras's
/// `any(x != value, axis=-1)`); the shape is `x`'s without its last axis.
func anyAlongLastAxis(_ x: Tensor, differingFrom value: Float) -> Tensor {
    let width = Swift.max(x.shape.last ?? 1, 1)
    let out = Tensor(shape: Array(x.shape.dropLast()))
    let src = x.data, dst = out.data
    for r in 0..<(x.count / width) {
        var any: Float = 0
        for j in 0..<width where src[r * width + j] != value { any = 1; break }
        dst[r] = any
    }
    return out
}
