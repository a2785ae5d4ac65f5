/// What Cropping1D, 2D and 3D share: positions removed from the start and end of each spatial
/// axis. Keras: `keras.layers.Cropping1D/2D/3D`.
///
/// ```swift
/// let crop = try Cropping2D(cropping: [[2, 2], [4, 4]])   // (top, bottom), (left, right)
/// ```
open class BaseCropping: Layer, @unchecked Sendable {
    /// The number of spatial axes (1, 2 or 3); each subclass overrides it.
    open class var spatialRank: Int { 2 }
    /// Keras's default cropping of the class: one position at each end, none for Cropping2D.
    open class var defaultCropping: [[Int]] { [[1]] }

    /// One `[start, end]` pair per spatial axis.
    public let cropping: [[Int]]
    /// Cropping1D has none in Keras and is always channels-last.
    public let dataFormat: DataFormat

    /// `cropping` takes one pair per spatial axis, one entry for every axis, and a single value
    /// within an entry for both ends: `[[1]]` removes one position at each end of each axis;
    /// nil takes ``defaultCropping``.
    public required init(cropping: [[Int]]? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil,
                         trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let given = cropping ?? Self.defaultCropping
        self.cropping = try spatialPairs(given, rank: Self.spatialRank, "\(Self.self)(cropping: \(given))")
        self.dataFormat = dataFormat
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    /// The shape after cropping; throws naming the layer when a spatial axis keeps no position.
    private func cropped(_ shape: [Int?]) throws -> [Int?] {
        try checkInputRank(self, shape.count, expected: Self.spatialRank + 2, shape: formatShape(shape))
        var out = shape
        let first = firstSpatialAxis(dataFormat)
        for (a, c) in cropping.enumerated() {
            guard let n = shape[first + a] else { continue }
            guard c[0] < n - c[1] else {
                throw KerasError.shapeMismatch("\(className) '\(name)': cropping \(cropping) must leave at least one position of the input's \(n) on spatial axis \(a) of shape \(formatShape(shape))")
            }
            out[first + a] = n - c[0] - c[1]
        }
        return out
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        let shape = try cropped(inputs.shape.map { Optional($0) }).map { $0 ?? 0 }
        var start = inputs.shape.map { _ in 0 }
        for (a, c) in cropping.enumerated() { start[firstSpatialAxis(dataFormat) + a] = c[0] }
        return try Ops.slice(inputs, start: start, shape: shape)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { try cropped(inputShape) }

    /// A crop of nothing (``Layer/returnsItsInput(_:)``).
    public override func returnsItsInput(_ shape: [Int?]) -> Bool { cropping.allSatisfy { $0.allSatisfy { $0 == 0 } } }

    /// The declaration the three classes share; `defaultCropping` is Keras's default in its
    /// form. Keras: `CroppingND.__init__` and `get_config()`.
    public static func declaration<L: BaseCropping>(_ type: L.Type, defaultCropping: JSON) -> LayerDeclaration {
        let cropping: LayerArgument<L> = .optional("cropping", default: defaultCropping) { pairsConfig($0.cropping) }
        let arguments = L.spatialRank == 1 ? [cropping] : [cropping, .optional("data_format", \.dataFormat, default: .channelsLast)]
        return LayerDeclaration(type, arguments: arguments) { c in
            try L(cropping: try c.pairs("cropping", rank: L.spatialRank),
                  dataFormat: try DataFormat.named(try c.optionalString("data_format") ?? "channels_last"), name: c.name)
        }
    }
}
