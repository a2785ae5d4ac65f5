/// Sets a random fraction `rate` of its inputs to zero during training and scales the rest by
/// `1 / (1 - rate)`, so that the expected sum is unchanged; passes inputs through at inference.
/// Keras: `keras.layers.Dropout`.
///
/// Its masks come from its own ``SeedGenerator`` (Keras's `seed_generator`), moving on at each
/// training call: `seed` makes them reproducible whatever else draws random numbers; without one
/// the generator's seed is drawn from the thread's generator, which ``setRandomSeed(_:)`` seeds.
/// `noiseShape` shares one mask value along the axes where it is 1 (nil entries take the
/// input's size).
///
/// ```swift
/// let model = try Sequential([Dense(16, activation: .relu), Dropout(0.1), Dense(1)])
/// ```
public final class Dropout: Layer, @unchecked Sendable {
    /// The fraction of inputs dropped, in `[0, 1]`.
    public let rate: Double
    /// The shape of the mask (nil entries follow the input), or nil for the input's shape.
    public let noiseShape: [Int?]?
    /// The seed of the layer's generator (nil: one drawn from the thread's generator).
    public let seed: Int?
    /// Keras's `seed_generator` (none at rate 0): its state keys each training call's mask.
    public let seedGenerator: SeedGenerator?

    public init(_ rate: Double, noiseShape: [Int?]? = nil, seed: Int? = nil, name: String? = nil,
                trainable: Bool = true, inputShape: [Int]? = nil, inputDim: Int? = nil,
                batchSize: Int? = nil) throws {
        guard rate >= 0 && rate <= 1 else {
            throw KerasError.invalidArgument("Dropout(rate: \(rate)): rate must be a number between 0 and 1")
        }
        if let noiseShape, let bad = noiseShape.firstIndex(where: { ($0 ?? 1) <= 0 }) {
            throw KerasError.invalidArgument("Dropout(noiseShape: \(formatShape(noiseShape))): dimension \(bad) is \(noiseShape[bad] ?? 0); dimensions must be positive or nil")
        }
        self.rate = rate
        self.noiseShape = noiseShape
        self.seed = seed
        seedGenerator = .owned(seed: seed, draws: rate > 0)
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { !(training && rate > 0) }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard training && rate > 0 else { return inputs }
        let mask = dropoutMask(try concreteNoiseShape(for: inputs.shape), rate: rate, layerDrawKey(seedGenerator))
        return try Ops.multiply(inputs, mask)
    }

    /// The mask shape for an input (see ``concreteNoiseShape(_:for:_:)``).
    func concreteNoiseShape(for shape: [Int]) throws -> [Int] {
        try Keras.concreteNoiseShape(noiseShape, for: shape, "Dropout '\(name)'")
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }

    public override var seedGenerators: [SeedGenerator] { seedGenerator.map { [$0] } ?? [] }
}

/// A dropout mask of `shape`: `1 / (1 - rate)` with probability `1 - rate`, else 0 (all zeros
/// for `rate >= 1`). Keras: `backend.random.dropout`'s mask on JAX, `jax.random.bernoulli(key,
/// 1 - rate)`: element `i` kept where its threefry uniform is below the keep probability.
func dropoutMask(_ shape: [Int], rate: Double, _ key: ThreefryKey) -> Tensor {
    let mask = Tensor.uninitialized(shape)
    fillDropoutMask(mask.data, count: mask.count, rate: rate, key)
    return mask
}

/// Writes ``dropoutMask(_:rate:_:)``'s `count` values into `p`, drawing as it does.
func fillDropoutMask(_ p: UnsafeMutablePointer<Float>, count: Int, rate: Double, _ key: ThreefryKey) {
    if rate >= 1 {
        p.initialize(repeating: 0, count: count)
    } else {
        // Keras scales the kept inputs by `x / keep_prob` in float32.
        let keep = Float(1 - rate), scale = 1 / keep
        key.fillBernoulliScaled(p, count: count, p: keep, scale: scale)
    }
}

/// The key of a built-in layer's draw in a training call: its generator's state, which moves on
/// by `draws` (Keras's `seed_generator.next()`), or without one (nothing to draw for in Keras) a
/// key from the calling thread's generator.
func layerDrawKey(_ generator: SeedGenerator?, draws: Int = 1) -> ThreefryKey {
    generator?.nextThreefryKey(draws: draws) ?? drawKey(nil, .current)
}

extension Dropout: DeclaredLayer {
    /// Keras: `Dropout(rate, noise_shape=None, seed=None)`; its config lists `seed` before `noise_shape`.
    public static let declaration = LayerDeclaration(Dropout.self, builtAtInit: true, constructorOrder: ["rate", "noise_shape", "seed"], arguments: [
        .required("rate", \.rate),
        .optional("seed", \.seed, default: nil),
        .optional("noise_shape", \.noiseShape, default: nil),
    ]) { c in
        let rate = try c.double("rate")
        return try Dropout(rate, noiseShape: c.shape("noise_shape"), seed: c.seed(drawn: rate > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Dropout.self, $0) }

/// The mask shape of a dropout layer (`Dropout`, `AlphaDropout`) for an input: nil entries of
/// `noiseShape` take the input's size; every entry must equal the input's size or be 1 (shared
/// along that axis). Errors name `owner`.
func concreteNoiseShape(_ noiseShape: [Int?]?, for shape: [Int], _ owner: String) throws -> [Int] {
    guard let noiseShape else { return shape }
    guard noiseShape.count == shape.count else {
        throw KerasError.shapeMismatch("\(owner): noiseShape \(formatShape(noiseShape)) has rank \(noiseShape.count), but the input has shape \(shape)")
    }
    return try zip(noiseShape, shape).map { n, d in
        guard let n else { return d }
        guard n == d || n == 1 else {
            throw KerasError.shapeMismatch("\(owner): noiseShape \(formatShape(noiseShape)) does not broadcast to the input shape \(shape)")
        }
        return n
    }
}
