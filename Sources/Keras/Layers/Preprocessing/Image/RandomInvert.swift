/// In training, inverts each image (`high − x` for `valueRange`'s high end, as Keras) with a
/// probability drawn per image from `factor`; at inference the images pass unchanged.
/// Keras: `keras.layers.RandomInvert`.
public final class RandomInvert: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The `[low, high]` range of the pixel values as given (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (a probability drawn from `[0, f]`) or a pair, in `[0, 1]`.
    public init(factor: JSON = 1.0, valueRange: [Double] = [0, 255], seed: Int? = nil, dataFormat: DataFormat = .channelsLast,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomInvert", argument: "factor")
        self.valueRange = try imageValueRange(valueRange, sorted: false, layer: "RandomInvert")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        let n = try imageCount(x)
        // Keras: `random.uniform((batch,), lower, upper)`, then `random.uniform((batch,))` below it.
        let keys = drawKeys, probabilities = keys.uniform(n, factor.lower, factor.upper)
        let invert = zip(keys.uniform(n), probabilities).map { $0 < $1 }
        return try inverting(x, invert)
    }

    /// The images with those marked in `invert` inverted.
    func inverting(_ x: Tensor, _ invert: [Bool]) throws -> Tensor {
        let high = Float(valueRange[1])
        return try mapValues(x) { b, v in invert[b] ? high - v : v }
    }
}

extension RandomInvert: DeclaredLayer {
    /// Keras: `RandomInvert(factor=1.0, value_range=(0, 255), seed=None, data_format=None)`; the
    /// config writes the factor as `[lower, upper]`.
    public static let declaration = LayerDeclaration(RandomInvert.self, constructorOrder: ["factor", "value_range", "seed", "data_format"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", default: 1.0) { $0.factor.pair },
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomInvert(factor: c.pythonNumber("factor") ?? 1.0, valueRange: c.valueRange(layer: "RandomInvert"), seed: c.seed(),
                         dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomInvert.self, $0) }
