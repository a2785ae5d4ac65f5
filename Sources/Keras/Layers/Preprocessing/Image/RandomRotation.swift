import Foundation

/// In training, rotates each image about its centre by an angle drawn from
/// `[lower, upper] × 360°` (`factor` is a fraction of a full turn); at inference the images pass
/// unchanged. Keras: `keras.layers.RandomRotation`.
public final class RandomRotation: AffineAugmentation, @unchecked Sendable {
    let factor: ImageFactor

    /// - Parameter factor: a number `f` (`[−f, f]`) or a pair, in `[−1, 1]`.
    public init(factor: JSON, fillMode: String = "reflect", interpolation: String = "bilinear", seed: Int? = nil,
                fillValue: Double = 0, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: -1...1, layer: "RandomRotation", argument: "factor")
        try super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, seed: seed,
                       dataFormat: dataFormat, name: name, layer: "RandomRotation")
    }

    override func transforms(count: Int, height: Int, width: Int, random: RandomGenerator) -> [[Double]] {
        let (cx, cy) = (0.5 * Double(width - 1), 0.5 * Double(height - 1))
        return (0..<count).map { _ in
            let angle = Double(Float(factor.sample(random) * 360)) * Double.pi / 180
            let (c, s) = (cos(angle), sin(angle))
            return [c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c]
        }
    }
}

extension RandomRotation: DeclaredLayer {
    /// Keras: `RandomRotation(factor, fill_mode="reflect", interpolation="bilinear", seed=None,
    /// fill_value=0.0, data_format=None)`; the config writes the factor as `[lower, upper]`.
    public static let declaration = LayerDeclaration(RandomRotation.self, constructorOrder: [
        "factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("factor") { $0.factor.pair },
        .optional("fill_mode", \.fillMode, default: .reflect),
        .optional("fill_value", \.fillValue, default: 0),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomRotation(factor: c["factor"] ?? nil, fillMode: c.string("fill_mode"), interpolation: c.string("interpolation"),
                           seed: c.optionalInt("seed"), fillValue: c.double("fill_value"),
                           dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomRotation.self, $0) }
