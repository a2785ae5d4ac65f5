/// Adds zero-mean Gaussian noise of standard deviation `stddev` during training; passes inputs
/// through at inference. Keras: `keras.layers.GaussianNoise`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [4]), GaussianNoise(0.1), Dense(1)])
/// ```
public final class GaussianNoise: Layer, @unchecked Sendable {
    /// The standard deviation of the noise, in `[0, 1]`.
    public let stddev: Double
    /// The seed of the layer's generator (nil: one drawn from the thread's generator).
    public let seed: Int?
    /// Keras's `seed_generator` (none when nothing is drawn): its state keys each training call's draw.
    public let seedGenerator: SeedGenerator?

    public init(_ stddev: Double, seed: Int? = nil, name: String? = nil, trainable: Bool = true) throws {
        guard stddev >= 0 && stddev <= 1 else {
            throw KerasError.invalidArgument("GaussianNoise(stddev: \(stddev)): stddev must be a number between 0 and 1")
        }
        self.stddev = stddev
        self.seed = seed
        seedGenerator = .owned(seed: seed, draws: stddev > 0)
        super.init(name: name, trainable: trainable)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override var seedGenerators: [SeedGenerator] { seedGenerator.map { [$0] } ?? [] }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { !(training && stddev > 0) }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard training && stddev > 0 else { return inputs }
        return try Ops.add(inputs, gaussianNoise(inputs.shape, mean: 0, stddev: Float(stddev), layerDrawKey(seedGenerator)))
    }
}

/// Normal samples of `shape` with `mean` and `stddev`: the noise of `GaussianNoise` and
/// `GaussianDropout` (Keras's `random.normal` on JAX from the layer's draw `key`).
func gaussianNoise(_ shape: [Int], mean: Float, stddev: Float, _ key: ThreefryKey) -> Tensor {
    let noise = Tensor.uninitialized(shape)
    key.fillNormal(noise.data, count: noise.count, mean: mean, stddev: stddev)
    return noise
}

extension GaussianNoise: DeclaredLayer {
    /// Keras: `GaussianNoise(stddev, seed=None)`.
    public static let declaration = LayerDeclaration(GaussianNoise.self, builtAtInit: true, arguments: [
        .required("stddev", \.stddev),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        let stddev = try c.double("stddev")
        return try GaussianNoise(stddev, seed: c.seed(drawn: stddev > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GaussianNoise.self, $0) }
