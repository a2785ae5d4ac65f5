/// What the adaptive max and average poolings of every rank share: each spatial axis is cut
/// into `outputSize` bins (``Ops/adaptiveBins(length:count:)``, PyTorch's windows) whatever
/// the input's size, and each bin pooled. A subclass names its ``spatialRank`` and whether it
/// takes the maximum. Keras: `keras.src.layers.pooling.base_adaptive_pooling.BaseAdaptivePooling`.
///
/// ```swift
/// let pool = try AdaptiveAveragePooling2D(outputSize: [7])    // (batch, 7, 7, channels)
/// ```
open class BaseAdaptivePooling: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }
    /// True for max pooling, false for average pooling; each subclass overrides it.
    open class var takesMaximum: Bool { true }

    /// The output's size per spatial axis.
    public let outputSize: [Int]
    public let dataFormat: DataFormat

    /// `outputSize` takes one integer (repeated) or one per spatial axis.
    public required init(outputSize: [Int], dataFormat: DataFormat = .channelsLast, name: String? = nil,
                         trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let cls = String(describing: Self.self)
        self.outputSize = try windowTuple(outputSize, rank: Self.spatialRank, "\(cls)(output_size: \(outputSize))")
        self.dataFormat = dataFormat
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    /// The spatial axes of an input of rank `spatialRank + 2`.
    private var spatialAxes: [Int] {
        let rank = Self.spatialRank
        return dataFormat == .channelsLast ? Array(1...rank) : Array(2...(rank + 1))
    }

    private func checkRank(_ rank: Int, _ shape: String) throws {
        guard rank == Self.spatialRank + 2 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expects an input of rank \(Self.spatialRank + 2), got shape \(shape)")
        }
    }

    /// ``Ops/adaptivePool(_:outputSize:dataFormat:takesMaximum:)``. Keras: `ops.adaptive_average_pool` /
    /// `ops.adaptive_max_pool`.
    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try checkRank(inputs.rank, "\(inputs.shape)")
        return try Ops.adaptivePool(inputs, outputSize: outputSize, dataFormat: dataFormat, takesMaximum: Self.takesMaximum)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkRank(inputShape.count, formatShape(inputShape))
        var shape = inputShape
        for (axis, size) in zip(spatialAxes, outputSize) { shape[axis] = size }
        return shape
    }

    /// The declaration every adaptive pooling class shares. Keras: `BaseAdaptivePooling.get_config()`.
    public static func declaration<L: BaseAdaptivePooling>(_ type: L.Type) -> LayerDeclaration {
        let rank = L.spatialRank
        return LayerDeclaration(type, arguments: [
            .required("output_size") { .array($0.outputSize.map { .int($0) }) },
            .optional("data_format", \.dataFormat, default: .channelsLast),
        ]) { c in
            try L(outputSize: try c.ints("output_size", rank: rank),
                  dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"), name: c.name)
        }
    }
}
