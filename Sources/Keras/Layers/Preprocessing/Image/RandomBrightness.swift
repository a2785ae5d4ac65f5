/// In training, adds to each image a delta drawn from `[lower, upper] × (high − low)` of
/// `valueRange`, clipped to it; at inference the images pass unchanged.
/// Keras: `keras.layers.RandomBrightness`.
public final class RandomBrightness: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[−f, f]`) or a pair, in `[−1, 1]`.
    public init(factor: JSON, valueRange: [Double] = [0, 255], seed: Int? = nil, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: -1...1, layer: "RandomBrightness", argument: "factor")
        guard valueRange.count == 2 else {
            throw KerasError.invalidArgument("RandomBrightness: value_range must be [low, high], got \(valueRange)")
        }
        self.valueRange = valueRange.sorted()
        super.init(dataFormat: .channelsLast, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try brightening(x, deltas: deltas(count: imageCount(x), key: drawKey()))
    }

    /// One delta per image, as Keras draws them on JAX: `random.uniform((batch, 1, 1, 1), lower,
    /// upper)` times the value range's width (float32).
    func deltas(count: Int, key: ThreefryKey) -> [Float] {
        let width = Float(valueRange[1] - valueRange[0])
        return key.uniform(count: count, minval: Float(factor.lower), maxval: Float(factor.upper)).map { $0 * width }
    }


    /// The images shifted by `deltas`, one per image (``RandomColorJitter``, ``RandAugment`` and
    /// ``AugMix`` draw them from their own generator).
    func brightening(_ x: Tensor, deltas: [Float]) throws -> Tensor {
        try onBatch(x.detached) { t in
            let n = t.shape[0], per = t.count / Swift.max(n, 1)
            let out = Tensor.uninitialized(t.shape)
            let p = t.data, o = out.data
            let (lo, hi) = (Float(valueRange[0]), Float(valueRange[1]))
            for b in 0..<n {
                let delta = deltas[b]
                for i in b * per..<(b + 1) * per { o[i] = Swift.min(Swift.max(p[i] + delta, lo), hi) }
            }
            return out
        }
    }
}

extension RandomBrightness: DeclaredLayer {
    /// Keras: `RandomBrightness(factor, value_range=(0, 255), seed=None)`; the config writes the
    /// factor as `[lower, upper]`.
    public static let declaration = LayerDeclaration(RandomBrightness.self, constructorOrder: ["factor", "value_range", "seed"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("factor") { $0.factor.pair },
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomBrightness(factor: c.pythonNumber("factor") ?? nil, valueRange: c.optionalNumbers("value_range") ?? [0, 255],
                             seed: c.seed(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomBrightness.self, $0) }
