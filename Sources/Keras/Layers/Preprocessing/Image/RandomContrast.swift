/// In training, scales each image's deviation from its per-channel mean by a factor drawn from
/// `[1 − lower, 1 + upper]`, clipped to `valueRange`; at inference the images pass unchanged.
/// Keras: `keras.layers.RandomContrast`.
public final class RandomContrast: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The `[low, high]` range outputs are clipped to (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    public init(factor: JSON, valueRange: [Double] = [0, 255], seed: Int? = nil, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomContrast", argument: "factor")
        guard valueRange.count == 2 else {
            throw KerasError.invalidArgument("RandomContrast: value_range must be [low, high], got \(valueRange)")
        }
        self.valueRange = valueRange
        super.init(dataFormat: .channelsLast, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try contrasting(x, factors: factors(count: imageCount(x), drawKeys))
    }

    /// One contrast factor per image: Keras's `random.uniform((batch, 1, 1, 1), 1 − lower,
    /// 1 + upper)` from the next key.
    func factors(count: Int, _ keys: DrawKeys) -> [Float] { keys.uniform(count, 1 - factor.lower, 1 + factor.upper) }

    /// The images with their contrast scaled by `factors`, one per image (``RandomColorJitter``,
    /// ``RandAugment`` and ``AugMix`` draw them from their own generator).
    func contrasting(_ x: Tensor, factors: [Float]) throws -> Tensor {
        try onBatch(x.detached) { t in
            let (n, hw, c) = (t.shape[0], t.shape[1] * t.shape[2], t.shape[3])
            let out = Tensor.uninitialized(t.shape)
            let p = t.data, o = out.data
            let (lo, hi) = (Float(valueRange[0]), Float(valueRange[1]))
            for b in 0..<n {
                let f = factors[b]
                var mean = [Float](repeating: 0, count: c)
                for i in 0..<hw { for k in 0..<c { mean[k] += p[(b * hw + i) * c + k] } }
                for k in 0..<c { mean[k] /= Float(hw) }
                for i in 0..<hw {
                    for k in 0..<c {
                        let at = (b * hw + i) * c + k
                        o[at] = Swift.min(Swift.max((p[at] - mean[k]) * f + mean[k], lo), hi)
                    }
                }
            }
            return out
        }
    }
}

extension RandomContrast: DeclaredLayer {
    /// Keras: `RandomContrast(factor, value_range=(0, 255), seed=None)`; the config writes the
    /// factor as `[lower, upper]`.
    public static let declaration = LayerDeclaration(RandomContrast.self, constructorOrder: ["factor", "value_range", "seed"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("factor") { $0.factor.pair },
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomContrast(factor: c.pythonNumber("factor") ?? nil, valueRange: c.optionalNumbers("value_range") ?? [0, 255],
                           seed: c.seed(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomContrast.self, $0) }
