/// Multiplies its inputs by `scale` and adds `offset`: `x * scale + offset`. Each is a number,
/// or a list broadcast against the inputs' last axes as numpy broadcasts it (one value per
/// channel: EfficientNet's `Rescaling([1 / sqrt(v) for v in variances])`).
/// Keras: `keras.layers.Rescaling`.
///
/// ```swift
/// Rescaling(1.0 / 255)                 // [0, 255] → [0, 1]
/// Rescaling(1.0 / 127.5, offset: -1)   // [0, 255] → [-1, 1]
/// try Rescaling(scales: [0.5, 1, 2])   // per channel
/// ```
public final class Rescaling: Layer, @unchecked Sendable {
    /// The factors applied first: one, or one per position of the last axes.
    public let scales: [Double]
    /// The values added after scaling: one, or one per position of the last axes.
    public let offsets: [Double]
    /// The single factor (the first of several).
    public var scale: Double { scales.first ?? 1 }
    /// The single offset (the first of several).
    public var offset: Double { offsets.first ?? 0 }
    /// Whether `scale` / `offset` were given as lists (the config writes them back so).
    private let scaleIsList: Bool, offsetIsList: Bool

    public init(_ scale: Double, offset: Double = 0, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.scales = [scale]
        self.offsets = [offset]
        self.scaleIsList = false
        self.offsetIsList = false
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// Per-channel (or any last-axes) factors and offsets; a one-element list is written back
    /// as a list, as given.
    public init(scales: [Double], offsets: [Double] = [0], name: String? = nil, trainable: Bool = true) throws {
        guard !scales.isEmpty, !offsets.isEmpty else {
            throw KerasError.invalidArgument("Rescaling: scale and offset need at least one value")
        }
        self.scales = scales
        self.offsets = offsets
        self.scaleIsList = true
        self.offsetIsList = offsets.count > 1
        super.init(name: name, trainable: trainable)
    }

    private init(scales: [Double], scaleIsList: Bool, offsets: [Double], offsetIsList: Bool, name: String?) {
        self.scales = scales
        self.offsets = offsets
        self.scaleIsList = scaleIsList
        self.offsetIsList = offsetIsList
        super.init(name: name)
    }

    public override func build(_ inputShape: [Int?]) throws {
        for (what, values) in [("scale", scales), ("offset", offsets)] where values.count > 1 {
            guard let last = inputShape.last, last == nil || last == values.count else {
                throw KerasError.shapeMismatch("Rescaling '\(name)': \(values.count) \(what) values do not broadcast against inputs of shape \(formatShape(inputShape)) (one per channel of the last axis)")
            }
        }
        try super.build(inputShape)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard scales.count > 1 || offsets.count > 1 else {
            return Ops.affine(inputs, scale: Float(scale), offset: Float(offset))
        }
        let scaled = scales.count > 1 ? try Ops.multiply(inputs, Tensor(shape: [scales.count], scalars: scales.map { Float($0) }))
                                      : Ops.affine(inputs, scale: Float(scale))
        return offsets.count > 1 ? try Ops.add(scaled, Tensor(shape: [offsets.count], scalars: offsets.map { Float($0) }))
                                 : Ops.affine(scaled, scale: 1, offset: Float(offset))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }

    fileprivate func written(_ values: [Double], asList: Bool) -> JSON {
        asList ? .array(values.map { .double($0) }) : .double(values[0])
    }

    /// A number, or a list of numbers, read from a config.
    fileprivate static func values(_ c: LayerConfig, _ key: String, default value: Double?) throws -> ([Double], Bool) {
        guard let j = c[key], !j.isNull else {
            guard let value else { throw KerasError.io("Rescaling config: '\(key)' is missing") }
            return ([value], false)
        }
        if let d = j.doubleValue { return ([d], false) }
        guard let list = j.arrayValue, !list.isEmpty, case let numbers = list.compactMap(\.doubleValue), numbers.count == list.count else {
            throw KerasError.io("Rescaling config: '\(key)' must be a number or a list of numbers, got \(j)")
        }
        return (numbers, true)
    }
}

extension Rescaling: DeclaredLayer {
    /// Keras: `Rescaling(scale, offset=0.0)`, each a number or a list broadcast over the last
    /// axis (one value per channel).
    public static let declaration = LayerDeclaration(Rescaling.self, checkedWhenBuilt: ["scale": 1, "offset": nil], arguments: [
        .required("scale") { $0.written($0.scales, asList: $0.scaleIsList) },
        .optional("offset", default: .double(0)) { $0.written($0.offsets, asList: $0.offsetIsList) },
    ]) { c in
        let (scales, scaleIsList) = try Rescaling.values(c, "scale", default: nil)
        let (offsets, offsetIsList) = try Rescaling.values(c, "offset", default: 0)
        return Rescaling(scales: scales, scaleIsList: scaleIsList, offsets: offsets, offsetIsList: offsetIsList, name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Rescaling.self, $0) }
