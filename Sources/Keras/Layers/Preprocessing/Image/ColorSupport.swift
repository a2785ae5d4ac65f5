import Foundation

/// The pieces Keras's colour augmentations share: the `value_range` argument and the mapping of
/// pixel values between two ranges, the RGB ↔ HSV conversions, the grayscale weights, the
/// blend towards a degenerate image, and the loops over images and pixels.

/// Keras's refusal of a `value_range` that is not two numbers.
func badValueRange(_ given: Any, layer: String) -> KerasError {
    .invalidArgument("\(layer): The `value_range` argument should be a list of two numbers. Received: value_range=\(given)")
}

/// A `value_range` argument: two numbers, sorted where Keras sorts them (its
/// `_set_value_range`), kept as given where it does not.
func imageValueRange(_ given: [Double], sorted: Bool, layer: String) throws -> [Double] {
    guard given.count == 2, given.allSatisfy(\.isFinite) else { throw badValueRange(given, layer: layer) }
    return sorted ? given.sorted() : given
}

extension LayerConfig {
    /// The `value_range` argument of a colour layer's config (`[0, 255]` when absent), refused
    /// in Keras's words when it is not a list of two numbers.
    func valueRange(layer: String) throws -> [Double] {
        guard let v = self["value_range"] else { return [0, 255] }
        guard let pair = v.arrayValue, pair.count == 2, let a = pair[0].doubleValue, let b = pair[1].doubleValue else {
            throw badValueRange(v, layer: layer)
        }
        return [a, b]
    }
}

/// Keras's `_transform_value_range(images, original_range, target_range)` on one value, in
/// float32 as Keras computes it: `(x − min₀) / (max₀ − min₀) · (max₁ − min₁) + min₁`, and the
/// identity where the ranges are equal.
///
/// XLA divides an array by a scalar as a product with the scalar's reciprocal, so the layers
/// here do too (``reciprocal(_:)``): Keras's rounding and truncation then fall alike.
struct ValueRangeMap {
    private let identity: Bool
    private let low: Float, inverseSpan: Float, scale: Float, target: Float

    init(from original: [Double], to target: [Double]) {
        identity = original == target
        let o = original.map { Float($0) }, t = target.map { Float($0) }
        low = o[0]
        inverseSpan = reciprocal(o[1] - o[0])
        scale = t[1] - t[0]
        self.target = t[0]
    }

    @inline(__always) func callAsFunction(_ x: Float) -> Float { identity ? x : (x - low) * inverseSpan * scale + target }
}

/// `1 / x` in float32: an array divided by the scalar `x` is multiplied by this in XLA.
@inline(__always) func reciprocal(_ x: Float) -> Float { 1 / x }

/// Keras's `rgb_to_hsv` (dm_pix's formulas) on one pixel: hue and saturation in `[0, 1]`, the
/// value the largest channel.
@inline(__always) func rgbToHSV(_ r0: Float, _ g0: Float, _ b0: Float) -> (Float, Float, Float) {
    let eps = Float.ulpOfOne
    let r = abs(r0) < eps ? 0 : r0, g = abs(g0) < eps ? 0 : g0, b = abs(b0) < eps ? 0 : b0
    let value = Swift.max(Swift.max(r, g), b)
    let range = value - Swift.min(Swift.min(r, g), b)
    let saturation = value > 0 ? range / value : 0
    let norm = 1 / (6 * (range > 0 ? range : 1))
    var hue = value == g ? norm * (b - r) + 2.0 / 6.0 : norm * (r - g) + 4.0 / 6.0
    if value == r { hue = norm * (g - b) }
    hue = (range > 0 ? hue : 0) + (hue < 0 ? 1 : 0)
    return (hue, saturation, value)
}

/// Keras's `hsv_to_rgb` on one pixel (the hue taken modulo 1).
@inline(__always) func hsvToRGB(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
    var m = fmodf(h, 1)
    if m < 0 { m += 1 }
    let dh = m * 6
    let dr = Swift.min(Swift.max(abs(dh - 3) - 1, 0), 1)
    let dg = Swift.min(Swift.max(2 - abs(dh - 2), 0), 1)
    let db = Swift.min(Swift.max(2 - abs(dh - 4), 0), 1)
    let oneMinusS = 1 - s
    return (v * (oneMinusS + s * dr), v * (oneMinusS + s * dg), v * (oneMinusS + s * db))
}

/// Keras's `rgb_to_grayscale` weights (tf.image's) on one pixel.
@inline(__always) func grayscale(_ r: Float, _ g: Float, _ b: Float) -> Float { r * 0.2989 + g * 0.5870 + b * 0.1140 }

