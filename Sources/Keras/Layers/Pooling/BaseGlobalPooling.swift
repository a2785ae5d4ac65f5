/// What the global max and average poolings of every rank share: a reduction over every
/// spatial axis. Keras: `keras.src.layers.pooling.base_global_pooling.BaseGlobalPooling`.
///
/// ```swift
/// let pool = GlobalAveragePooling2D(keepdims: true)
/// ```
open class BaseGlobalPooling: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }
    /// True for max pooling, false for average pooling; each subclass overrides it.
    open class var takesMaximum: Bool { true }

    public let dataFormat: DataFormat
    /// Whether the spatial axes stay, with size 1.
    public let keepdims: Bool

    public required init(dataFormat: DataFormat = .channelsLast, keepdims: Bool = false, name: String? = nil,
                         trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) {
        self.dataFormat = dataFormat
        self.keepdims = keepdims
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    /// The spatial axes of an input of rank `spatialRank + 2`.
    var spatialAxes: [Int] {
        let rank = Self.spatialRank
        return dataFormat == .channelsLast ? Array(1...rank) : Array(2...(rank + 1))
    }

    func checkRank(_ rank: Int, _ shape: String) throws {
        guard rank == Self.spatialRank + 2 else {
            throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': expects an input of rank \(Self.spatialRank + 2), got shape \(shape)")
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try checkRank(inputs.rank, "\(inputs.shape)")
        return Self.takesMaximum
            ? try Ops.max(inputs, axes: spatialAxes, keepDims: keepdims)
            : try Ops.mean(inputs, axes: spatialAxes, keepDims: keepdims)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkRank(inputShape.count, formatShape(inputShape))
        let axes = Set(spatialAxes)
        return keepdims
            ? inputShape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            : inputShape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// The declaration every global pooling class shares. Keras: `BaseGlobalPooling.get_config()`.
    public static func declaration<L: BaseGlobalPooling>(_ type: L.Type, aliases: [String]) -> LayerDeclaration {
        LayerDeclaration(type, aliases: aliases, builtAtInit: true, arguments: [
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .optional("keepdims", \.keepdims, default: false),
        ]) { c in
            L(dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"),
              keepdims: try c.bool("keepdims"), name: c.name)
        }
    }
}
