import Foundation

/// Contrast-limited adaptive histogram equalization, in training and at inference: each image
/// is cut into a `tileGridSize` grid of tiles (padded symmetrically to whole tiles), each
/// tile's channel histogram is clipped at `clipLimit` times the mean bin (the excess spread over
/// all bins) and equalized, and each pixel takes the bilinear blend of its four nearest tiles'
/// mappings. Keras: `keras.layers.ContrastLimitedAdaptiveHistogramEqualization`.
public final class ContrastLimitedAdaptiveHistogramEqualization: ImageLayer, @unchecked Sendable {
    /// The `[low, high]` range of the pixel values as given (`[0, 255]` by default).
    public let valueRange: [Double]
    /// The clip of each histogram bin, in mean bins (0 or less: no clipping).
    public let clipLimit: Double
    /// The grid of tiles, `[rows, columns]`.
    public let tileGridSize: [Int]

    public init(valueRange: [Double] = [0, 255], clipLimit: Double = 4, tileGridSize: [Int] = [8, 8], dataFormat: DataFormat = .channelsLast,
                name: String? = nil) throws {
        let layer = "ContrastLimitedAdaptiveHistogramEqualization"
        self.valueRange = try imageValueRange(valueRange, sorted: false, layer: layer)
        guard clipLimit.isFinite else { throw KerasError.invalidArgument("\(layer): clip_limit must be a finite number, got \(clipLimit)") }
        // The tiles' mappings take 1 KiB each: at most 2^16 tiles (64 MiB).
        guard tileGridSize.count == 2, tileGridSize.allSatisfy({ (1...(1 << 16)).contains($0) }), tileGridSize[0] * tileGridSize[1] <= 1 << 16 else {
            throw KerasError.invalidArgument("\(layer): tile_grid_size must be two positive integers (rows, columns) of at most 65536 tiles in all, got \(tileGridSize)")
        }
        self.clipLimit = clipLimit
        self.tileGridSize = tileGridSize
        super.init(dataFormat: dataFormat, seed: nil, draws: false, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let toPixels = ValueRangeMap(from: valueRange, to: [0, 255]), back = ValueRangeMap(from: [0, 255], to: valueRange)
        return try onBatch(x.detached) { t in
            let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
            let (gh, gw) = (tileGridSize[0], tileGridSize[1])
            let (th, tw) = ((h + gh - 1) / gh, (w + gw - 1) / gw)
            let out = Tensor.uninitialized(t.shape)
            guard t.count > 0 else { return out }
            /// numpy's `symmetric` padding: the index into `0..<size` of padded index `i`.
            func symmetric(_ i: Int, _ size: Int) -> Int {
                let m = i % (2 * size)
                return m < size ? m : 2 * size - 1 - m
            }
            var pixels = [Float](repeating: 0, count: gh * th * gw * tw)
            // The equalized mapping of each tile, with a repeated border: (gh + 2) × (gw + 2) × 256.
            var maps = [Float](repeating: 0, count: (gh + 2) * (gw + 2) * 256)
            let area = Float(th * tw), limit = Float(clipLimit * Double(th * tw) / 256)
            for b in 0..<n {
                for k in 0..<c {
                    for y in 0..<gh * th {
                        for xo in 0..<gw * tw {
                            pixels[y * gw * tw + xo] = toPixels(t.data[((b * h + symmetric(y, h)) * w + symmetric(xo, w)) * c + k])
                        }
                    }
                    for ty in 0..<gh {
                        for tx in 0..<gw {
                            var histogram = [Float](repeating: 0, count: 256)
                            for y in ty * th..<(ty + 1) * th {
                                for xo in tx * tw..<(tx + 1) * tw {
                                    let v = pixels[y * gw * tw + xo]
                                    histogram[v.isNaN ? 0 : Int(clip(v.rounded(.towardZero), 0, 255))] += 1
                                }
                            }
                            Self.equalize(&histogram, limit: clipLimit > 0 ? limit : nil, area: area)
                            let base = ((ty + 1) * (gw + 2) + tx + 1) * 256
                            for i in 0..<256 { maps[base + i] = histogram[i] }
                        }
                    }
                    // Keras repeats the first and last rows of tiles, then the first and last columns.
                    func copy(_ from: (Int, Int), to: (Int, Int)) {
                        let (f, d) = ((from.0 * (gw + 2) + from.1) * 256, (to.0 * (gw + 2) + to.1) * 256)
                        for i in 0..<256 { maps[d + i] = maps[f + i] }
                    }
                    for mx in 1...gw { copy((1, mx), to: (0, mx)); copy((gh, mx), to: (gh + 1, mx)) }
                    for my in 0...(gh + 1) { copy((my, 1), to: (my, 0)); copy((my, gw), to: (my, gw + 1)) }
                    for y in 0..<h {
                        let yg = (Float(y) - Float(th) / 2) * reciprocal(Float(th)) + 1, y0f = yg.rounded(.down), wy = yg - y0f
                        let y0 = Int(clip(y0f, 0, Float(gh + 1))), y1 = Int(clip(y0f + 1, 0, Float(gh + 1)))
                        for xo in 0..<w {
                            let xg = (Float(xo) - Float(tw) / 2) * reciprocal(Float(tw)) + 1, x0f = xg.rounded(.down), wx = xg - x0f
                            let x0 = Int(clip(x0f, 0, Float(gw + 1))), x1 = Int(clip(x0f + 1, 0, Float(gw + 1)))
                            let v = pixels[y * gw * tw + xo]
                            let bin = v.isNaN ? 0 : Int(clip(v, 0, 255))
                            func at(_ my: Int, _ mx: Int) -> Float { maps[(my * (gw + 2) + mx) * 256 + bin] }
                            let top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx
                            let bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx
                            out.data[((b * h + y) * w + xo) * c + k] = back(top * (1 - wy) + bottom * wy)
                        }
                    }
                }
            }
            return out
        }
    }

    /// Turns a tile's histogram into its equalized mapping of `[0, 255]` (Keras's `_clahe`): the
    /// bins clipped at `limit` with the excess spread evenly, the cumulative counts stretched
    /// from their least to `area` over `[0, 255]`.
    static func equalize(_ histogram: inout [Float], limit: Float?, area: Float) {
        if let limit {
            var excess: Float = 0
            for i in histogram.indices {
                let clipped = clip(histogram[i], 0, limit)
                excess += histogram[i] - clipped
                histogram[i] = clipped
            }
            for i in histogram.indices { histogram[i] += excess * reciprocal(256) }
        }
        for i in histogram.indices.dropFirst() { histogram[i] += histogram[i - 1] }
        let least = histogram.min() ?? 0
        let denominator = area - least == 0 ? 1 : area - least
        let inverse = reciprocal(denominator)
        for i in histogram.indices { histogram[i] = clip((histogram[i] - least) * 255 * inverse, 0, 255) }
    }
}

extension ContrastLimitedAdaptiveHistogramEqualization: DeclaredLayer {
    /// Keras: `ContrastLimitedAdaptiveHistogramEqualization(value_range=(0, 255), clip_limit=4.0,
    /// tile_grid_size=(8, 8), data_format=None)`.
    public static let declaration = LayerDeclaration(ContrastLimitedAdaptiveHistogramEqualization.self,
                                                     constructorOrder: ["value_range", "clip_limit", "tile_grid_size", "data_format"], checkedWhenBuilt: ["clip_limit": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("clip_limit", \.clipLimit, default: 4),
        .optional("tile_grid_size", \.tileGridSize, default: [8, 8]),
    ]) { c in
        try ContrastLimitedAdaptiveHistogramEqualization(
            valueRange: c.valueRange(layer: "ContrastLimitedAdaptiveHistogramEqualization"), clipLimit: c.double("clip_limit"),
            tileGridSize: c.ints("tile_grid_size", rank: 2), dataFormat: c.imageDataFormat(),
            name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ContrastLimitedAdaptiveHistogramEqualization.self, $0) }
