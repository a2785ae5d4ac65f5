/// In training, applies in turn the brightness, contrast, saturation and hue augmentations whose
/// factors are given (``RandomBrightness``, ``RandomContrast``, ``RandomSaturation``,
/// ``RandomHue``, held as sublayers as Keras holds them, each drawing from this layer's
/// generator); at inference the images pass unchanged. Keras: `keras.layers.RandomColorJitter`.
public final class RandomColorJitter: ImageLayer, @unchecked Sendable {
    /// The `[low, high]` range of the pixel values as given (`[0, 255]` by default).
    public let valueRange: [Double]
    /// The factors as given (null: that augmentation is left out).
    let factors: (brightness: JSON, contrast: JSON, saturation: JSON, hue: JSON)
    // Made after this layer's own generator, as Keras makes them.
    private(set) var randomBrightness: RandomBrightness?
    private(set) var randomContrast: RandomContrast?
    private(set) var randomSaturation: RandomSaturation?
    private(set) var randomHue: RandomHue?

    public init(valueRange: [Double] = [0, 255], brightnessFactor: JSON = nil, contrastFactor: JSON = nil, saturationFactor: JSON = nil,
                hueFactor: JSON = nil, seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.valueRange = try imageValueRange(valueRange, sorted: false, layer: "RandomColorJitter")
        factors = (brightnessFactor, contrastFactor, saturationFactor, hueFactor)
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
        if !brightnessFactor.isNull { randomBrightness = try RandomBrightness(factor: brightnessFactor, valueRange: valueRange, seed: seed) }
        if !contrastFactor.isNull { randomContrast = try RandomContrast(factor: contrastFactor, valueRange: valueRange, seed: seed) }
        if !saturationFactor.isNull { randomSaturation = try RandomSaturation(factor: saturationFactor, valueRange: valueRange, seed: seed) }
        if !hueFactor.isNull { randomHue = try RandomHue(factor: hueFactor, valueRange: valueRange, seed: seed) }
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        let n = try imageCount(x)
        var t = x
        // Each sublayer's transformation drawn with this layer's keys, in Keras's order.
        let keys = drawKeys
        if let l = randomBrightness { t = try l.brightening(t, deltas: l.deltas(count: n, key: keys.next())) }
        if let l = randomContrast { t = try l.contrasting(t, factors: l.factors(count: n, keys)) }
        if let l = randomSaturation { t = try l.saturating(t, scales: l.scales(count: n, keys)) }
        if let l = randomHue { t = try l.turning(t, shifts: l.shifts(count: n, keys)) }
        return t
    }
}

extension RandomColorJitter: DeclaredLayer {
    /// Keras: `RandomColorJitter(value_range=(0, 255), brightness_factor=None,
    /// contrast_factor=None, saturation_factor=None, hue_factor=None, seed=None,
    /// data_format=None)`; the config writes the factors as given.
    public static let declaration = LayerDeclaration(RandomColorJitter.self, constructorOrder: [
        "value_range", "brightness_factor", "contrast_factor", "saturation_factor", "hue_factor", "seed", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("brightness_factor", default: nil) { $0.factors.brightness },
        .optional("contrast_factor", default: nil) { $0.factors.contrast },
        .optional("saturation_factor", default: nil) { $0.factors.saturation },
        .optional("hue_factor", default: nil) { $0.factors.hue },
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomColorJitter(valueRange: c.valueRange(layer: "RandomColorJitter"), brightnessFactor: c.pythonNumber("brightness_factor") ?? nil,
                              contrastFactor: c.pythonNumber("contrast_factor") ?? nil, saturationFactor: c.pythonNumber("saturation_factor") ?? nil,
                              hueFactor: c.pythonNumber("hue_factor") ?? nil, seed: c.seed(),
                              dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomColorJitter.self, $0) }
