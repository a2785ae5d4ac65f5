/// What ZeroPadding1D, 2D and 3D share: rows of zeros added before and after each spatial axis.
/// Keras: `keras.layers.ZeroPadding1D/2D/3D`.
///
/// ```swift
/// let pad = try ZeroPadding2D(padding: [[1, 2], [0, 3]])   // (top, bottom), (left, right)
/// ```
open class BaseZeroPadding: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }

    /// One `[before, after]` pair per spatial axis.
    public let padding: [[Int]]
    public let dataFormat: DataFormat

    /// `padding` takes one pair per spatial axis, one entry for every axis, and a single value
    /// within an entry for both sides: `[[1]]` pads every side by 1.
    public required init(padding: [[Int]] = [[1]], dataFormat: DataFormat = .channelsLast, name: String? = nil,
                         trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        self.padding = try spatialPairs(padding, rank: Self.spatialRank, "\(Self.self)(padding: \(padding))")
        self.dataFormat = dataFormat
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    /// The padding of every axis of an input, zero on the batch and channel axes.
    var allAxes: [(before: Int, after: Int)] {
        let spatial = padding.map { (before: $0[0], after: $0[1]) }
        return dataFormat == .channelsLast ? [(0, 0)] + spatial + [(0, 0)] : [(0, 0), (0, 0)] + spatial
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try checkInputRank(self, inputs.rank, expected: Self.spatialRank + 2, shape: "\(inputs.shape)")
        return try Ops.pad(inputs, allAxes)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkInputRank(self, inputShape.count, expected: Self.spatialRank + 2, shape: formatShape(inputShape))
        return try zip(inputShape, allAxes).map { n, p in
            try n.map { try ShapeMath.sum(try ShapeMath.sum($0, p.before, name), p.after, name) }
        }
    }

    /// The declaration the three classes share; `defaultPadding` is Keras's default in its form.
    /// Keras: `ZeroPaddingND.__init__` and `get_config()`.
    public static func declaration<L: BaseZeroPadding>(_ type: L.Type, defaultPadding: JSON) -> LayerDeclaration {
        LayerDeclaration(type, arguments: [
            .optional("padding", default: defaultPadding) { pairsConfig($0.padding) },
            .optional("data_format", \.dataFormat, default: .channelsLast),
        ]) { c in
            try L(padding: try c.pairs("padding", rank: L.spatialRank),
                  dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"), name: c.name)
        }
    }
}
