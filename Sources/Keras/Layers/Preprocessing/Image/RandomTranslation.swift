/// In training, shifts each image by fractions of its height and width drawn from
/// `heightFactor`'s and `widthFactor`'s ranges; at inference the images pass unchanged.
/// Keras: `keras.layers.RandomTranslation`.
public final class RandomTranslation: AffineAugmentation, @unchecked Sendable {
    let heightFactor: ImageFactor
    let widthFactor: ImageFactor

    /// - Parameters: each factor a number `f` (`[−f, f]`) or a pair, in `(−1, 1]`.
    public init(heightFactor: JSON, widthFactor: JSON, fillMode: String = "reflect", interpolation: String = "bilinear",
                seed: Int? = nil, fillValue: Double = 0, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.heightFactor = try ImageFactor(heightFactor, bounds: -1...1, layer: "RandomTranslation", argument: "height_factor", clampLower: false)
        self.widthFactor = try ImageFactor(widthFactor, bounds: -1...1, layer: "RandomTranslation", argument: "width_factor", clampLower: false)
        try super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, seed: seed,
                       dataFormat: dataFormat, name: name, layer: "RandomTranslation")
    }

    /// Keras: `random.uniform((batch, 1), lower, upper)` times the height for every image's
    /// vertical shift, then as much times the width for the horizontal ones (float32).
    override func transforms(count: Int, height: Int, width: Int, keys nextKey: () -> ThreefryKey) -> [[Float]] {
        func shifts(_ f: ImageFactor, _ size: Int) -> [Float] {
            nextKey().uniform(count: count, minval: Float(f.lower), maxval: Float(f.upper)).map { $0 * Float(size) }
        }
        let dy = shifts(heightFactor, height), dx = shifts(widthFactor, width)
        return (0..<count).map { b in [1, 0, -dx[b], 0, 1, -dy[b]] }
    }
}

extension RandomTranslation: DeclaredLayer {
    /// Keras: `RandomTranslation(height_factor, width_factor, fill_mode="reflect",
    /// interpolation="bilinear", seed=None, fill_value=0.0, data_format=None)`.
    public static let declaration = LayerDeclaration(RandomTranslation.self, constructorOrder: [
        "height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("height_factor") { $0.heightFactor.given },
        .required("width_factor") { $0.widthFactor.given },
        .optional("fill_mode", \.fillMode, default: .reflect),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
        .optional("fill_value", \.fillValue, default: 0),
    ]) { c in
        try RandomTranslation(heightFactor: c.pythonNumber("height_factor") ?? nil, widthFactor: c.pythonNumber("width_factor") ?? nil,
                              fillMode: c.givenString("fill_mode"), interpolation: c.givenString("interpolation"),
                              seed: c.seed(), fillValue: c.double("fill_value"),
                              dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomTranslation.self, $0) }
