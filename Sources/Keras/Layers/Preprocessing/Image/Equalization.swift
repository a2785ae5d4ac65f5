import Foundation

/// In training, equalizes the histogram of each channel (over the whole batch, as Keras) into
/// `bins` bins of `valueRange`; a channel whose values fall in one bin passes unchanged; at
/// inference the images pass unchanged. Keras: `keras.layers.Equalization`.
public final class Equalization: ImageLayer, @unchecked Sendable {
    /// The sorted `[low, high]` range of the pixel values (`[0, 255]` by default).
    public let valueRange: [Double]
    /// The number of histogram bins.
    public let bins: Int

    public init(valueRange: [Double] = [0, 255], bins: Int = 256, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.valueRange = try imageValueRange(valueRange, sorted: true, layer: "Equalization")
        guard (1...(1 << 20)).contains(bins) else {
            throw KerasError.invalidArgument("Equalization: bins must be a positive number of histogram bins, got \(bins)")
        }
        self.bins = bins
        super.init(dataFormat: dataFormat, seed: nil, draws: false, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try onBatch(x.detached) { t in
            let c = t.shape[3], count = t.count / Swift.max(c, 1)
            let out = Tensor.uninitialized(t.shape)
            // Keras's `_scale_values` from and to `[0, 255]` (it always scales).
            func scaling(_ from: [Double], _ to: [Double]) -> (Float) -> Float {
                let scale = (to[1] - to[0]) / (from[1] - from[0]), offset = to[0] - from[0] * scale
                let (s, o) = (Float(scale), Float(offset))
                return { $0 * s + o }
            }
            let toPixels = scaling(valueRange, [0, 255]), back = scaling([0, 255], valueRange)
            let top = Float(bins - 1), perPixel = reciprocal(255)
            var channel = [Float](repeating: 0, count: count)
            for k in 0..<c {
                for i in 0..<count { channel[i] = toPixels(t.data[i * c + k]) }
                var histogram = [Int](repeating: 0, count: bins)
                for v in channel {
                    let index = v * top * perPixel
                    histogram[index.isNaN ? 0 : Int(clip(index.rounded(.towardZero), 0, top))] += 1
                }
                let table = Self.lookupTable(histogram)
                for i in 0..<count {
                    let v = channel[i]
                    var equalized = v
                    if let table {
                        let index = v * perPixel * top
                        equalized = table[index.isNaN ? 0 : Int(clip(index, 0, top))]
                    }
                    out.data[i * c + k] = back(equalized)
                }
            }
            return out
        }
    }

    /// Keras's `_apply_equalization` table: the histogram's cumulative counts stretched over
    /// `[0, 255]` and rounded; nil when at most one bin is filled (the channel passes unchanged).
    static func lookupTable(_ histogram: [Int]) -> [Float]? {
        guard histogram.filter({ $0 != 0 }).count > 1 else { return nil }
        var cdf = histogram
        for i in cdf.indices.dropFirst() { cdf[i] += cdf[i - 1] }
        let first = cdf.first { $0 > 0 } ?? 0
        let denominator = cdf[cdf.count - 1] - first == 0 ? 1 : cdf[cdf.count - 1] - first
        let inverse = reciprocal(Float(denominator))
        return cdf.map { clip((Float(($0 - first) * 255) * inverse).rounded(.toNearestOrEven), 0, 255) }
    }
}

extension Equalization: DeclaredLayer {
    /// Keras: `Equalization(value_range=(0, 255), bins=256, data_format=None)`.
    public static let declaration = LayerDeclaration(Equalization.self, constructorOrder: ["value_range", "bins", "data_format"], checkedWhenBuilt: ["bins": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("bins", \.bins, default: 256),
        .optional("value_range", \.valueRange, default: [0, 255]),
    ]) { c in
        try Equalization(valueRange: c.valueRange(layer: "Equalization"), bins: c.int("bins", default: 256),
                         dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Equalization.self, $0) }
