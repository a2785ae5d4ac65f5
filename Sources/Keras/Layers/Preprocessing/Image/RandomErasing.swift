/// In training, erases a rectangle of each image with probability drawn from `factor`'s range:
/// its sides are `√s` of the image's (`s` drawn from `scale`'s range per side), its place drawn
/// uniformly, and it is filled with `fillValue` (a number, or one per channel) or, without
/// one, with Gaussian noise scaled by `valueRange`'s upper end; fills are clipped to
/// `valueRange`. At inference the images pass unchanged. Keras: `keras.layers.RandomErasing`.
public final class RandomErasing: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    let scale: ImageFactor
    /// The fill: nil (noise), one number, or three (one per channel).
    public let fillValue: [Double]?
    /// The `[low, high]` range fills are clipped to.
    public let valueRange: [Double]

    /// - Parameters:
    ///   - factor: the erasing probability, a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    ///   - scale: the area fraction's range, a number or a pair in `[0, 1]`.
    public init(factor: JSON = 1.0, scale: JSON = [0.02, 0.33], fillValue: [Double]? = nil, valueRange: [Double] = [0, 255],
                seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomErasing", argument: "factor")
        self.scale = try ImageFactor(scale, bounds: 0...1, layer: "RandomErasing", argument: "scale")
        if let fillValue, fillValue.count != 1 && fillValue.count != 3 {
            throw KerasError.invalidArgument("RandomErasing: fill_value must be a number or a list of three numbers, got \(fillValue)")
        }
        self.fillValue = fillValue
        self.valueRange = try imageValueRange(valueRange, layer: "RandomErasing")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try onBatch(x.detached) { t in
            // Keras draws, each with the next key, the scales (`random.uniform((batch, 2), lower,
            // upper)`, x then y of each image), the x and the y starts (`random.uniform((batch,))`
            // each), the probabilities, the thresholds and, without a fill value, the noise
            // (`random.normal(images.shape) * high`, in the images' own layout: channels first,
            // the noise of a channel's plane is contiguous).
            let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
            let (lo, hi) = (Float(valueRange[0]), Float(valueRange[1]))
            let keys = drawKeys
            let ratios = keys.uniform(2 * n, scale.lower, scale.upper).map { $0.squareRoot() }
            let startsX = keys.uniform(n), startsY = keys.uniform(n)
            let probabilities = keys.uniform(n, factor.lower, factor.upper)
            let erased = zip(keys.uniform(n), probabilities).map { $0 < $1 }
            let noise = fillValue == nil ? keys.normal(t.count) : []
            let out = t.copy()
            let channelsFirst = dataFormat == .channelsFirst
            for b in 0..<n {
                let box = ImageBox(unit: (startsX[b], startsY[b]), height: h, width: w, ratio: (x: ratios[2 * b], y: ratios[2 * b + 1]))
                guard erased[b] else { continue }
                let o = out.data + b * h * w * c
                for y in 0..<h where box.containsRow(y) {
                    for xo in 0..<w where box.containsColumn(xo) {
                        for k in 0..<c {
                            let at = (y * w + xo) * c + k
                            let drawn = channelsFirst ? ((b * c + k) * h + y) * w + xo : b * h * w * c + at
                            let fill = fillValue.map { Float($0.count == 1 ? $0[0] : $0[k % 3]) } ?? noise[drawn] * hi
                            o[at] = Swift.min(Swift.max(fill, lo), hi)
                        }
                    }
                }
            }
            return out
        }
    }
}

/// The rectangle Keras's RandomErasing and CutMix draw: sides `ratio × (width, height)`, its
/// start drawn uniformly where it fits; pixel `(x, y)` is inside when `x0 ≤ x < x1` and
/// `y0 ≤ y < y1` (Keras's `_compute_crop_bounds` and `_generate_batch_mask`).
struct ImageBox {
    let x0: Float, x1: Float, y0: Float, y1: Float

    /// The box whose start is `unit` (uniforms in `[0, 1)`) of the room left along each side.
    init(unit: (x: Float, y: Float), height: Int, width: Int, ratio: (x: Float, y: Float)) {
        let cw = ratio.x * Float(width), ch = ratio.y * Float(height)
        x0 = unit.x * (Float(width) - cw)
        x1 = x0 + cw
        y0 = unit.y * (Float(height) - ch)
        y1 = y0 + ch
    }

    func containsRow(_ y: Int) -> Bool { Float(y) >= y0 && Float(y) < y1 }
    func containsColumn(_ x: Int) -> Bool { Float(x) >= x0 && Float(x) < x1 }

}

extension RandomErasing: DeclaredLayer {
    /// Keras: `RandomErasing(factor=1.0, scale=(0.02, 0.33), fill_value=None,
    /// value_range=(0, 255), seed=None, data_format=None)`; the config writes factor and scale
    /// as pairs.
    public static let declaration = LayerDeclaration(RandomErasing.self, constructorOrder: [
        "factor", "scale", "fill_value", "value_range", "seed", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", default: 1.0) { $0.factor.pair },
        .optional("scale", default: [0.02, 0.33]) { $0.scale.pair },
        .optional("fill_value", default: nil) { l in
            l.fillValue.map { v in v.count == 1 ? .double(v[0]) : .array(v.map { .double($0) }) } ?? .null
        },
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        let fill: [Double]? = try c["fill_value"].map { v in
            if let d = v.doubleValue { return [d] }
            return try c.optionalNumbers("fill_value") ?? []
        }
        return try RandomErasing(factor: c.pythonNumber("factor") ?? 1.0, scale: c.pythonNumber("scale") ?? [0.02, 0.33], fillValue: fill,
                                 valueRange: c.optionalNumbers("value_range") ?? [0, 255], seed: c.seed(),
                                 dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomErasing.self, $0) }
