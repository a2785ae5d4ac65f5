/// `inputs[0] + inputs[1] * scale`: InceptionResNetV2's residual branch scaled and added to
/// its shortcut. Keras: `keras.src.applications.inception_resnet_v2.CustomScaleLayer`, which
/// Keras does not export; its files name it by that module and `registered_name`
/// `CustomScaleLayer`, and load here with no custom objects.
///
/// ```swift
/// let x = Input(shape: [8]), r = try Dense(8)(x)
/// let y = try CustomScaleLayer(0.17)([x, r])
/// ```
public final class CustomScaleLayer: Layer, @unchecked Sendable {
    /// The factor of the second input.
    public let scale: Double

    public init(_ scale: Double, name: String? = nil, trainable: Bool = true) {
        self.scale = scale
        super.init(name: name, trainable: trainable)
    }

    public override func build(shapes: [[Int?]]) throws {
        _ = try computeOutputShape(shapes: shapes)
    }

    public override func build(_ inputShape: [Int?]) throws {
        _ = try computeOutputShape(inputShape)
    }

    public override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        try checkTwoInputs(inputs.count)
        return try Ops.add(inputs[0], Ops.affine(inputs[1], scale: Float(scale)))
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try checkTwoInputs(1)
        return inputs
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkTwoInputs(1)
        return inputShape
    }

    /// The two inputs' shapes broadcast as numpy broadcasts them (Keras's `ops.add`).
    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        try checkTwoInputs(shapes.count)
        guard let shape = broadcastStaticShapes(shapes[0], shapes[1]) else {
            throw KerasError.shapeMismatch("CustomScaleLayer '\(name)': inputs of shapes \(formatShape(shapes[0])) and \(formatShape(shapes[1])) do not broadcast together")
        }
        return shape
    }

    private func checkTwoInputs(_ count: Int) throws {
        guard count == 2 else {
            throw KerasError.invalidArgument("CustomScaleLayer '\(name)' is called on a list of two inputs (the shortcut and the residual), got \(count)")
        }
    }
}

/// Two shapes broadcast as numpy does (aligned from the right; nil: unknown), or nil when they
/// do not broadcast.
func broadcastStaticShapes(_ a: [Int?], _ b: [Int?]) -> [Int?]? {
    let rank = max(a.count, b.count)
    let x = [Int?](repeating: 1, count: rank - a.count) + a, y = [Int?](repeating: 1, count: rank - b.count) + b
    var out: [Int?] = []
    for (i, j) in zip(x, y) {
        switch (i, j) {
        case (1, _): out.append(j)
        case (_, 1): out.append(i)
        case (nil, _), (_, nil): out.append(i ?? j)
        default:
            guard i == j else { return nil }
            out.append(i)
        }
    }
    return out
}

extension CustomScaleLayer: DeclaredLayer {
    /// Keras: `CustomScaleLayer(scale, **kwargs)`.
    public static let declaration = LayerDeclaration(CustomScaleLayer.self, module: "keras.src.applications.inception_resnet_v2", arguments: [
        .required("scale", \.scale),
    ]) { c in try CustomScaleLayer(c.double("scale"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(CustomScaleLayer.self, $0) }
