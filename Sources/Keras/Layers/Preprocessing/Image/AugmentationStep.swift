import Foundation

/// An augmentation that ``RandAugment`` and ``AugMix`` apply as one of their steps, as Keras's
/// `get_random_transformation(data, seed=generator)` then `transform_images(images,
/// transformation)`: the transformation is drawn with the caller's keys (the step's own
/// generator stays put) and applied to `(batch, height, width, channels)` batches. Each step's
/// own `call` draws and applies with the same functions.
protocol AugmentationStep: ImageLayer {
    /// The transformation drawn with `keys` (one key per draw of Keras's
    /// `get_random_transformation`) for batches of `shape`, as the function applying it.
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor
}

extension AffineAugmentation: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        drawTransformation(shape: shape, keys: { keys.next() })
    }
}

extension RandomBrightness: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        let deltas = deltas(count: shape[0], key: keys.next())
        return { try self.brightening($0, deltas: deltas) }
    }
}

extension RandomContrast: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        let factors = factors(count: shape[0], keys)
        return { try self.contrasting($0, factors: factors) }
    }
}

extension RandomColorDegeneration: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        let factors = factors(count: shape[0], keys)
        return { try self.degenerating($0, factors: factors) }
    }
}

extension RandomSharpness: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        let factors = factors(count: shape[0], keys)
        return { try self.sharpening($0, factors: factors) }
    }
}

extension RandomPosterization: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        let bits = bits(count: shape[0], keys)
        return { try self.posterizing($0, bits: bits) }
    }
}

extension Solarization: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        let (additions, thresholds) = draws(count: shape[0], keys)
        return { try self.solarize($0, additions: additions, thresholds: thresholds) }
    }
}

extension AutoContrast: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        { try self.call($0, training: true) }
    }
}

extension Equalization: AugmentationStep {
    func drawTransformation(shape: [Int], keys: DrawKeys) -> (Tensor) throws -> Tensor {
        { try self.call($0, training: true) }
    }
}

/// The augmentations RandAugment and AugMix hold, made as Keras makes them from their
/// `(value_range, factor, interpolation, seed)`: each with the factor range, the geometric ones
/// with the interpolation, the posterization keeping `max(1, ⌊8·upper⌋)` bits at most. They
/// work on channels-last batches (the holder puts its images in that layout).
struct AugmentationSteps {
    let randomShear: RandomShear
    let randomTranslation: RandomTranslation
    let randomRotation: RandomRotation
    let randomBrightness: RandomBrightness
    let randomColorDegeneration: RandomColorDegeneration
    let randomContrast: RandomContrast
    let randomSharpness: RandomSharpness
    let solarization: Solarization
    let randomPosterization: RandomPosterization
    let autoContrast: AutoContrast
    let equalization: Equalization

    init(valueRange: [Double], factor: ImageFactor, interpolation: Interpolation, seed: Int?) throws {
        let f = factor.pair, i = interpolation.rawValue
        randomShear = try RandomShear(xFactor: f, yFactor: f, interpolation: i, seed: seed)
        randomTranslation = try RandomTranslation(heightFactor: f, widthFactor: f, interpolation: i, seed: seed)
        randomRotation = try RandomRotation(factor: f, interpolation: i, seed: seed)
        randomBrightness = try RandomBrightness(factor: f, valueRange: valueRange, seed: seed)
        randomColorDegeneration = try RandomColorDegeneration(factor: f, valueRange: valueRange, seed: seed)
        randomContrast = try RandomContrast(factor: f, valueRange: valueRange, seed: seed)
        randomSharpness = try RandomSharpness(factor: f, valueRange: valueRange, seed: seed)
        solarization = try Solarization(additionFactor: f, thresholdFactor: f, valueRange: valueRange, seed: seed)
        randomPosterization = try RandomPosterization(factor: .int(Swift.max(1, Int(8 * factor.upper))), valueRange: valueRange, seed: seed)
        autoContrast = try AutoContrast(valueRange: valueRange)
        equalization = try Equalization(valueRange: valueRange)
    }
}

