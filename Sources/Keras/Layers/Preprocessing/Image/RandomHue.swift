/// In training, turns the hue of each RGB image by half a factor drawn per image from `factor`,
/// in a direction drawn per image (the hue wrapped to `[0, 1]`); at inference the images pass
/// unchanged (the draws are made all the same, as Keras's). Keras: `keras.layers.RandomHue`.
public final class RandomHue: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The `[low, high]` range of the pixel values as given (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    public init(factor: JSON, valueRange: [Double] = [0, 255], dataFormat: DataFormat = .channelsLast, seed: Int? = nil,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomHue", argument: "factor")
        self.valueRange = try imageValueRange(valueRange, sorted: false, layer: "RandomHue")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    /// The hue shift of each image from the next two keys (Keras's `get_random_transformation`:
    /// a sign from `random.uniform((batch,))`, then a factor from `random.uniform((batch,),
    /// lower, upper)`).
    func shifts(count: Int, _ keys: DrawKeys) -> [Float] {
        let signs: [Float] = keys.uniform(count).map { $0 > 0.5 ? -1 : 1 }
        return zip(signs, keys.uniform(count, factor.lower, factor.upper)).map { $0 * $1 * 0.5 }
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let shifts = self.shifts(count: try imageCount(x), drawKeys)
        guard training else { return x }
        return try turning(x, shifts: shifts)
    }

    /// The images with their hue moved by `shifts` (one per image).
    func turning(_ x: Tensor, shifts: [Float]) throws -> Tensor {
        let toUnit = ValueRangeMap(from: valueRange, to: [0, 1]), back = ValueRangeMap(from: [0, 1], to: valueRange)
        return try mapPixels(x) { b, p in
            let (hue, s, v) = rgbToHSV(toUnit(p[0]), toUnit(p[1]), toUnit(p[2]))
            var h = hue + shifts[b]
            if h > 1 { h -= 1 }
            if h < 0 { h += 1 }
            let (r, g, bl) = hsvToRGB(h, s, v)
            (p[0], p[1], p[2]) = (back(clip(r, 0, 1)), back(clip(g, 0, 1)), back(clip(bl, 0, 1)))
        }
    }
}

extension RandomHue: DeclaredLayer, FactorColorLayer {
    /// Keras: `RandomHue(factor, value_range=(0, 255), data_format=None, seed=None)`; the config
    /// writes the factor as `[lower, upper]`.
    public static let declaration = factorDeclaration
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomHue.self, $0) }
