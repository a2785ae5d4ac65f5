/// Global average pooling over the steps; see BaseGlobalPooling. With a mask (from `Masking` or
/// `Embedding(maskZero: true)`) it averages only the unmasked steps, and its output has no mask.
/// Keras: `keras.layers.GlobalAveragePooling1D` (alias `GlobalAvgPool1D`).
public final class GlobalAveragePooling1D: BaseGlobalPooling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { false }

    public required init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil,
                         trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) {
        super.init(dataFormat: dataFormat, keepdims: keepdims, name: name, trainable: trainable,
                   inputShape: inputShape, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// Keras: `sum(where(mask, x, 0), steps) / sum(mask, steps)` (a sample with every step masked gives NaN, as in Keras).
    override class var callTakesMask: Bool { true }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard inputs.count == 1, let m = mask?.first ?? nil else { return [try call(inputs, training: training)] }
        let x = inputs[0]
        try checkRank(x.rank, "\(x.shape)")
        let steps = spatialAxes[0]
        guard m.shape == [x.shape[0], x.shape[steps]] else {
            throw KerasError.shapeMismatch("GlobalAveragePooling1D '\(name)': mask of shape \(m.shape) does not fit an input of shape \(x.shape)")
        }
        let weights = try Ops.reshape(Ops.greater(m, Tensor(0)), steps == 1 ? [m.shape[0], m.shape[1], 1] : [m.shape[0], 1, m.shape[1]])
        let keep = try Ops.multiply(weights, Tensor(shape: x.shape, repeating: 1))
        let total = try Ops.sum(Ops.where(keep, x, Tensor(shape: x.shape)), axes: [steps], keepDims: keepdims)
        return [try Ops.divide(total, Ops.sum(weights, axes: [steps], keepDims: keepdims))]
    }

    /// The output carries no mask. Keras: `compute_mask` returns None.
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? { nil }
}

extension GlobalAveragePooling1D: DeclaredLayer {
    /// Keras: `GlobalAveragePooling1D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalAveragePooling1D.self, aliases: ["GlobalAvgPool1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalAveragePooling1D.self, $0) }
