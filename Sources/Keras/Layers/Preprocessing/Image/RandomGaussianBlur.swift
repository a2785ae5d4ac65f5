import Foundation

/// In training, blurs each image with probability drawn from `factor`'s range by a Gaussian
/// kernel of `kernelSize` (zero padding, Keras's `SAME`), the standard deviations along x and y
/// drawn once per call from `sigma`'s range; all images are then clipped to `valueRange`. At
/// inference the images pass unchanged. Keras: `keras.layers.RandomGaussianBlur`.
public final class RandomGaussianBlur: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor
    /// The kernel's width and height (odd), as Keras's `kernel_size` `(x, y)`.
    public let kernelSize: [Int]
    let sigma: ImageFactor
    /// The `[low, high]` range the outputs are clipped to.
    public let valueRange: [Double]

    /// - Parameters:
    ///   - factor: the blur probability, a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    ///   - kernelSize: an odd size or a pair `(width, height)` of odd sizes.
    ///   - sigma: a number `s` (`[0, s]`) or a pair, the deviations' range.
    public init(factor: JSON = 1.0, kernelSize: JSON = 3, sigma: JSON = 1.0, valueRange: [Double] = [0, 255],
                dataFormat: DataFormat = .channelsLast, seed: Int? = nil, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomGaussianBlur", argument: "factor")
        let sizes = kernelSize.intValue.map { [$0, $0] } ?? kernelSize.arrayValue?.compactMap(\.intValue) ?? []
        guard sizes.count == 2, sizes.allSatisfy({ $0 > 0 && $0 % 2 == 1 && $0 < 1 << 16 }) else {
            throw KerasError.invalidArgument("RandomGaussianBlur: kernel_size must be an odd positive integer (at most 65535) or a pair of them, got \(kernelSize)")
        }
        self.kernelSize = sizes
        self.sigma = try ImageFactor(sigma, bounds: 0...1, layer: "RandomGaussianBlur", argument: "sigma")
        self.valueRange = try imageValueRange(valueRange, layer: "RandomGaussianBlur")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try onBatch(x.detached) { t in
            // Keras draws the blur probabilities (`random.uniform((batch,), lower, upper)`), the
            // thresholds (`random.uniform((batch,))`) and the two deviations
            // (`random.uniform((2,), sigma lower, sigma upper) + 1e-6`), each with the next key.
            let keys = drawKeys, n = t.shape[0]
            let probabilities = keys.uniform(n, factor.lower, factor.upper)
            let blurred = zip(keys.uniform(n), probabilities).map { $0 < $1 }
            let sigmas = keys.uniform(2, sigma.lower, sigma.upper).map { $0 + 1e-6 }
            let (sx, sy) = (sigmas[0], sigmas[1])
            let out = Kernels.gaussianBlur(t, images: blurred, width: kernelSize[0], sigmaX: sx, height: kernelSize[1], sigmaY: sy)
            return Ops.clip(out, Float(valueRange[0]), Float(valueRange[1]))
        }
    }
}

/// Keras's `value_range` of an image layer: `[low, high]`.
func imageValueRange(_ range: [Double], layer: String) throws -> [Double] {
    guard range.count == 2, range[0] <= range[1] else {
        throw KerasError.invalidArgument("\(layer): value_range must be [low, high] with low <= high, got \(range)")
    }
    return range
}

extension Kernels {
    /// A normalized 1-D Gaussian of `size` taps (Keras's `_get_gaussian_kernel1d`).
    static func gaussianTaps(size: Int, sigma: Float) -> [Float] {
        let taps = (0..<size).map { i -> Float in
            let d = (Float(i) - Float(size - 1) / 2) / sigma
            return Foundation.exp(-0.5 * d * d)
        }
        let total = taps.reduce(0, +)
        return taps.map { $0 / total }
    }

    /// Blurs the `(batch, height, width, channels)` images whose `images` flag is set by the
    /// separable Gaussian of `width × height` taps (zero padding, centred: `SAME`); the others
    /// are copied.
    static func gaussianBlur(_ x: Tensor, images: [Bool], width kw: Int, sigmaX: Float, height kh: Int, sigmaY: Float) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tx = gaussianTaps(size: kw, sigma: sigmaX), ty = gaussianTaps(size: kh, sigma: sigmaY)
        let out = x.copy()
        var rows = [Float](repeating: 0, count: h * w * c)
        let plane = h * w * c
        for b in 0..<n where images[b] {
            let p = x.data + b * plane, o = out.data + b * plane
            for i in 0..<(h * w * c) { rows[i] = 0 }
            for y in 0..<h {
                for xo in 0..<w {
                    for (j, weight) in tx.enumerated() {
                        let xi = xo + j - kw / 2
                        guard xi >= 0, xi < w else { continue }
                        for k in 0..<c { rows[(y * w + xo) * c + k] += weight * p[(y * w + xi) * c + k] }
                    }
                }
            }
            for y in 0..<h {
                for xo in 0..<w {
                    for k in 0..<c { o[(y * w + xo) * c + k] = 0 }
                    for (i, weight) in ty.enumerated() {
                        let yi = y + i - kh / 2
                        guard yi >= 0, yi < h else { continue }
                        for k in 0..<c { o[(y * w + xo) * c + k] += weight * rows[(yi * w + xo) * c + k] }
                    }
                }
            }
        }
        return out
    }
}

extension RandomGaussianBlur: DeclaredLayer {
    /// Keras: `RandomGaussianBlur(factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
    /// data_format=None, seed=None)`; the config writes factor, kernel_size and sigma as pairs.
    public static let declaration = LayerDeclaration(RandomGaussianBlur.self, constructorOrder: [
        "factor", "kernel_size", "sigma", "value_range", "data_format", "seed",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", default: 1.0) { $0.factor.pair },
        .optional("kernel_size", default: 3) { .array($0.kernelSize.map { .int($0) }) },
        .optional("sigma", default: 1.0) { $0.sigma.pair },
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomGaussianBlur(factor: c.pythonNumber("factor") ?? 1.0, kernelSize: c.pythonNumber("kernel_size") ?? 3, sigma: c.pythonNumber("sigma") ?? 1.0,
                               valueRange: c.optionalNumbers("value_range") ?? [0, 255],
                               dataFormat: DataFormat.named(c.string("data_format")), seed: c.seed(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomGaussianBlur.self, $0) }
