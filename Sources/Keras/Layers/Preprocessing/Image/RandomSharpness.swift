/// In training, blends each image with its smoothed copy (Keras's 3×3 kernel, zero padding) by
/// `1 − 2f` for `f` drawn per image from `factor` (0.5 keeps the image, above it sharpens),
/// clipped to `valueRange`; at inference the images pass unchanged (the draw is made all the
/// same, as Keras's). Keras: `keras.layers.RandomSharpness`.
public final class RandomSharpness: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    public init(factor: JSON, valueRange: [Double] = [0, 255], dataFormat: DataFormat = .channelsLast, seed: Int? = nil,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomSharpness", argument: "factor")
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "RandomSharpness")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let factors = try drawFactors(x)
        guard training else { return x }
        return try sharpening(x, factors: factors)
    }

    /// The images sharpened by `factors` (one per image, as drawn from `factor`).
    func sharpening(_ x: Tensor, factors: [Float]) throws -> Tensor {
        let (low, high) = (Float(valueRange[0]), Float(valueRange[1]))
        return try onBatch(x.detached) { t in
            let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
            let out = Tensor.uninitialized(t.shape)
            let p = t.data, o = out.data
            let (a, centre) = (1.0 / 13.0, 5.0 / 13.0)
            for b in 0..<n {
                let keep = 1 - factors[b] * 2
                for y in 0..<h {
                    for xo in 0..<w {
                        for k in 0..<c {
                            var smoothed = 0.0
                            for dy in -1...1 where (0..<h).contains(y + dy) {
                                for dx in -1...1 where (0..<w).contains(xo + dx) {
                                    smoothed += (dy == 0 && dx == 0 ? centre : a) * Double(p[((b * h + y + dy) * w + xo + dx) * c + k])
                                }
                            }
                            let at = ((b * h + y) * w + xo) * c + k
                            o[at] = clip(blend(p[at], towards: Float(smoothed), by: keep), low, high)
                        }
                    }
                }
            }
            return out
        }
    }
}

extension RandomSharpness: DeclaredLayer, FactorColorLayer {
    /// Keras: `RandomSharpness(factor, value_range=(0, 255), data_format=None, seed=None)`; the config
    /// writes the factor as `[lower, upper]`.
    public static let declaration = factorDeclaration
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomSharpness.self, $0) }
