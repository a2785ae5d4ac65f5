/// Dropout that keeps the mean and variance of its inputs (for SELU networks): during training a
/// random fraction `rate` of the inputs is set to SELU's negative saturation value, then
/// everything is scaled and shifted back; passes inputs through at inference.
/// Keras: `keras.layers.AlphaDropout`.
///
/// With `α' = −1.6733 · 1.0507`, `a = ((1 − rate)(1 + rate·α'²))^(−1/2)` and `b = −a·α'·rate`,
/// the output is `a·(x·keep + α'·(1 − keep)) + b`, `keep` drawn as `uniform ≥ rate`.
///
/// ```swift
/// let model = try Sequential([Dense(16, activation: .selu), AlphaDropout(0.1), Dense(1)])
/// ```
public final class AlphaDropout: Layer, @unchecked Sendable {
    /// The fraction of inputs dropped, in `[0, 1]`.
    public let rate: Double
    /// The shape of the mask (nil entries follow the input), or nil for the input's shape.
    public let noiseShape: [Int?]?
    /// The seed of the layer's generator (nil: one drawn from the thread's generator).
    public let seed: Int?
    /// Keras's `seed_generator` (none when nothing is drawn): its state keys each training call's draw.
    public let seedGenerator: SeedGenerator?

    public init(_ rate: Double, noiseShape: [Int?]? = nil, seed: Int? = nil, name: String? = nil,
                trainable: Bool = true) throws {
        self.rate = try checkedDropRate(rate, "AlphaDropout")
        self.noiseShape = noiseShape
        self.seed = seed
        seedGenerator = .owned(seed: seed, draws: self.rate > 0)
        super.init(name: name, trainable: trainable)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override var seedGenerators: [SeedGenerator] { seedGenerator.map { [$0] } ?? [] }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { !(training && rate > 0) }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard training && rate > 0 else { return inputs }
        let shape = try concreteNoiseShape(noiseShape, for: inputs.shape, "AlphaDropout '\(name)'")
        let alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
        let a = 1 / ((1 - rate) * (1 + rate * alphaP * alphaP)).squareRoot(), b = -a * alphaP * rate
        // out = x · (a·keep) + (a·α'·(1 − keep) + b)
        let factor = Tensor.uninitialized(shape), offset = Tensor.uninitialized(shape)
        // Keras: `random.uniform(noise_shape) >= rate`, compared in float32.
        let key = layerDrawKey(seedGenerator), threshold = Float(rate)
        let kept = (Float(a), Float(b)), dropped = (Float(0), Float(a * alphaP + b))
        for i in 0..<factor.count {
            let (f, o) = key.unit(at: i) >= threshold ? kept : dropped
            factor.data[i] = f
            offset.data[i] = o
        }
        return try Ops.add(Ops.multiply(inputs, factor), offset)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }
}

extension AlphaDropout: DeclaredLayer {
    /// Keras: `AlphaDropout(rate, noise_shape=None, seed=None)`; its config lists `seed` before `noise_shape`.
    public static let declaration = LayerDeclaration(AlphaDropout.self, builtAtInit: true, constructorOrder: ["rate", "noise_shape", "seed"], arguments: [
        .required("rate", \.rate),
        .optional("seed", \.seed, default: nil),
        .optional("noise_shape", \.noiseShape, default: nil),
    ]) { c in
        let rate = try c.double("rate")
        return try AlphaDropout(rate, noiseShape: c.shape("noise_shape"), seed: c.seed(drawn: rate > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AlphaDropout.self, $0) }

/// `rate` when it lies in `[0, 1]`, else an error naming `layer` (`GaussianDropout`, `AlphaDropout`).
func checkedDropRate(_ rate: Double, _ layer: String) throws -> Double {
    guard rate >= 0 && rate <= 1 else {
        throw KerasError.invalidArgument("\(layer)(rate: \(rate)): rate must be a number between 0 and 1")
    }
    return rate
}
