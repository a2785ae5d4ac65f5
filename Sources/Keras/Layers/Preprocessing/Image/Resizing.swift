/// Resizes images to `height × width` (with JAX's bilinear, nearest, bicubic or Lanczos kernels,
/// widened to low-pass filter a reduction with `antialias`; optionally cropping the images to the
/// target aspect ratio first, or padding them to it with `fill_value`), in training and inference,
/// differentiable in the images as Keras's on JAX. Keras: `keras.layers.Resizing`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [64, 64, 3]), Resizing(height: 32, width: 32), Flatten(), Dense(10)])
/// ```
public final class Resizing: ImageLayer, @unchecked Sendable {
    public let height: Int
    public let width: Int
    let interpolation: ResizeInterpolation
    /// Whether a reduction is low-pass filtered first (the kernel widened by the reduction's factor).
    public let antialias: Bool
    /// Whether images are first cropped to the largest centred window of the target's aspect ratio.
    public let cropToAspectRatio: Bool
    /// Whether images are first padded, on both sides of their short axis, to the target's aspect ratio.
    public let padToAspectRatio: Bool
    /// How the padding is filled: Keras's resizing takes `constant` only (refused when called, as Keras's).
    public let fillMode: String
    /// The value of the padding.
    public let fillValue: Double

    public init(height: Int, width: Int, interpolation: String = "bilinear", cropToAspectRatio: Bool = false,
                padToAspectRatio: Bool = false, fillMode: String = "constant", fillValue: Double = 0,
                antialias: Bool = false, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        guard height > 0, width > 0 else {
            throw KerasError.invalidArgument("Resizing: height and width must be positive, got \(height) × \(width)")
        }
        // (Keras's names exactly, as its resize checks them)
        guard let method = ResizeInterpolation(rawValue: interpolation) else {
            throw KerasError.invalidArgument("Resizing: Invalid value for argument `interpolation`. Expected of one \(ResizeInterpolation.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")). Received: interpolation=\(interpolation)")
        }
        self.height = height
        self.width = width
        self.interpolation = method
        self.antialias = antialias
        self.cropToAspectRatio = cropToAspectRatio
        self.padToAspectRatio = padToAspectRatio
        self.fillMode = fillMode
        self.fillValue = fillValue
        super.init(dataFormat: dataFormat, seed: nil, draws: false, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        // (Keras's resize refuses these when called, not when the layer is made)
        guard fillMode == "constant" else {
            throw KerasError.invalidArgument("Resizing '\(name)': Invalid value for argument `fill_mode`. Only `'constant'` is supported. Received: fill_mode=\(fillMode)")
        }
        guard !(cropToAspectRatio && padToAspectRatio) else {
            throw KerasError.invalidArgument("Resizing '\(name)': Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
        }
        return try onBatch(x) { t in
            if cropToAspectRatio {
                return try Self.cropAndResize(t, height: height, width: width, interpolation: interpolation, antialias: antialias)
            }
            if padToAspectRatio {
                return try Self.padAndResize(t, height: height, width: width, fillValue: Float(fillValue),
                                             interpolation: interpolation, antialias: antialias)
            }
            return try Ops.resize(t, size: [height, width], interpolation: interpolation, antialias: antialias)
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try resizedShape(inputShape, height: height, width: width)
    }
}

extension Resizing: DeclaredLayer {
    /// Keras: `Resizing(height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
    /// pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
    /// data_format=None)`.
    public static let declaration = LayerDeclaration(Resizing.self, constructorOrder: [
        "height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode",
        "fill_value", "antialias", "data_format",
    ], checkedWhenBuilt: ["height": 1, "width": 1, "interpolation": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("height", \.height),
        .required("width", \.width),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("crop_to_aspect_ratio", \.cropToAspectRatio, default: false),
        .optional("pad_to_aspect_ratio", \.padToAspectRatio, default: false),
        .optional("fill_mode", \.fillMode, default: "constant"),
        .optional("fill_value", \.fillValue, default: 0.0),
        .optional("antialias", \.antialias, default: false),
    ]) { c in
        try Resizing(height: c.int("height"), width: c.int("width"), interpolation: c.string("interpolation"),
                     cropToAspectRatio: c.bool("crop_to_aspect_ratio"), padToAspectRatio: c.bool("pad_to_aspect_ratio"),
                     fillMode: c.string("fill_mode"), fillValue: c.double("fill_value"), antialias: c.bool("antialias"),
                     dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Resizing.self, $0) }