/// In training, applies to each batch `numOps` augmentations chosen at random (the same for every
/// image of the batch) among shear, translation, rotation, brightness, colour degeneration,
/// contrast, sharpness, posterization, solarization, auto-contrast and equalization, each of
/// strength drawn from `factor`; at inference the images pass unchanged. Each augmentation's
/// transformation is drawn once per call, with this layer's keys after the choice's (an
/// augmentation chosen twice applies the same one twice). Keras: `keras.layers.RandAugment`.
public final class RandAugment: ImageLayer, @unchecked Sendable {
    /// The range of the pixel values, as given (`[0, 255]` by default).
    public let valueRange: [Double]
    /// The number of augmentations applied in turn.
    public let numOps: Int
    let factor: ImageFactor
    let interpolation: Interpolation
    // Keras's sublayers, made after this layer's generator, in its order of creation.
    private(set) var randomShear: RandomShear?
    private(set) var randomTranslation: RandomTranslation?
    private(set) var randomRotation: RandomRotation?
    private(set) var randomBrightness: RandomBrightness?
    private(set) var randomColorDegeneration: RandomColorDegeneration?
    private(set) var randomContrast: RandomContrast?
    private(set) var randomSharpness: RandomSharpness?
    private(set) var solarization: Solarization?
    private(set) var randomPosterization: RandomPosterization?
    private(set) var autoContrast: AutoContrast?
    private(set) var equalization: Equalization?

    /// - Parameters:
    ///   - factor: the strength, a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    ///   - numOps: the number of augmentations applied to each batch (0 or more).
    public init(valueRange: [Double] = [0, 255], numOps: Int = 2, factor: JSON = 0.5, interpolation: String = "bilinear",
                seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        guard valueRange.count == 2 else { throw badValueRange(valueRange, layer: "RandAugment") }
        guard numOps >= 0 else {
            throw KerasError.invalidArgument("RandAugment: num_ops must be a non-negative number of augmentations, got \(numOps)")
        }
        self.valueRange = valueRange
        self.numOps = numOps
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandAugment", argument: "factor")
        self.interpolation = try .named(interpolation, layer: "RandAugment")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
        let s = try AugmentationSteps(valueRange: valueRange, factor: self.factor, interpolation: self.interpolation, seed: seed)
        (randomShear, randomTranslation, randomRotation, randomBrightness) = (s.randomShear, s.randomTranslation, s.randomRotation, s.randomBrightness)
        (randomColorDegeneration, randomContrast, randomSharpness) = (s.randomColorDegeneration, s.randomContrast, s.randomSharpness)
        (solarization, randomPosterization, autoContrast, equalization) = (s.solarization, s.randomPosterization, s.autoContrast, s.equalization)
    }

    /// Keras's `_AUGMENT_LAYERS`, in its order (the indices drawn).
    var steps: [AugmentationStep] {
        let all: [AugmentationStep?] = [randomShear, randomTranslation, randomRotation, randomBrightness, randomColorDegeneration,
                                        randomContrast, randomSharpness, randomPosterization, solarization, autoContrast, equalization]
        return all.compactMap { $0 }
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }   // Keras draws nothing at inference
        let steps = self.steps
        return try onBatch(x.detached) { t in
            // Keras draws the indices (`random.randint((num_ops,), 0, count)`), then every
            // augmentation's transformation, all with this layer's keys.
            let keys = drawKeys
            let chosen = keys.randint(numOps, 0, steps.count)
            let transformations = steps.map { $0.drawTransformation(shape: t.shape, keys: keys) }
            var out = t
            for k in chosen where steps.indices.contains(k) { out = try transformations[k](out) }
            return out
        }
    }
}

