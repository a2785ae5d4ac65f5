/// The negative cosine similarity along `axis`: `-sum(l2_normalize(y) * l2_normalize(ŷ))`, so
/// that minimising it aligns the vectors. Keras: `CosineSimilarity(axis=-1)` /
/// `"cosine_similarity"` (Keras 2: `"cosine_proximity"`); its config, as Keras's, holds only
/// name and reduction.
public final class CosineSimilarity: Loss, @unchecked Sendable {
    public let axis: Int

    public init(axis: Int = -1, reduction: Reduction = .sumOverBatchSize, name: String = "cosine_similarity") {
        self.axis = axis
        super.init(name: name, reduction: reduction)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("CosineSimilarity", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let axis = try a.int("axis") ?? -1
        try a.finish()
        self.init(axis: axis, reduction: reduction, name: name ?? "cosine_similarity")
    }

    /// `x * min(rsqrt(sum(x²)), 1/ε)` along the axis, as Keras's `ops.normalize`.
    func normalize(_ x: Tensor) throws -> Tensor {
        let squares = try Ops.sum(Ops.square(x), axis: axis, keepDims: true)
        let inverse = Ops.pow(try Ops.maximum(squares, Tensor(kerasEpsilon * kerasEpsilon)), -0.5)
        return try x * inverse
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        return -(try Ops.sum(try normalize(t) * normalize(p), axis: axis))
    }
}
