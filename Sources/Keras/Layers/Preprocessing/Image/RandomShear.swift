/// In training, shears each image about its top-left corner: output pixel `(x, y)` samples the
/// input at `(x + s·sx·y, s·sy·x + y)`, `sx` and `sy` drawn from `xFactor`'s and `yFactor`'s
/// ranges and the sign `s` (±1, the same for both axes) drawn per image; at inference the images
/// pass unchanged. Keras: `keras.layers.RandomShear`.
public final class RandomShear: AffineAugmentation, @unchecked Sendable {
    let xFactor: ImageFactor
    let yFactor: ImageFactor

    /// - Parameters: each factor a number `f` in `[0, 1]` (`[−f, f]`) or a pair of numbers in
    ///   `[0, 1]`, a fraction of the image to shear over.
    public init(xFactor: JSON = 0.0, yFactor: JSON = 0.0, interpolation: String = "bilinear", fillMode: String = "reflect",
                fillValue: Double = 0, dataFormat: DataFormat = .channelsLast, seed: Int? = nil, name: String? = nil) throws {
        self.xFactor = try Self.factor(xFactor, "x_factor")
        self.yFactor = try Self.factor(yFactor, "y_factor")
        try super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, seed: seed,
                       dataFormat: dataFormat, name: name, layer: "RandomShear")
    }

    /// Keras's `_set_factor_with_name`: every number given must lie in `[0, 1]`.
    private static func factor(_ json: JSON, _ argument: String) throws -> ImageFactor {
        let values = json.doubleValue.map { [$0] } ?? json.arrayValue?.compactMap(\.doubleValue) ?? []
        guard values.allSatisfy({ (0...1).contains($0) }) else {
            throw KerasError.invalidArgument("RandomShear: \(argument) must be a number or a pair of numbers in [0, 1], got \(json)")
        }
        return try ImageFactor(json, bounds: 0...1, layer: "RandomShear", argument: argument, clampLower: false)
    }

    /// Keras: `random.uniform((batch, 1))` above 0.5 flips an image's sign, then
    /// `random.uniform((batch, 1), lower, upper)` for the y shears and as much for the x shears.
    override func transforms(count: Int, height: Int, width: Int, keys nextKey: () -> ThreefryKey) -> [[Float]] {
        let signs = nextKey().uniform(count: count).map { $0 > 0.5 ? Float(-1) : 1 }
        let sy = nextKey().uniform(count: count, minval: Float(yFactor.lower), maxval: Float(yFactor.upper))
        let sx = nextKey().uniform(count: count, minval: Float(xFactor.lower), maxval: Float(xFactor.upper))
        return (0..<count).map { b in [1, sx[b] * signs[b], 0, sy[b] * signs[b], 1, 0] }
    }
}

extension RandomShear: DeclaredLayer {
    /// Keras: `RandomShear(x_factor=0.0, y_factor=0.0, interpolation="bilinear",
    /// fill_mode="reflect", fill_value=0.0, data_format=None, seed=None)`; the config writes the
    /// factors as `[lower, upper]`.
    public static let declaration = LayerDeclaration(RandomShear.self, constructorOrder: [
        "x_factor", "y_factor", "interpolation", "fill_mode", "fill_value", "data_format", "seed",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("x_factor", default: 0.0) { $0.xFactor.pair },
        .optional("y_factor", default: 0.0) { $0.yFactor.pair },
        .optional("fill_mode", \.fillMode, default: .reflect),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
        .optional("fill_value", \.fillValue, default: 0),
    ]) { c in
        try RandomShear(xFactor: c.pythonNumber("x_factor") ?? 0.0, yFactor: c.pythonNumber("y_factor") ?? 0.0, interpolation: c.givenString("interpolation"),
                        fillMode: c.givenString("fill_mode"), fillValue: c.double("fill_value"),
                        dataFormat: DataFormat.named(c.string("data_format")), seed: c.seed(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomShear.self, $0) }
