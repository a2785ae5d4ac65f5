#if canImport(Glibc)
import Glibc
#endif

/// Circle loss for metric learning: integer labels against L2-normalised embeddings, with
/// positive pairs (same label) pulled together and negative pairs pushed apart within the batch.
/// Samples with no positive pair count for nothing (Keras masks losses that are 0).
/// Keras: `Circle(gamma=80.0, margin=0.4, remove_diagonal=True)` / `"circle"`.
public final class Circle: Loss, @unchecked Sendable {
    public let gamma: Double
    public let margin: Double
    public let removeDiagonal: Bool

    public init(gamma: Double = 80, margin: Double = 0.4, removeDiagonal: Bool = true,
                reduction: Reduction = .sumOverBatchSize, name: String = "circle") {
        self.gamma = gamma
        self.margin = margin
        self.removeDiagonal = removeDiagonal
        super.init(name: name, reduction: reduction)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Circle", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let gamma = try a.double("gamma", default: 80), margin = try a.double("margin", default: 0.4)
        let removeDiagonal = try a.bool("remove_diagonal", default: true)
        try a.finish()
        self.init(gamma: gamma, margin: margin, removeDiagonal: removeDiagonal, reduction: reduction, name: name ?? "circle")
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        try maskedPerSample(yTrue, yPred).values
    }

    public override func maskedPerSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> (values: Tensor, mask: Tensor?) {
        guard yPred.rank == 2 else {
            throw KerasError.shapeMismatch("circle: embeddings must have shape [batch, dim], got \(yPred.shape)")
        }
        let n = yPred.shape[0]
        let labels = yTrue.detached
        guard labels.count == n else {
            throw KerasError.shapeMismatch("circle: \(labels.count) labels for \(n) embeddings")
        }
        let positive = Tensor(shape: [n, n], repeating: 0), negative = Tensor(shape: [n, n], repeating: 0)
        for i in 0..<n {
            for j in 0..<n {
                // Keras casts labels to int32.
                let same = Int32(clamping: Int(exactly: labels.data[i].rounded(.towardZero)) ?? 0)
                    == Int32(clamping: Int(exactly: labels.data[j].rounded(.towardZero)) ?? 0)
                positive.data[i * n + j] = same && !(removeDiagonal && i == j) ? 1 : 0
                negative.data[i * n + j] = same ? 0 : 1
            }
        }
        let m = Float(margin), g = Float(gamma)
        let distance = Ops.relu(1 - (try Ops.matmul(yPred, Ops.transpose(yPred))))
        let posWeights = Ops.relu(try (distance + m) * positive)
        let negWeights = Ops.relu(try ((1 + m) - distance) * negative)
        let posTerms = try posWeights * (m - distance) * -g
        let negTerms = try negWeights * ((1 - m) - distance) * g
        let total = try Ops.maskedLogSumExp(posTerms, mask: positive) + Ops.maskedLogSumExp(negTerms, mask: negative)
        let values = Ops.activation(total, .softplus)
        return (values, Kernels.map(values) { $0 > 0 ? 1 : 0 })
    }

    public override var config: JSON {
        var c = super.config
        c.set("gamma", .double(gamma)); c.set("margin", .double(margin)); c.set("remove_diagonal", .bool(removeDiagonal))
        return c
    }
}

extension Ops {
    /// `log Σ_j exp(x_ij)` over the entries of each row of a matrix where `mask` is non-zero;
    /// `-inf` for a row with none (its gradient is zero). Keras: `logsumexp(where(mask, x, -inf), axis=1)`.
    public static func maskedLogSumExp(_ x: Tensor, mask: Tensor) throws -> Tensor {
        guard x.rank == 2, mask.shape == x.shape else {
            throw KerasError.shapeMismatch("maskedLogSumExp: expects a matrix and a mask of the same shape, got \(x.shape) and \(mask.shape)")
        }
        let (rows, cols) = (x.shape[0], x.shape[1])
        let out = Tensor.uninitialized([rows])
        let px = x.data, pm = mask.data, po = out.data
        for r in 0..<rows {
            var top = -Float.infinity
            for c in 0..<cols where pm[r * cols + c] != 0 { top = Swift.max(top, px[r * cols + c]) }
            guard top > -.infinity else { po[r] = -.infinity; continue }
            var s: Float = 0
            for c in 0..<cols where pm[r * cols + c] != 0 { s += expf(px[r * cols + c] - top) }
            po[r] = top + logf(s)
        }
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor(shape: x.shape, repeating: 0)
            let pg = g.data, pd = dx.data
            for r in 0..<rows where po[r] > -.infinity {
                for c in 0..<cols where pm[r * cols + c] != 0 { pd[r * cols + c] = pg[r] * expf(px[r * cols + c] - po[r]) }
            }
            t.accumulate(x, dx)
        }
    }
}
