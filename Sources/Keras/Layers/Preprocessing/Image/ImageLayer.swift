/// The base of the image preprocessing and augmentation layers: the `data_format` argument,
/// images given as one `(height, width, channels)` image or a batch of them (channels first
/// with `channelsFirst`), and a seeded generator for the random ones. Keras:
/// `BaseImagePreprocessingLayer`.
open class ImageLayer: Layer, @unchecked Sendable {
    /// Where the channel axis is.
    public let dataFormat: DataFormat
    /// The seed of the layer's generator (nil: one drawn from the thread's generator).
    public let seed: Int?
    /// Keras's generator of a random augmentation layer (nil for the others): each training
    /// call's transformations draw at its state.
    public let seedGenerator: SeedGenerator?
    /// The format of the bounding boxes that come with the images (`xyxy`, `rel_center_xywh`,
    /// ...), or nil: the library's layers take images, the Python binding moves the boxes of
    /// Keras's dict inputs. Keras: `bounding_box_format`, written in `get_config()` when given.
    public var boundingBoxFormat: String?

    /// `draws`: whether the layer is a random augmentation (Keras: `SeedGenerator(seed)` in its
    /// constructor). `writtenSeed`: the layer's `seed` when it is not the generator's (Keras's
    /// `RandomCrop` draws one for its config apart from its generator's).
    init(dataFormat: DataFormat, seed: Int?, writtenSeed: Int? = nil, draws: Bool, name: String?) {
        self.dataFormat = dataFormat
        self.seed = writtenSeed ?? seed
        seedGenerator = .owned(seed: seed, draws: draws)
        super.init(name: name)
    }

    public override var seedGenerators: [SeedGenerator] { seedGenerator.map { [$0] } ?? [] }

    /// The threefry key of one training call's draw (Keras's `seed_generator.next()` on JAX);
    /// the state moves on by `draws`, the random draws Keras's layer makes in the call.
    func drawKey(draws: Int = 1) -> ThreefryKey {
        layerDrawKey(seedGenerator, draws: draws)
    }

    /// Runs `body` on the images as a `(batch, height, width, channels)` batch and returns its
    /// result in the input's layout (rank and data format).
    func onBatch(_ x: Tensor, _ body: (Tensor) throws -> Tensor) throws -> Tensor {
        _ = try imageCount(x)
        var t = x.rank == 3 ? x.viewing([1] + x.shape) : x
        if dataFormat == .channelsFirst { t = try Ops.transpose(t, [0, 2, 3, 1]) }
        var out = try body(t)
        if dataFormat == .channelsFirst { out = try Ops.transpose(out, [0, 3, 1, 2]) }
        return x.rank == 3 ? out.viewing(Array(out.shape.dropFirst())) : out
    }

    /// The (height, width) axes of a shape of rank 3 or 4 in this layer's data format.
    func spatialAxes(rank: Int) -> (Int, Int) {
        let first = rank - 3 + (dataFormat == .channelsFirst ? 1 : 0)
        return (first, first + 1)
    }

    /// `shape` with its height and width replaced.
    func resizedShape(_ shape: [Int?], height: Int, width: Int) throws -> [Int?] {
        guard shape.count == 3 || shape.count == 4 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expected images of rank 3 or 4, got shape \(formatShape(shape))")
        }
        let (h, w) = spatialAxes(rank: shape.count)
        var s = shape
        s[h] = height
        s[w] = width
        return s
    }
}

extension ImageLayer: LayerFamily {
    /// Keras's `BaseImagePreprocessingLayer(bounding_box_format=None)`, after `data_format`.
    public static var familyArguments: [FamilyArgument] {
        [FamilyArgument(name: "bounding_box_format", defaultValue: .null, after: "data_format",
                        read: { ($0 as? ImageLayer)?.boundingBoxFormat.map { .string($0) } },
                        apply: { layer, value in
                            guard value.isNull || value.stringValue != nil else {
                                throw KerasError.io("\(layer.pythonClassName) config: 'bounding_box_format' must be a string, got \(value.description.prefix(80))")
                            }
                            (layer as? ImageLayer)?.boundingBoxFormat = value.stringValue
                        })]
    }
}

/// A `factor` argument as Keras's image layers take it: a number `f` (the range `(-f, f)`, or
/// `(max(-f, lowest), f)`) or a pair sorted into `(lower, upper)`, within `bounds`.
struct ImageFactor: Equatable {
    var lower: Double
    var upper: Double
    /// The value as given, for `get_config()` when the layer writes it unchanged.
    var given: JSON

