/// In training, displaces each image's pixels, with probability drawn from `factor`'s range, by
/// a smooth random field: Gaussian noise of deviation `σ` blurred by a Gaussian of `σ`
/// (`6σ | 1` taps), scaled by `α`, with `α = 0.1·d·max(h, w)` and `σ = 0.05·d·min(h, w)` for a
/// distortion `d` drawn once per call from `scale`'s range. As in Keras (jax), one noise draw
/// serves both axes, so points move along the diagonal. Points from outside are filled by
/// `fillMode`; the images are then clipped to `valueRange`. At inference the images pass
/// unchanged. Keras: `keras.layers.RandomElasticTransform`.
public final class RandomElasticTransform: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    let scale: ImageFactor
    let interpolation: Interpolation
    /// `constant`, `nearest`, `wrap`, `mirror` or `reflect` (`map_coordinates`'s modes).
    public let fillMode: String
    public let fillValue: Double
    /// The `[low, high]` range the outputs are clipped to.
    public let valueRange: [Double]

    /// - Parameters:
    ///   - factor: the probability, a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    ///   - scale: the distortion's range, a number or a pair in `[0, 1]`.
    public init(factor: JSON = 1.0, scale: JSON = 1.0, interpolation: String = "bilinear", fillMode: String = "reflect",
                fillValue: Double = 0, valueRange: [Double] = [0, 255], seed: Int? = nil, dataFormat: DataFormat = .channelsLast,
                name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomElasticTransform", argument: "factor")
        self.scale = try ImageFactor(scale, bounds: 0...1, layer: "RandomElasticTransform", argument: "scale")
        self.interpolation = try .named(interpolation, layer: "RandomElasticTransform")
        guard ["constant", "nearest", "wrap", "mirror", "reflect"].contains(fillMode) else {
            throw notImplementedChoice("fill_mode", fillMode, "{'constant', 'nearest', 'wrap', 'mirror', 'reflect'}", layer: "RandomElasticTransform")
        }
        self.fillMode = fillMode
        self.fillValue = fillValue
        self.valueRange = try imageValueRange(valueRange, layer: "RandomElasticTransform")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training, scale.upper != 0, factor.upper != 0 else { return x }
        return try onBatch(x.detached) { t in
            // Keras draws, each with the next key, the probabilities (`random.uniform((batch,),
            // lower, upper)`), the thresholds (`random.uniform((batch,))`), the distortion
            // (`random.uniform((), lower, upper)`) and, in `elastic_transform`, the noise
            // (`random.normal((batch, height, width)) * sigma`, one draw for both axes).
            let keys = drawKeys
            let (n, h, w) = (t.shape[0], t.shape[1], t.shape[2])
            let probabilities = keys.uniform(n, factor.lower, factor.upper)
            let applied = zip(keys.uniform(n), probabilities).map { $0 < $1 }
            let distortion = keys.uniform(1, scale.lower, scale.upper)[0]
            let alpha = Float(Swift.max(h, w)) * (0.1 * distortion), sigma = Float(Swift.min(h, w)) * (0.05 * distortion)
            let taps = Int(6 * sigma) | 1
            let noise = Tensor.uninitialized([n, h, w, 1])
            keys.next().fillNormal(noise.data, count: noise.count, stddev: sigma)
            let field = Kernels.gaussianBlur(noise, images: Array(repeating: true, count: n), width: taps, sigmaX: sigma,
                                             height: taps, sigmaY: sigma)
            let warped = Kernels.resample(t, bilinear: interpolation == .bilinear, fillMode: fillMode, fillValue: Float(fillValue),
                                          at: DiagonalField(applied: applied, field: field, alpha: alpha, height: h, width: w))
            return Ops.clip(warped, Float(valueRange[0]), Float(valueRange[1]))
        }
    }
}

/// Each pixel of an image to warp moves by `alpha × field` along both axes (the others stay).
private struct DiagonalField: SamplePoints {
    let applied: [Bool]
    let field: Tensor
    let alpha: Float
    let height: Int, width: Int

    func row(image: Int, y: Int, width: Int, x xs: UnsafeMutablePointer<Float>, y ys: UnsafeMutablePointer<Float>) {
        let moves = field.data + (image * height + y) * self.width, fy = Float(y), moved = applied[image]
        for i in 0..<width {
            let move = moved ? alpha * moves[i] : 0
            xs[i] = Float(i) + move
            ys[i] = fy + move
        }
    }
}

extension RandomElasticTransform: DeclaredLayer {
    /// Keras: `RandomElasticTransform(factor=1.0, scale=1.0, interpolation="bilinear",
    /// fill_mode="reflect", fill_value=0.0, value_range=(0, 255), seed=None, data_format=None)`;
    /// the config writes factor and scale as pairs.
    public static let declaration = LayerDeclaration(RandomElasticTransform.self, constructorOrder: [
        "factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range", "seed", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", default: 1.0) { $0.factor.pair },
        .optional("scale", default: 1.0) { $0.scale.pair },
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("fill_mode", \.fillMode, default: "reflect"),
        .optional("fill_value", \.fillValue, default: 0),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomElasticTransform(factor: c.pythonNumber("factor") ?? 1.0, scale: c.pythonNumber("scale") ?? 1.0, interpolation: c.givenString("interpolation"),
                                   fillMode: c.givenString("fill_mode"), fillValue: c.double("fill_value"),
                                   valueRange: c.optionalNumbers("value_range") ?? [0, 255], seed: c.seed(),
                                   dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomElasticTransform.self, $0) }
