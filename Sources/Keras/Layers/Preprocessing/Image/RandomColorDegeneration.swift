/// In training, blends each RGB image towards its grayscale by a factor drawn per image from
/// `factor` (`x + f · (gray − x)`), clipped to `valueRange`; at inference the images pass
/// unchanged (the draw is made all the same, as Keras's). Keras: `keras.layers.RandomColorDegeneration`.
public final class RandomColorDegeneration: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[−f, f]`) or a pair, in `[−1, 1]`.
    public init(factor: JSON, valueRange: [Double] = [0, 255], dataFormat: DataFormat = .channelsLast, seed: Int? = nil,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: -1...1, layer: "RandomColorDegeneration", argument: "factor")
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "RandomColorDegeneration")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let factors = try drawFactors(x)
        guard training else { return x }
        return try degenerating(x, factors: factors)
    }

    /// The images blended towards their grayscale by `factors` (one per image).
    func degenerating(_ x: Tensor, factors: [Float]) throws -> Tensor {
        let (low, high) = (Float(valueRange[0]), Float(valueRange[1]))
        return try mapPixels(x) { b, p in
            let g = grayscale(p[0], p[1], p[2])
            for k in 0..<3 { p[k] = clip(blend(p[k], towards: g, by: factors[b]), low, high) }
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == 3 || inputShape.count == 4 else {
            throw KerasError.shapeMismatch("RandomColorDegeneration: Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). Received: input_shape=\(formatShape(inputShape))")
        }
        if let c = inputShape[dataFormat == .channelsLast ? inputShape.count - 1 : inputShape.count - 3], c != 3 {
            throw KerasError.shapeMismatch("RandomColorDegeneration: Input images must have 3 channels, but received images with \(c) channels.")
        }
        return inputShape
    }
}

extension RandomColorDegeneration: DeclaredLayer, FactorColorLayer {
    /// Keras: `RandomColorDegeneration(factor, value_range=(0, 255), data_format=None, seed=None)`; the config
    /// writes the factor as `[lower, upper]`.
    public static let declaration = factorDeclaration
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomColorDegeneration.self, $0) }
