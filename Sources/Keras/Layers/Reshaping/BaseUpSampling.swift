/// What UpSampling1D, 2D and 3D share: each spatial axis enlarged by an integer factor, by
/// repeating positions (nearest) or, for UpSampling2D, by interpolation (bilinear, bicubic,
/// lanczos3, lanczos5) as JAX's `image.resize` computes it. Keras: `keras.layers.UpSampling1D/2D/3D`.
///
/// ```swift
/// let up = try UpSampling2D(size: [2, 3], interpolation: .bilinear)
/// ```
open class BaseUpSampling: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }

    /// The factor per spatial axis.
    public let size: [Int]
    /// UpSampling1D has none in Keras and is always channels-last.
    public let dataFormat: DataFormat
    /// Only UpSampling2D interpolates in Keras; the others repeat (`nearest`).
    public let interpolation: ResizeInterpolation

    /// `size` takes one positive integer (repeated) or one per spatial axis.
    public required init(size: [Int] = [2], dataFormat: DataFormat = .channelsLast, interpolation: ResizeInterpolation = .nearest,
                         name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let rank = Self.spatialRank
        self.size = try windowTuple(size, rank: rank, "\(Self.self)(size: \(size))")
        guard interpolation == .nearest || rank == 2 else {
            throw KerasError.invalidArgument("\(Self.self)(interpolation: \"\(interpolation.rawValue)\"): only UpSampling2D interpolates; this layer repeats (\"nearest\")")
        }
        self.dataFormat = dataFormat
        self.interpolation = interpolation
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        let rank = Self.spatialRank, first = firstSpatialAxis(dataFormat)
        try checkInputRank(self, inputs.rank, expected: rank + 2, shape: "\(inputs.shape)")
        guard interpolation != .nearest else {
            var y = inputs
            for (a, s) in size.enumerated() where s > 1 { y = try Ops.repeat(y, s, axis: first + a) }
            return y
        }
        let x = try channelsLast(inputs, dataFormat, rank: rank)
        let target = try size.enumerated().map { a, s in try ShapeMath.product([x.shape[a + 1], s], name) }
        return try channelsRestored(try Ops.resize(x, size: target, interpolation: interpolation), dataFormat, rank: rank)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkInputRank(self, inputShape.count, expected: Self.spatialRank + 2, shape: formatShape(inputShape))
        var out = inputShape
        let first = firstSpatialAxis(dataFormat)
        for (a, s) in size.enumerated() { out[first + a] = try inputShape[first + a].map { try ShapeMath.product([$0, s], name) } }
        return out
    }

    /// The `size` argument as Keras's `get_config()` writes it: a list per axis (an integer for UpSampling1D).
    static func sizeArgument<L: BaseUpSampling>(_ type: L.Type) -> LayerArgument<L> {
        let rank = L.spatialRank
        return rank == 1
            ? .optional("size", default: 2) { .int($0.size[0]) }
            : .optional("size", default: .array(Array(repeating: 2, count: rank))) { .array($0.size.map { .int($0) }) }
    }

    /// The data format of a config (channels-last when it gives none).
    static func dataFormat(_ c: LayerConfig) throws -> DataFormat {
        try DataFormat.named(try c.optionalString("data_format") ?? "channels_last")
    }
}
