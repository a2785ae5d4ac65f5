/// Keras's layer that pads or truncates a batch's bounding boxes to `maxNumber` per image; the
/// images pass unchanged. The library's image layers take images (the identity here, so that
/// Keras models and configs holding it load and run); the Python binding cuts or pads the boxes
/// of Keras's dict of images and `bounding_boxes`. Keras: `keras.layers.MaxNumBoundingBoxes`.
public final class MaxNumBoundingBoxes: ImageLayer, @unchecked Sendable {
    /// The number of boxes per image Keras's layer outputs.
    public let maxNumber: Int
    /// The padding of boxes and labels (Keras's config does not keep it).
    public let fillValue: Int
    public init(maxNumber: Int, fillValue: Int = -1, boundingBoxFormat: String? = nil, dataFormat: DataFormat = .channelsLast,
                name: String? = nil) throws {
        guard maxNumber >= 0 else {
            throw KerasError.invalidArgument("MaxNumBoundingBoxes: max_number must be a non-negative integer, got \(maxNumber)")
        }
        self.maxNumber = maxNumber
        self.fillValue = fillValue
        super.init(dataFormat: dataFormat, seed: nil, draws: false, name: name)
        self.boundingBoxFormat = boundingBoxFormat   // (Keras refuses boxes without one)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor { x }
}

extension MaxNumBoundingBoxes: DeclaredLayer {
    /// Keras: `MaxNumBoundingBoxes(max_number, fill_value=-1, bounding_box_format=None)`; its
    /// config writes `max_number` (and the base's `data_format` and `bounding_box_format`) only.
    public static let declaration = LayerDeclaration(MaxNumBoundingBoxes.self, constructorOrder: ["max_number", "fill_value"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("max_number", \.maxNumber),
        .unsaved("fill_value", default: -1),
    ]) { c in
        try c.refuseNone("fill_value")
        return try MaxNumBoundingBoxes(maxNumber: c.int("max_number"), fillValue: c.int("fill_value", default: -1),
                                dataFormat: DataFormat.named(c.string("data_format", default: "channels_last")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MaxNumBoundingBoxes.self, $0) }
