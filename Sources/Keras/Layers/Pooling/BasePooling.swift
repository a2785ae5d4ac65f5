/// What the max and average poolings of every rank share; a subclass names its
/// ``spatialRank`` and whether it takes the maximum. Keras: `keras.src.layers.pooling.base_pooling.BasePooling`.
///
/// ```swift
/// let pool = try MaxPooling2D(poolSize: [2])      // strides default to the pool size
/// ```
open class BasePooling: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }
    /// True for max pooling, false for average pooling; each subclass overrides it.
    open class var takesMaximum: Bool { true }

    /// The window per spatial axis.
    public let poolSize: [Int]
    public let strides: [Int]
    public let padding: ConvPadding
    public let dataFormat: DataFormat

    /// `poolSize` and `strides` take one integer (repeated) or one per spatial axis; `strides`
    /// defaults to `poolSize`.
    public required init(poolSize: [Int] = [2], strides: [Int]? = nil, padding: ConvPadding = .valid,
                         dataFormat: DataFormat = .channelsLast, name: String? = nil, trainable: Bool = true,
                         inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let rank = Self.spatialRank, cls = String(describing: Self.self)
        self.poolSize = try windowTuple(poolSize, rank: rank, "\(cls)(pool_size: \(poolSize))")
        self.strides = try windowTuple(strides ?? poolSize, rank: rank, "\(cls)(strides: \(strides ?? poolSize))")
        guard padding != .causal else {
            throw KerasError.invalidArgument("\(cls)(padding: \"causal\"): pooling padding must be \"valid\" or \"same\"")
        }
        self.padding = padding
        self.dataFormat = dataFormat
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        let rank = Self.spatialRank
        guard inputs.rank == rank + 2 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': expects an input of rank \(rank + 2), got shape \(inputs.shape)")
        }
        return Self.takesMaximum
            ? try Ops.maxPool(inputs, poolSize: poolSize, strides: strides, padding: padding, dataFormat: dataFormat)
            : try Ops.averagePool(inputs, poolSize: poolSize, strides: strides, padding: padding, dataFormat: dataFormat)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try windowOutputShape(self, inputShape, rank: Self.spatialRank, dataFormat: dataFormat, window: poolSize,
                              strides: strides, dilation: poolSize.map { _ in 1 }, padding: padding, channels: nil)
    }

    /// The declaration every pooling class shares. Keras: `BasePooling.__init__` and `get_config()`.
    public static func declaration<L: BasePooling>(_ type: L.Type, aliases: [String]) -> LayerDeclaration {
        let rank = L.spatialRank
        let defaultPool: JSON = rank == 1 ? 2 : .array(Array(repeating: 2, count: rank))
        // Keras's max poolings default pool_size to 2 per axis; its average poolings require it.
        let readPool: (L) -> JSON? = { .array($0.poolSize.map { .int($0) }) }
        let poolSizeArgument: LayerArgument<L> = L.takesMaximum
            ? .optional("pool_size", default: defaultPool, readPool) : .required("pool_size", readPool)
        return LayerDeclaration(type, aliases: aliases, builtAtInit: true,
                                constructorOrder: ["pool_size", "strides", "padding", "data_format"], checkedWhenBuilt: ["padding": "valid"], arguments: [
            poolSizeArgument,
            .optional("padding", \.padding, default: .valid),
            .optional("strides", default: nil) { .array($0.strides.map { .int($0) }) },
            .optional("data_format", \.dataFormat, default: .channelsLast),
        ]) { c in
            // Keras's `compute_output_shape` takes "valid" or "same" only, as given; its
            // constructor keeps any value (`checkedWhenBuilt`: refused when the layer is built).
            let given = c.json["padding"] ?? "valid"
            guard let padding = ConvPadding(rawValue: given.stringValue ?? ""), padding != .causal else {
                throw KerasError.invalidArgument("Argument `padding` must be either 'valid' or 'same'. Received: padding=\(LayerConfig.pythonStr(given))")
            }
            return try L(poolSize: try c.ints("pool_size", rank: rank), strides: try c.optionalInts("strides", rank: rank),
                         padding: padding, dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
                         name: c.name)
        }
    }
}
