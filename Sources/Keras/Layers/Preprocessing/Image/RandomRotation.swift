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

    /// Keras: one angle per image, `random.uniform((batch,), lower × 360, upper × 360)` in
    /// degrees, then its `_compute_affine_matrix` (float32) about the image's centre.
    override func transforms(count: Int, height: Int, width: Int, keys nextKey: () -> ThreefryKey) -> [[Float]] {
        let angles = nextKey().uniform(count: count, minval: Float(factor.lower * 360), maxval: Float(factor.upper * 360))
        return angles.map { Self.rotationMatrix(degrees: $0, height: height, width: width) }
    }

    /// Keras's `_compute_affine_matrix` for a rotation by `degrees` about the image's centre (no
    /// shear, translation or scaling), in float32 as Keras computes it: `[a0, a1, a2, b0, b1, b2]`.
    static func rotationMatrix(degrees: Float, height: Int, width: Int) -> [Float] {
        let angle = degrees * Float(Double.pi / 180)
        let (cx, cy) = (0.5 * (Float(width) - 1), 0.5 * (Float(height) - 1))
        let (c, s) = (cosf(angle), sinf(angle))
        return [c, -s, (cx - cx * c) - cy * -s, s, c, (cy - cx * s) - cy * c]
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
        try RandomRotation(factor: c.pythonNumber("factor") ?? nil, fillMode: c.givenString("fill_mode"), interpolation: c.givenString("interpolation"),
                           seed: c.seed(), fillValue: c.double("fill_value"),
                           dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomRotation.self, $0) }
