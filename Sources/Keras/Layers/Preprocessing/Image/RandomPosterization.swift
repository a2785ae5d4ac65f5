/// In training, keeps the `bits` highest bits of each 8-bit pixel value (values mapped from
/// `valueRange` to `[0, 255]` and back), `bits` drawn per image from `factor`'s `[lower, upper)`
/// (or `lower` when the two are equal); at inference the images pass unchanged.
/// Keras: `keras.layers.RandomPosterization`.
public final class RandomPosterization: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameter factor: a number `f` (`[1, f]`) or a pair, in `[1, 8]`.
    public init(factor: JSON, valueRange: [Double] = [0, 255], dataFormat: DataFormat = .channelsLast, seed: Int? = nil,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 1...8, layer: "RandomPosterization", argument: "factor")
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "RandomPosterization")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    /// `[lower, upper]`, whole numbers written as integers (as Keras's `(1, 4)`).
    var factorConfig: JSON {
        .array([factor.lower, factor.upper].map { $0 == $0.rounded() && abs($0) < 9e15 ? .int(Int($0)) : .double($0) })
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let n = try imageCount(x)
        // Keras draws (even at inference) only when the range holds more than one value.
        let bits = bits(count: n, drawKeys)
        guard training else { return x }
        return try posterizing(x, bits: bits)
    }

    /// Keras draws the bits only when the factor's range holds more than one value.
    var bitsDraws: Int { factor.lower != factor.upper ? 1 : 0 }

    /// The bits kept in each image: Keras's `random.randint((batch,), lower, upper,
    /// dtype="uint8")` from the next key (JAX draws it as int32 between the bounds clipped to
    /// uint8's, then casts), or `lower` (no draw) when the two are equal.
    func bits(count: Int, _ keys: DrawKeys) -> [Int] {
        let (low, high) = (Int(factor.lower), Int(factor.upper))
        guard bitsDraws > 0 else { return [Int](repeating: low, count: count) }
        return keys.randint(count, Swift.min(Swift.max(low, 0), 255), Swift.min(Swift.max(high, 0), 256))
    }

    /// The images with each value of image `b` kept to its `bits[b]` highest bits.
    func posterizing(_ x: Tensor, bits: [Int]) throws -> Tensor {
        let toPixels = ValueRangeMap(from: valueRange, to: [0, 255]), back = ValueRangeMap(from: [0, 255], to: valueRange)
        return try mapValues(x) { b, v in
            let shift = UInt8(clamping: Swift.max(8 - bits[b], 0))
            let pixel = toPixels(v)
            let byte: UInt8 = pixel.isNaN ? 0 : UInt8(clip(pixel, 0, 255))
            return back(Float(shift >= 8 ? 0 : (byte >> shift) << shift))
        }
    }
}

extension RandomPosterization: DeclaredLayer, FactorColorLayer {
    /// Keras: `RandomPosterization(factor, value_range=(0, 255), data_format=None, seed=None)`; the config
    /// writes the factor as `[lower, upper]`.
    public static let declaration = factorDeclaration
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomPosterization.self, $0) }
