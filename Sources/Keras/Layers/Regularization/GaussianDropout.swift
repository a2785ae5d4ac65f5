/// Multiplies its inputs by Gaussian noise of mean 1 and standard deviation
/// `sqrt(rate / (1 - rate))` during training; passes inputs through at inference.
/// Keras: `keras.layers.GaussianDropout`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [4]), GaussianDropout(0.2), Dense(1)])
/// ```
public final class GaussianDropout: Layer, @unchecked Sendable {
    /// The drop probability, in `[0, 1]`.
    public let rate: Double
    /// The seed of the layer's generator (nil: one drawn from the thread's generator).
    public let seed: Int?
    /// Keras's `seed_generator` (none when nothing is drawn): its state keys each training call's draw.
    public let seedGenerator: SeedGenerator?

    public init(_ rate: Double, seed: Int? = nil, name: String? = nil, trainable: Bool = true) throws {
        self.rate = try checkedDropRate(rate, "GaussianDropout")
        self.seed = seed
        seedGenerator = .owned(seed: seed, draws: self.rate > 0)
        super.init(name: name, trainable: trainable)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override var seedGenerators: [SeedGenerator] { seedGenerator.map { [$0] } ?? [] }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { !(training && rate > 0) }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard training && rate > 0 else { return inputs }
        let stddev = Float((rate / (1 - rate)).squareRoot())
        return try Ops.multiply(inputs, gaussianNoise(inputs.shape, mean: 1, stddev: stddev, layerDrawKey(seedGenerator)))
    }
}

extension GaussianDropout: DeclaredLayer {
    /// Keras: `GaussianDropout(rate, seed=None)`.
    public static let declaration = LayerDeclaration(GaussianDropout.self, builtAtInit: true, arguments: [
        .required("rate", \.rate),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        let rate = try c.double("rate")
        return try GaussianDropout(rate, seed: c.seed(drawn: rate > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GaussianDropout.self, $0) }
