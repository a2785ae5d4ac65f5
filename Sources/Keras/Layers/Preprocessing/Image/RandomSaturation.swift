/// In training, scales each RGB image's saturation by `f / (1 − f + ε)` for `f` drawn per image
/// from `factor` (the saturation clipped to `valueRange`, as Keras); at inference the images
/// pass unchanged (the draw is made all the same, as Keras's). Keras: `keras.layers.RandomSaturation`.
public final class RandomSaturation: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[−f, f]`) or a pair, in `[−1, 1]` (0.5 keeps the image).
    public init(factor: JSON, valueRange: [Double] = [0, 255], dataFormat: DataFormat = .channelsLast, seed: Int? = nil,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: -1...1, layer: "RandomSaturation", argument: "factor")
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "RandomSaturation")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    /// One scale per image from the next key (Keras's `get_random_transformation`: `f / (1 − f +
    /// ε)` of `random.uniform((batch,), lower, upper)`).
    func scales(count: Int, _ keys: DrawKeys) -> [Float] {
        keys.uniform(count, factor.lower, factor.upper).map { f in f / (1 - f + 1e-7) }   // Keras: backend.epsilon()
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let scales = self.scales(count: try imageCount(x), drawKeys)
        guard training else { return x }
        return try saturating(x, scales: scales)
    }

    /// The images with their saturation scaled by `scales` (one per image).
    func saturating(_ x: Tensor, scales: [Float]) throws -> Tensor {
        let (low, high) = (Float(valueRange[0]), Float(valueRange[1]))
        return try mapPixels(x) { b, p in
            let (h, s, v) = rgbToHSV(p[0], p[1], p[2])
            (p[0], p[1], p[2]) = hsvToRGB(h, clip(s * scales[b], low, high), v)
        }
    }
}

extension RandomSaturation: DeclaredLayer, FactorColorLayer {
    /// Keras: `RandomSaturation(factor, value_range=(0, 255), data_format=None, seed=None)`; the config
    /// writes the factor as `[lower, upper]`.
    public static let declaration = factorDeclaration
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomSaturation.self, $0) }
