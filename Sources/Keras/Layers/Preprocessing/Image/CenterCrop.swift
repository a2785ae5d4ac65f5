/// Crops the centre `height × width` window of images (resizing to the target's aspect ratio
/// when an image is smaller), in training and inference. Keras: `keras.layers.CenterCrop`.
public final class CenterCrop: ImageLayer, @unchecked Sendable {
    public let height: Int
    public let width: Int

    public init(height: Int, width: Int, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        guard height > 0, width > 0 else {
            throw KerasError.invalidArgument("CenterCrop: height and width must be positive, got \(height) × \(width)")
        }
        self.height = height
        self.width = width
        super.init(dataFormat: dataFormat, seed: nil, draws: false, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        try onBatch(x.detached) { t in
            let (h, w) = (t.shape[1], t.shape[2])
            guard h >= height, w >= width else { return try Self.cropAndResize(t, height: height, width: width) }
            return Kernels.crop(t, top: (h - height) / 2, left: (w - width) / 2, height: height, width: width)
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try resizedShape(inputShape, height: height, width: width)
    }
}

extension CenterCrop: DeclaredLayer {
    /// Keras: `CenterCrop(height, width, data_format=None)`.
    public static let declaration = LayerDeclaration(CenterCrop.self, constructorOrder: ["height", "width", "data_format"], checkedWhenBuilt: ["height": 1, "width": 1], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("height", \.height),
        .required("width", \.width),
    ]) { c in
        try CenterCrop(height: c.int("height"), width: c.int("width"), dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(CenterCrop.self, $0) }