    /// `strictPair`: both numbers of a pair must lie in `bounds` (Keras's `Solarization`), not
    /// only overlap them.
    init(_ json: JSON, bounds: ClosedRange<Double>, layer: String, argument: String, clampLower: Bool = true,
         strictPair: Bool = false) throws {
        let bad = KerasError.invalidArgument("\(layer): \(argument) must be a number or a pair of numbers in [\(bounds.lowerBound), \(bounds.upperBound)], got \(json)")
        given = json
        // (a numpy number or a None given, which Keras's isinstance test refuses, is neither)
        if let f = json.doubleValue {
            guard bounds.contains(f) else { throw bad }
            upper = abs(f)
            lower = clampLower ? Swift.max(-upper, bounds.lowerBound) : -upper
        } else if let pair = json.arrayValue, pair.count == 2, let a = pair[0].doubleValue, let b = pair[1].doubleValue {
            guard a <= bounds.upperBound, b >= bounds.lowerBound, !strictPair || (bounds.contains(a) && bounds.contains(b)) else { throw bad }
            (lower, upper) = (Swift.min(a, b), Swift.max(a, b))
        } else {
            throw bad
        }
    }

    /// `[lower, upper]` as Keras writes `self.factor`.
    var pair: JSON { [.double(lower), .double(upper)] }

    /// A draw from `[lower, upper)`.
    func sample(_ rng: RandomGenerator) -> Double { lower + (upper - lower) * Double(rng.uniform()) }
}

/// How the geometric augmentation layers fill points outside the image. Keras: `fill_mode`.
enum FillMode: String, LayerArgumentValue {
    case reflect, wrap, constant, nearest
    var configValue: JSON { .string(rawValue) }

    /// Keras's `NotImplementedError` for any other name, from `layer`'s constructor.
    static func named(_ name: String, layer: String) throws -> FillMode {
        guard let m = FillMode(rawValue: name) else {
            throw notImplementedChoice("fill_mode", name, "('reflect', 'wrap', 'constant', 'nearest')", layer: layer)
        }
        return m
    }
}

/// `bilinear` or `nearest`. Keras: `interpolation`.
enum Interpolation: String, LayerArgumentValue {
    case bilinear, nearest
    var configValue: JSON { .string(rawValue) }

    /// Keras's `NotImplementedError` for any other name, from `layer`'s constructor.
    static func named(_ name: String, layer: String) throws -> Interpolation {
        guard let i = Interpolation(rawValue: name) else {
            throw notImplementedChoice("interpolation", name, "('nearest', 'bilinear')", layer: layer)
        }
        return i
    }
}

/// What Keras's geometric augmentations raise for an `interpolation` or `fill_mode` they do not
/// know (`Unknown \`interpolation\` BILINEAR. Expected of one ('nearest', 'bilinear').`, a
/// `NotImplementedError`); `given` is the value as Python's `str()` shows it
/// (``LayerConfig/givenString(_:)``), `choices` Keras's collection of names as it prints.
func notImplementedChoice(_ argument: String, _ given: String, _ choices: String, layer: String) -> KerasError {
    .notImplemented("\(layer): Unknown `\(argument)` \(given). Expected of one \(choices).")
}

extension ImageLayer {
    /// The largest centred window of `height × width` with the aspect ratio of
    /// `targetHeight × targetWidth`, as Keras's `crop_to_aspect_ratio` computes it.
    static func aspectCropBox(height: Int, width: Int, targetHeight: Int, targetWidth: Int) -> (top: Int, left: Int, height: Int, width: Int) {
        let ch = Swift.max(Swift.min(height, Int(Double(width * targetHeight) / Double(targetWidth))), 1)
        let cw = Swift.max(Swift.min(width, Int(Double(height * targetWidth) / Double(targetHeight))), 1)
        return (Int(Double(height - ch) / 2), Int(Double(width - cw) / 2), ch, cw)
    }

    /// The margins Keras's `pad_to_aspect_ratio` puts on both sides of the short axis of a
    /// `height × width` image: half of what it lacks of the target's aspect ratio, rounded down
    /// (only the rows when both would be padded, as Keras's).
    static func aspectPadding(height: Int, width: Int, targetHeight: Int, targetWidth: Int) -> (top: Int, left: Int) {
        let top = Int(Double(Swift.max(height, Int(Double(width * targetHeight) / Double(targetWidth))) - height) / 2)
        return (top, top > 0 ? 0 : Int(Double(Swift.max(width, Int(Double(height * targetWidth) / Double(targetHeight))) - width) / 2))
    }

