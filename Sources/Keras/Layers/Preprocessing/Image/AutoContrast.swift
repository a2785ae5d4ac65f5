/// Stretches each channel of each image across the whole `valueRange` (its lowest value to the
/// range's low end, its highest to the high end), in training and at inference; a constant
/// channel passes unchanged. Keras: `keras.layers.AutoContrast`.
public final class AutoContrast: ImageLayer, @unchecked Sendable {
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]

    public init(valueRange: [Double] = [0, 255], dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "AutoContrast")
        super.init(dataFormat: dataFormat, seed: nil, draws: false, name: name)
    }

    /// Keras takes the lowest and highest values over axes 1 and 2 of the batch whatever the
    /// data format (the height and width of channels-last images), so this does too.
    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        _ = try imageCount(x)
        let t = x.detached, out = Tensor.uninitialized(t.shape)
        let shape = x.rank == 3 ? [1] + t.shape : t.shape
        let (n, positions, c) = (shape[0], shape[1] * shape[2], shape[3])
        let toPixels = ValueRangeMap(from: valueRange, to: [0, 255]), back = ValueRangeMap(from: [0, 255], to: valueRange)
        let p = t.data, o = out.data
        for b in 0..<n {
            for k in 0..<c {
                var low = Float.infinity, high = -Float.infinity, nan = false
                for i in 0..<positions {
                    let v = toPixels(p[(b * positions + i) * c + k])
                    if v.isNaN { nan = true }
                    low = Swift.min(low, v)
                    high = Swift.max(high, v)
                }
                if nan { (low, high) = (.nan, .nan) }
                let scale = 255 / (high - low), offset = -low * scale
                for i in 0..<positions {
                    let at = (b * positions + i) * c + k
                    let r = back(clip(toPixels(p[at]) * scale + offset, 0, 255))
                    o[at] = r.isNaN ? p[at] : r
                }
            }
        }
        return out
    }
}

extension AutoContrast: DeclaredLayer {
    /// Keras: `AutoContrast(value_range=(0, 255))` (and the base's `data_format`).
    public static let declaration = LayerDeclaration(AutoContrast.self, constructorOrder: ["value_range"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
    ]) { c in
        try AutoContrast(valueRange: c.valueRange(layer: "AutoContrast"),
                         dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AutoContrast.self, $0) }
