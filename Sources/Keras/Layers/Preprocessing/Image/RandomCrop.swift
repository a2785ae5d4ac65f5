/// In training, crops a random `height × width` window (the same for the whole batch; images not
/// larger than the target are cropped to its aspect ratio and resized); at inference the images
/// pass unchanged, as in Keras 3. Keras: `keras.layers.RandomCrop`.
public final class RandomCrop: ImageLayer, @unchecked Sendable {
    public let height: Int
    public let width: Int

    /// Without a seed, one is drawn and written in the config, and the generator draws its own
    /// after it, as Keras does (`self.seed = seed or make_default_seed()`, then
    /// `SeedGenerator(seed)`): from Python the two seeds handed over, in that order.
    public init(height: Int, width: Int, seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        guard height > 0, width > 0 else {
            throw KerasError.invalidArgument("RandomCrop: height and width must be positive, got \(height) × \(width)")
        }
        self.height = height
        self.width = width
        let written = seed ?? DefaultSeeds.next().map { Int($0) } ?? KerasDefaultSeeds.next()
            ?? Int(RandomGenerator.current.next() % (1 << 30))
        super.init(dataFormat: dataFormat, seed: seed, writtenSeed: written, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try onBatch(x.detached) { t in
            let (h, w) = (t.shape[1], t.shape[2])
            guard h > height, w > width else { return try Self.cropAndResize(t, height: height, width: width) }
            // Keras: the top, then the left offset, each `int32(random.uniform((), 0, span))`.
            func offset(_ span: Int) -> Int { Int(drawKey().uniform(count: 1, maxval: Float(span)).first ?? 0) }
            let top = offset(h - height + 1), left = offset(w - width + 1)
            return Kernels.crop(t, top: Swift.min(top, h - height), left: Swift.min(left, w - width), height: height, width: width)
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try resizedShape(inputShape, height: height, width: width)
    }
}

extension RandomCrop: DeclaredLayer {
    /// Keras: `RandomCrop(height, width, seed=None, data_format=None)`.
    public static let declaration = LayerDeclaration(RandomCrop.self, constructorOrder: ["height", "width", "seed", "data_format"], checkedWhenBuilt: ["height": 1, "width": 1], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("height", \.height),
        .required("width", \.width),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try RandomCrop(height: c.int("height"), width: c.int("width"), seed: c.seed(),
                       dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomCrop.self, $0) }
