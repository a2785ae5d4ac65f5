/// In training, adds to each image a value drawn from `additionFactor` (times 255 at its upper
/// end, as Keras) and inverts the pixels at or above a threshold drawn from `thresholdFactor`
/// (`high + low − x` in `valueRange`); at inference the images pass unchanged.
/// Keras: `keras.layers.Solarization`.
public final class Solarization: ImageLayer, @unchecked Sendable {
    let additionFactor: ImageFactor
    let thresholdFactor: ImageFactor
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    /// - Parameters:
    ///   - additionFactor: a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    ///   - thresholdFactor: a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    public init(additionFactor: JSON = 0.0, thresholdFactor: JSON = 0.0, valueRange: [Double] = [0, 255], seed: Int? = nil,
                dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.additionFactor = try ImageFactor(additionFactor, bounds: 0...1, layer: "Solarization", argument: "addition_factor", strictPair: true)
        self.thresholdFactor = try ImageFactor(thresholdFactor, bounds: 0...1, layer: "Solarization", argument: "threshold_factor", strictPair: true)
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "Solarization")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }


    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        let n = try imageCount(x)
        let (additions, thresholds) = draws(count: n, drawKeys)
        return try solarize(x, additions: additions, thresholds: thresholds)
    }

    /// The per-image additions, then the thresholds, from the next two keys (Keras's two draws,
    /// each `random.uniform((batch, 1, 1, 1), minval=lower, maxval=upper · 255)`).
    func draws(count n: Int, _ keys: DrawKeys) -> (additions: [Float], thresholds: [Float]) {
        let additions = keys.uniform(n, additionFactor.lower, additionFactor.upper * 255)
        return (additions, keys.uniform(n, thresholdFactor.lower, thresholdFactor.upper * 255))
    }

    /// The transformation with given per-image additions and thresholds (in `[0, 255]` units).
    func solarize(_ x: Tensor, additions: [Float], thresholds: [Float]) throws -> Tensor {
        let toPixels = ValueRangeMap(from: valueRange, to: [0, 255]), back = ValueRangeMap(from: [0, 255], to: valueRange)
        return try mapValues(x) { b, v in
            let r = clip(toPixels(v) + additions[b], 0, 255)
            return back(r < thresholds[b] ? r : 255 - r)
        }
    }
}

extension Solarization: DeclaredLayer {
    /// Keras: `Solarization(addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
    /// seed=None)`; the config writes each factor as `[lower, upper]`.
    public static let declaration = LayerDeclaration(Solarization.self,
                                                     constructorOrder: ["addition_factor", "threshold_factor", "value_range", "seed"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("addition_factor", default: 0.0) { $0.additionFactor.pair },
        .optional("threshold_factor", default: 0.0) { $0.thresholdFactor.pair },
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try Solarization(additionFactor: c.pythonNumber("addition_factor") ?? 0.0, thresholdFactor: c.pythonNumber("threshold_factor") ?? 0.0,
                         valueRange: c.valueRange(layer: "Solarization"), seed: c.seed(),
                         dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Solarization.self, $0) }