extension RandAugment: DeclaredLayer {
    /// Keras: `RandAugment(value_range=(0, 255), num_ops=2, factor=0.5,
    /// interpolation="bilinear", seed=None, data_format=None)`; the config writes the factor as
    /// `[lower, upper]`.
    public static let declaration = LayerDeclaration(RandAugment.self, constructorOrder: [
        "value_range", "num_ops", "factor", "interpolation", "seed", "data_format",
    ], checkedWhenBuilt: ["num_ops": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("num_ops", \.numOps, default: 2),
        .optional("factor", default: 0.5) { $0.factor.pair },
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandAugment(valueRange: c.valueRange(layer: "RandAugment"), numOps: c.int("num_ops"), factor: c.pythonNumber("factor") ?? 0.5,
                        interpolation: c.givenString("interpolation"), seed: c.seed(),
                        dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let randAugmentRecord: LayerRecord = { LayerDeclaration.record(RandAugment.self, $0) }

/// In training, mixes each batch with `numChains` augmented copies of it: each copy goes through
/// a chain of up to `chainDepth` augmentations chosen at random (shear, translation, rotation,
/// posterization, solarization, auto-contrast, equalization, and with `allOps` brightness,
/// colour degeneration, contrast and sharpness), the copies are mixed with Dirichlet(`alpha`)
/// weights, and the mixture with the batch by a Beta(`alpha`, `alpha`) weight, clipped to
/// `valueRange`; at inference the images pass unchanged. As Keras chooses the augmentations with
/// Python's global generator (`random.choice`), not the layer's, anew at each training call (in
/// fit too: Keras's AugMix holds layers that cannot be jitted, so each step runs eagerly), they
/// are chosen here by ``chooser`` (Python's binding sets it to Python's `random` for fit), else
/// with the thread's generator (``setRandomSeed(_:)`` fixes it), or by the caller
/// (``call(_:choices:training:)``); the weights and each augmentation's transformation come from
/// the layer's generator. Keras: `keras.layers.AugMix`.
public final class AugMix: ImageLayer, @unchecked Sendable {
    /// The range of the pixel values, as given (`[0, 255]` by default).
    public let valueRange: [Double]
    /// The number of augmented copies mixed.
    public let numChains: Int
    /// The most augmentations in one chain.
    public let chainDepth: Int
    /// The Dirichlet and Beta parameter.
    public let alpha: Double
    /// Whether the colour augmentations (brightness, degeneration, contrast, sharpness) are among
    /// the choices.
    public let allOps: Bool
    let factor: ImageFactor
    let interpolation: Interpolation
    /// Chooses the chains' augmentations of a training call not given them: `count` entries
    /// (num_chains × chain_depth, chain by chain), each an index among `options` augmentations
    /// in Keras's order (``steps``) or nil for none, as Keras's `random.choice(layers + [None])`
    /// chooses each. Nil: the thread's generator chooses.
    public var chooser: ((_ options: Int, _ count: Int) throws -> [Int?])?
    // Keras's sublayers, made after this layer's generator, in its order of creation.
    private(set) var randomShear: RandomShear?
    private(set) var randomTranslation: RandomTranslation?
    private(set) var randomRotation: RandomRotation?
    private(set) var solarization: Solarization?
    private(set) var randomPosterization: RandomPosterization?
    private(set) var autoContrast: AutoContrast?
    private(set) var equalization: Equalization?
    private(set) var randomBrightness: RandomBrightness?
    private(set) var randomColorDegeneration: RandomColorDegeneration?
    private(set) var randomContrast: RandomContrast?
    private(set) var randomSharpness: RandomSharpness?

    public init(valueRange: [Double] = [0, 255], numChains: Int = 3, chainDepth: Int = 3, factor: JSON = 0.3, alpha: Double = 1.0,
                allOps: Bool = true, interpolation: String = "bilinear", seed: Int? = nil, dataFormat: DataFormat = .channelsLast,
                name: String? = nil) throws {
        guard valueRange.count == 2 else { throw badValueRange(valueRange, layer: "AugMix") }
        guard numChains >= 1, chainDepth >= 0 else {
            throw KerasError.invalidArgument("AugMix: num_chains must be at least 1 and chain_depth at least 0, got num_chains=\(numChains), chain_depth=\(chainDepth)")
        }
        guard alpha > 0, alpha.isFinite else {
            throw KerasError.invalidArgument("AugMix: alpha must be a positive number (the Dirichlet and Beta parameter), got \(alpha)")
        }
        self.valueRange = valueRange
        (self.numChains, self.chainDepth, self.alpha, self.allOps) = (numChains, chainDepth, alpha, allOps)
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "AugMix", argument: "factor")
        self.interpolation = try .named(interpolation, layer: "AugMix")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
        let s = try AugmentationSteps(valueRange: valueRange, factor: self.factor, interpolation: self.interpolation, seed: seed)
        (randomShear, randomTranslation, randomRotation) = (s.randomShear, s.randomTranslation, s.randomRotation)
        (solarization, randomPosterization, autoContrast, equalization) = (s.solarization, s.randomPosterization, s.autoContrast, s.equalization)
        if allOps {
            (randomBrightness, randomColorDegeneration, randomContrast, randomSharpness) =
                (s.randomBrightness, s.randomColorDegeneration, s.randomContrast, s.randomSharpness)
        }
    }

    /// Keras's `AUGMENT_LAYERS_ALL` (or `AUGMENT_LAYERS`), in its order.
    var steps: [AugmentationStep] {
        let all: [AugmentationStep?] = [randomShear, randomTranslation, randomRotation, randomPosterization, solarization, autoContrast,
                                        equalization, randomBrightness, randomColorDegeneration, randomContrast, randomSharpness]
        return all.compactMap { $0 }
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }   // Keras draws nothing at inference
        // Each chain step: one of the augmentations, or none (Keras's choice among them and None).
        let count = steps.count, picks = numChains * chainDepth
        if let chooser, picks > 0 { return try call(x, choices: chooser(count, picks), training: training) }
        let picker = RandomGenerator.current
        let choices = (0..<picks).map { _ -> Int? in
            let k = Int(picker.next() % UInt64(count + 1))
            return k < count ? k : nil
        }
        return try call(x, choices: choices, training: training)
    }

    /// The call with the augmentations chosen by the caller, as Keras's Python `random.choice`
    /// chooses them: `numChains × chainDepth` entries, chain by chain, each an index into the
    /// augmentations in Keras's order (``steps``) or nil for Keras's None (no augmentation).
    public func call(_ x: Tensor, choices: [Int?], training: Bool) throws -> Tensor {
        guard training else { return x }   // Keras draws nothing at inference
        let steps = self.steps
        guard choices.count == numChains * chainDepth else {
            throw KerasError.invalidArgument("AugMix '\(name)': expected \(numChains * chainDepth) choices (num_chains × chain_depth), got \(choices.count)")
        }
        if let bad = choices.compactMap({ $0 }).first(where: { !steps.indices.contains($0) }) {
            throw KerasError.invalidArgument("AugMix '\(name)': choice \(bad) is not one of its \(steps.count) augmentations")
        }
        let chains = (0..<numChains).map { c in choices[(c * chainDepth)..<((c + 1) * chainDepth)].compactMap { $0 } }
        return try onBatch(x.detached) { t in
            // Keras draws the chains' Dirichlet weights (`random.gamma((num_chains,), alpha)` over
            // their sum), the mixing weight (`random.beta((), alpha, alpha)`), then each chosen
            // step's transformation, chain by chain, all with this layer's keys.
            let keys = drawKeys
            let gammas = keys.gamma(numChains, Float(alpha))
            let total = gammas.reduce(0, +)
            let weights = gammas.map { $0 / total }
            let w = keys.beta(1, Float(alpha), Float(alpha))[0]
            let transformations = chains.map { chain in chain.map { steps[$0].drawTransformation(shape: t.shape, keys: keys) } }
            let mixed = Tensor(shape: t.shape)
            for (c, chain) in transformations.enumerated() {
                var copy = t
                for transform in chain { copy = try transform(copy) }
                let p = copy.data, m = mixed.data
                for i in 0..<t.count { m[i] += p[i] * weights[c] }
            }
            let (low, high) = (Float(valueRange[0]), Float(valueRange[1]))
            let out = Tensor.uninitialized(t.shape)
            let p = t.data, m = mixed.data, o = out.data
            for i in 0..<t.count { o[i] = Swift.min(Swift.max(w * p[i] + (1 - w) * m[i], low), high) }
            return out
        }
    }
}

extension AugMix: DeclaredLayer {
    /// Keras: `AugMix(value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0,
    /// all_ops=True, interpolation="bilinear", seed=None, data_format=None)`; the config writes
    /// the factor as `[lower, upper]`.
    public static let declaration = LayerDeclaration(AugMix.self, constructorOrder: [
        "value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops", "interpolation", "seed", "data_format",
    ], checkedWhenBuilt: ["num_chains": nil, "chain_depth": nil, "alpha": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("num_chains", \.numChains, default: 3),
        .optional("chain_depth", \.chainDepth, default: 3),
        .optional("factor", default: 0.3) { $0.factor.pair },
        .optional("alpha", \.alpha, default: 1.0),
        .optional("all_ops", \.allOps, default: true),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try AugMix(valueRange: c.valueRange(layer: "AugMix"), numChains: c.int("num_chains"), chainDepth: c.int("chain_depth"),
                   factor: c.pythonNumber("factor") ?? 0.3, alpha: c.double("alpha"), allOps: c.bool("all_ops"),
                   interpolation: c.givenString("interpolation"), seed: c.seed(),
                   dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let augMixRecord: LayerRecord = { LayerDeclaration.record(AugMix.self, $0) }
