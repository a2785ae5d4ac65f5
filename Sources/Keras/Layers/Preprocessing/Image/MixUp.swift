/// In training, mixes each image with another of the batch (a random permutation):
/// `w·x[i] + (1 − w)·x[perm[i]]`, `w` drawn per image from Beta(`alpha`, `alpha`). At inference
/// the images pass unchanged (Keras still draws, so the generator moves on as Keras's).
/// Keras: `keras.layers.MixUp` (on images; its dict form that mixes labels too is not offered).
public final class MixUp: ImageLayer, @unchecked Sendable {
    /// The Beta distribution's parameters.
    public let alpha: Double

    public init(alpha: Double = 0.2, dataFormat: DataFormat = .channelsLast, seed: Int? = nil, name: String? = nil) throws {
        guard alpha > 0, alpha.isFinite else {
            throw KerasError.invalidArgument("MixUp: alpha must be a positive number (Beta(alpha, alpha) draws the weights), got \(alpha)")
        }
        self.alpha = alpha
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        // Keras draws the permutation (`random.shuffle(arange(batch))`), then the weights
        // (`random.beta((batch,), alpha, alpha)`), in every call, in inference too.
        let keys = drawKeys, n = try imageCount(x)
        let order = keys.shuffled(n), weights = keys.beta(n, Float(alpha), Float(alpha))
        guard training else { return x }
        return try onBatch(x.detached) { t in
            let per = t.count / Swift.max(n, 1)
            let out = Tensor.uninitialized(t.shape)
            for b in 0..<n {
                let w = weights[b]
                let p = t.data + b * per, q = t.data + order[b] * per, o = out.data + b * per
                for i in 0..<per { o[i] = w * p[i] + (1 - w) * q[i] }
            }
            return out
        }
    }
}

extension MixUp: DeclaredLayer {
    /// Keras: `MixUp(alpha=0.2, data_format=None, seed=None)`.
    public static let declaration = LayerDeclaration(MixUp.self, constructorOrder: ["alpha", "data_format", "seed"], checkedWhenBuilt: ["alpha": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("alpha", \.alpha, default: 0.2),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try MixUp(alpha: c.double("alpha"), dataFormat: DataFormat.named(c.string("data_format")), seed: c.seed(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MixUp.self, $0) }