/// `x + f · (target − x)`: the blend of Keras's colour layers towards a degenerate image
/// (`RandomColorDegeneration`'s grayscale, `RandomSharpness`'s smoothed image).
@inline(__always) func blend(_ x: Float, towards target: Float, by f: Float) -> Float { x + f * (target - x) }

/// `x` clipped to `[low, high]`, NaN kept (as `numpy.clip`).
@inline(__always) func clip(_ x: Float, _ low: Float, _ high: Float) -> Float { x < low ? low : (x > high ? high : x) }

extension ImageLayer {
    /// The number of images in `x`: its first axis for a batch (rank 4), 1 for one image (rank 3).
    func imageCount(_ x: Tensor) throws -> Int {
        guard x.rank == 3 || x.rank == 4 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expected images of rank 3 (one image) or 4 (a batch), got shape \(x.shape)")
        }
        return x.rank == 4 ? x.shape[0] : 1
    }

    /// Maps every value of each image through `body(image, value)` (the layout does not matter).
    func mapValues(_ x: Tensor, _ body: (Int, Float) -> Float) throws -> Tensor {
        let n = try imageCount(x)
        let t = x.detached, out = Tensor.uninitialized(t.shape)
        let per = t.count / Swift.max(n, 1), p = t.data, o = out.data
        for b in 0..<n { for i in b * per..<(b + 1) * per { o[i] = body(b, p[i]) } }
        return out
    }

    /// The channel count of a `(batch, height, width, channels)` batch when it is RGB (3) or
    /// grayscale (1), as Keras's `rgb_to_grayscale` / `rgb_to_hsv` take them.
    func colorChannels(_ t: Tensor, grayscaleToo: Bool) throws -> Int {
        let c = t.shape[3]
        guard c == 3 || (grayscaleToo && c == 1) else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expected RGB images (3 channels)\(grayscaleToo ? " or grayscale ones (1)" : ""), got \(c) channels in shape \(t.shape)")
        }
        return c
    }

    /// Runs `body(image, pixel)` on a copy of each RGB pixel of the images `x` (in the layer's
    /// data format), which it changes in place; 1-channel images pass unchanged where
    /// `grayscaleToo` (Keras's grayscale of a grayscale image is itself).
    func mapPixels(_ x: Tensor, grayscaleToo: Bool = false, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) throws -> Tensor {
        try onBatch(x.detached) { t in
            let c = try colorChannels(t, grayscaleToo: grayscaleToo)
            let out = Tensor.uninitialized(t.shape)
            out.data.update(from: t.data, count: t.count)
            guard c == 3 else { return out }
            let hw = t.shape[1] * t.shape[2]
            for b in 0..<t.shape[0] { for i in 0..<hw { body(b, out.data + (b * hw + i) * 3) } }
            return out
        }
    }
}

/// The colour layers whose constructor is Keras's `(factor, value_range=(0, 255),
/// data_format=None, seed=None)` and whose config writes the factor as `[lower, upper]`:
/// ``RandomColorDegeneration``, ``RandomSaturation``, ``RandomHue``, ``RandomSharpness``,
/// ``RandomPosterization``.
protocol FactorColorLayer: ImageLayer {
    var factor: ImageFactor { get }
    var valueRange: [Double] { get }
    /// The factor as the config writes it.
    var factorConfig: JSON { get }
    init(factor: JSON, valueRange: [Double], dataFormat: DataFormat, seed: Int?, name: String?) throws
}

extension FactorColorLayer {
    var factorConfig: JSON { factor.pair }

    /// One draw from `factor` per image of `x`, made at every call: Keras draws before it looks
    /// at `training`, so its generator moves on at inference too.
    func drawFactors(_ x: Tensor) throws -> [Float] {
        factors(count: try imageCount(x), drawKeys)
    }

    /// One draw from `factor` per image: `random.uniform((batch,), lower, upper)` from the next
    /// key.
    func factors(count: Int, _ keys: DrawKeys) -> [Float] { keys.uniform(count, factor.lower, factor.upper) }

    /// The class's declaration (its ``DeclaredLayer/declaration``).
    static var factorDeclaration: LayerDeclaration {
        LayerDeclaration(Self.self, constructorOrder: ["factor", "value_range", "data_format", "seed"], arguments: [
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .required("factor") { $0.factorConfig },
            .optional("value_range", \.valueRange, default: [0, 255]),
            .optional("seed", \.seed, default: nil),
        ]) { c in
            try Self(factor: c.pythonNumber("factor") ?? nil, valueRange: c.valueRange(layer: c.className), dataFormat: c.imageDataFormat(),
                     seed: c.seed(), name: c.name)
        }
    }
}

extension LayerConfig {
    /// The `data_format` of an image layer's config (channels-last when absent).
    func imageDataFormat() throws -> DataFormat { try DataFormat.named(string("data_format", default: "channels_last")) }
}
