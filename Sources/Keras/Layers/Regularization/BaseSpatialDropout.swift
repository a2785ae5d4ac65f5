/// What SpatialDropout1D, 2D and 3D share: during training, whole channels (feature maps) are
/// dropped, one mask value per sample and channel, and the rest scaled by `1 / (1 - rate)`;
/// inputs pass through at inference. Random numbers come as for ``Dropout``: from the layer's
/// ``SeedGenerator``. Keras: `BaseSpatialDropout`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [8, 8, 3]), Conv2D(16, kernelSize: [3]), SpatialDropout2D(0.2)])
/// ```
open class BaseSpatialDropout: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }

    /// The fraction of channels dropped, in `[0, 1]`.
    public let rate: Double
    /// SpatialDropout1D has none in Keras and is always channels-last.
    public let dataFormat: DataFormat
    /// The seed of the layer's generator (nil: one drawn from the thread's generator).
    public let seed: Int?
    /// Keras's `seed_generator` (none when nothing is drawn): its state keys each training call's draw.
    public let seedGenerator: SeedGenerator?

    public required init(_ rate: Double, dataFormat: DataFormat = .channelsLast, seed: Int? = nil, name: String? = nil,
                         trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        guard rate >= 0 && rate <= 1 else {
            throw KerasError.invalidArgument("\(Self.self)(rate: \(rate)): rate must be a number between 0 and 1")
        }
        self.rate = rate
        self.dataFormat = dataFormat
        self.seed = seed
        seedGenerator = .owned(seed: seed, draws: rate > 0)
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// The mask shape: the input's batch and channel sizes, 1 on every spatial axis.
    /// Keras: `_get_noise_shape`.
    func noiseShape(_ shape: [Int]) -> [Int] {
        let first = firstSpatialAxis(dataFormat)
        return shape.enumerated().map { (first..<(first + Self.spatialRank)).contains($0.offset) ? 1 : $0.element }
    }

    public override var seedGenerators: [SeedGenerator] { seedGenerator.map { [$0] } ?? [] }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { !(training && rate > 0) }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try checkInputRank(self, inputs.rank, expected: Self.spatialRank + 2, shape: "\(inputs.shape)")
        guard training && rate > 0 else { return inputs }
        return try Ops.multiply(inputs, dropoutMask(noiseShape(inputs.shape), rate: rate, layerDrawKey(seedGenerator)))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkInputRank(self, inputShape.count, expected: Self.spatialRank + 2, shape: formatShape(inputShape))
        return inputShape
    }

    /// Keras writes only `rate, seed, name, dtype` (the dtype's name, no `trainable`), then
    /// `data_format` for 2D and 3D: its constructor takes nothing else.
    public override func getConfig() -> JSON {
        var c: JSON = ["rate": .double(rate), "seed": seed.map { .int($0) } ?? .null, "name": .string(name), "dtype": "float32"]
        if Self.spatialRank > 1 { c.set("data_format", dataFormat.configValue) }
        return c
    }

    /// The declaration the three classes share. Keras: `SpatialDropoutND(rate, data_format=None, seed=None)`.
    public static func declaration<L: BaseSpatialDropout>(_ type: L.Type) -> LayerDeclaration {
        let format: [LayerArgument<L>] = L.spatialRank == 1 ? [] : [.optional("data_format", \.dataFormat, default: .channelsLast)]
        return LayerDeclaration(type, builtAtInit: true, arguments: [.required("rate", \.rate)] + format + [
            .optional("seed", \.seed, default: nil),
        ]) { c in
            let rate = try c.double("rate")
            return try L(rate, dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
                         seed: c.seed(drawn: rate > 0), name: c.name)
        }
    }
}