    /// Pads a `(batch, height, width, channels)` batch with `fillValue` towards the aspect ratio
    /// of the target and resizes it, as Keras's `resize(..., pad_to_aspect_ratio=True)`: the
    /// short axis gets the same margin on both sides, half of what it lacks rounded down.
    /// Differentiable in the images, as Keras's on JAX.
    static func padAndResize(_ t: Tensor, height: Int, width: Int, fillValue: Float,
                             interpolation: ResizeInterpolation = .bilinear, antialias: Bool = false) throws -> Tensor {
        let (h, w) = (t.shape[1], t.shape[2])
        let (top, left) = aspectPadding(height: h, width: w, targetHeight: height, targetWidth: width)
        var padded = t
        if top > 0 || left > 0 {
            padded = try Ops.pad(t, [(0, 0), (top, top), (left, left), (0, 0)])
            if fillValue != 0 {
                // The margins' fill (zeros inside), a constant added to the zero-padded images.
                let fill = Kernels.pad(Tensor(shape: t.shape, repeating: 0), top: top, left: left,
                                       height: h + 2 * top, width: w + 2 * left, value: fillValue)
                padded = try Ops.add(padded, fill)
            }
        }
        return try Ops.resize(padded, size: [height, width], interpolation: interpolation, antialias: antialias)
    }

    /// Crops a `(batch, height, width, channels)` batch to the aspect ratio of the target and
    /// resizes it (Keras's `resize(..., crop_to_aspect_ratio=True)`), differentiable in the images.
    static func cropAndResize(_ t: Tensor, height: Int, width: Int,
                              interpolation: ResizeInterpolation = .bilinear, antialias: Bool = false) throws -> Tensor {
        let box = aspectCropBox(height: t.shape[1], width: t.shape[2], targetHeight: height, targetWidth: width)
        let cropped = try Ops.slice(t, start: [0, box.top, box.left, 0], shape: [t.shape[0], box.height, box.width, t.shape[3]])
        return try Ops.resize(cropped, size: [height, width], interpolation: interpolation, antialias: antialias)
    }
}

/// The geometric augmentations (`RandomRotation`, `RandomZoom`, `RandomTranslation`,
/// `RandomShear`, `RandomPerspective`): in training each image is resampled through an affine
/// (or projective) map drawn per image, with Keras's
/// `fill_mode`, `fill_value` and `interpolation`; at inference the images pass unchanged.
open class AffineAugmentation: ImageLayer, @unchecked Sendable {
    let fillMode: FillMode
    let interpolation: Interpolation
    public let fillValue: Double

    init(fillMode: String, interpolation: String, fillValue: Double, seed: Int?, dataFormat: DataFormat, name: String?, layer: String) throws {
        self.fillMode = try .named(fillMode, layer: layer)
        self.interpolation = try .named(interpolation, layer: layer)
        self.fillValue = fillValue
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    /// One map per image drawn as Keras's `get_random_transformation` draws it on JAX, each of
    /// its random ops keyed by `nextKey()` (Keras's `seed.next()`: in the layer's own call its
    /// generator's): `[a0, a1, a2, b0, b1, b2]` (or with `c0, c1` a projective map), output pixel
    /// `(x, y)` sampling the input at `((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k)`,
    /// `k = c0·x + c1·y + 1`. Each augmentation overrides it; by default the identity, drawing nothing.
    func transforms(count: Int, height: Int, width: Int, keys nextKey: () -> ThreefryKey) -> [[Float]] {
        Array(repeating: [1, 0, 0, 0, 1, 0], count: count)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try onBatch(x) { t in try drawTransformation(shape: t.shape, keys: { drawKey() })(t) }
    }

    /// The per-image maps drawn with `nextKey()` (``transforms(count:height:width:keys:)``) for a
    /// `(batch, height, width, channels)` batch of `shape`, as the resampling of such a batch.
    func drawTransformation(shape: [Int], keys nextKey: () -> ThreefryKey) -> (Tensor) throws -> Tensor {
        let maps = transforms(count: shape[0], height: shape[1], width: shape[2], keys: nextKey)
        let (bilinear, fill, value) = (interpolation == .bilinear, fillMode.rawValue, Float(fillValue))
        return { t in Kernels.affine(t, transforms: maps, bilinear: bilinear, fillMode: fill, fillValue: value) }
    }
}
