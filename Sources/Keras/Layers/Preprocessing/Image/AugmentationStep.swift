import Foundation

/// An augmentation that ``RandAugment`` and ``AugMix`` apply as one of their steps, as Keras's
/// `get_random_transformation(data, seed=generator)` then `transform_images(images,
/// transformation)`: the transformation is drawn from the caller's generator (the step's own
/// stays put) and applied to `(batch, height, width, channels)` batches. Each step's own `call`
/// draws and applies with the same functions.
protocol AugmentationStep: ImageLayer {
    /// The draws Keras's `get_random_transformation` makes from the generator it is given.
    var transformationDraws: Int { get }
    /// The transformation drawn from `random` for batches of `shape`, as the function applying
    /// it.
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor
}

extension AffineAugmentation: AugmentationStep {
    var transformationDraws: Int { drawsPerCall }
}

extension RandomBrightness: AugmentationStep {
    var transformationDraws: Int { 1 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        let deltas = deltas(count: shape[0], random)
        return { try self.brightening($0, deltas: deltas) }
    }
}

extension RandomContrast: AugmentationStep {
    var transformationDraws: Int { 1 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        let factors = factors(count: shape[0], random)
        return { try self.contrasting($0, factors: factors) }
    }
}

extension RandomColorDegeneration: AugmentationStep {
    var transformationDraws: Int { 1 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        let factors = factors(count: shape[0], random)
        return { try self.degenerating($0, factors: factors) }
    }
}

extension RandomSharpness: AugmentationStep {
    var transformationDraws: Int { 1 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        let factors = factors(count: shape[0], random)
        return { try self.sharpening($0, factors: factors) }
    }
}

extension RandomPosterization: AugmentationStep {
    var transformationDraws: Int { bitsDraws }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        let bits = bits(count: shape[0], bitsDraws > 0 ? random : nil)
        return { try self.posterizing($0, bits: bits) }
    }
}

extension Solarization: AugmentationStep {
    var transformationDraws: Int { 2 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        let (additions, thresholds) = draws(count: shape[0], random)
        return { try self.solarize($0, additions: additions, thresholds: thresholds) }
    }
}

extension AutoContrast: AugmentationStep {
    var transformationDraws: Int { 0 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
        { try self.call($0, training: true) }
    }
}

extension Equalization: AugmentationStep {
    var transformationDraws: Int { 0 }
    func drawTransformation(shape: [Int], random: RandomGenerator) -> (Tensor) throws -> Tensor {
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
/// transformation is drawn once per call, from this layer's generator (an augmentation chosen
/// twice applies the same one twice). Keras: `keras.layers.RandAugment`.
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
            // Keras draws the indices, then every augmentation's transformation.
            let rng = random(draws: 1 + steps.reduce(0) { $0 + $1.transformationDraws })
            let chosen = (0..<numOps).map { _ in Swift.min(Int(rng.uniform() * Float(steps.count)), steps.count - 1) }
            let transformations = steps.map { $0.drawTransformation(shape: t.shape, random: rng) }
            var out = t
            for k in chosen { out = try transformations[k](out) }
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
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("value_range", \.valueRange, default: [0, 255]),
        .optional("num_ops", \.numOps, default: 2),
        .optional("factor", default: 0.5) { $0.factor.pair },
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandAugment(valueRange: c.valueRange(layer: "RandAugment"), numOps: c.int("num_ops"), factor: c["factor"] ?? 0.5,
                        interpolation: c.string("interpolation"), seed: c.optionalInt("seed"),
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
/// Python's global generator (`random.choice`), not the layer's, they are chosen here with the
/// thread's generator (``setRandomSeed(_:)`` fixes it), or by the caller
/// (``call(_:choices:training:)``: Python's binding draws them from Python's `random` as Keras
/// does); the weights and each augmentation's transformation come from the layer's generator.
/// Keras: `keras.layers.AugMix`.
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
        let picker = RandomGenerator.current, count = steps.count
        let choices = (0..<numChains * chainDepth).map { _ -> Int? in
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
            // Keras draws the chains' weights, the mixing weight, then each chosen step's transformation.
            let rng = random(draws: 2 + chains.joined().reduce(0) { $0 + steps[$1].transformationDraws })
            let logs = (0..<numChains).map { _ in rng.logGamma(alpha) }
            let top = logs.max() ?? 0
            let gammas = logs.map { Float(exp($0 - top)) }
            let total = gammas.reduce(0, +)
            let weights = gammas.map { $0 / total }
            let w = Float(rng.beta(alpha, alpha))
            let mixed = Tensor(shape: t.shape)
            for (c, chain) in chains.enumerated() {
                var copy = t
                for k in chain { copy = try steps[k].drawTransformation(shape: t.shape, random: rng)(copy) }
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
    ], arguments: [
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
                   factor: c["factor"] ?? 0.3, alpha: c.double("alpha"), allOps: c.bool("all_ops"),
                   interpolation: c.string("interpolation"), seed: c.optionalInt("seed"),
                   dataFormat: c.imageDataFormat(), name: c.name)
    }
}
@section("keras_layers") @used private let augMixRecord: LayerRecord = { LayerDeclaration.record(AugMix.self, $0) }
