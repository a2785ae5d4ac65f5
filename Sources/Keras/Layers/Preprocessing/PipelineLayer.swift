/// A layer that applies its layers in turn (a preprocessing or augmentation pipeline); unlike a
/// `Sequential`, a plain layer. Its config is `{"layers": [...], "name": ...}` as Keras's, and
/// its layers' weights are saved under `layers/`. Keras: `keras.layers.Pipeline` (named
/// `PipelineLayer` here: `KerasSklearn.Pipeline` is scikit-learn's).
public final class PipelineLayer: Layer, @unchecked Sendable {
    /// The layers, first to last.
    public let pipelineLayers: [Layer]

    public init(_ layers: [Layer], name: String? = nil) {
        pipelineLayers = layers
        super.init(name: name)
    }

    public override var className: String { "Pipeline" }
    public override var sublayerAttributeNames: [String: String] { ["pipelineLayers": "layers"] }

    public override func build(_ inputShape: [Int?]) throws {
        var shape = inputShape
        for layer in pipelineLayers {
            try layer.buildIfNeeded(shape)
            shape = try layer.computeOutputShape(shape)
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        var x = inputs
        for layer in pipelineLayers { x = try layer(x, training: training) }
        return x
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try pipelineLayers.reduce(inputShape) { try $1.computeOutputShape($0) }
    }

    /// Keras writes the layers and the name only (its `from_config` takes no other key).
    public override func getConfig() -> JSON {
        ["layers": .array(pipelineLayers.map { serializedLayer($0, legacy: false) }), "name": .string(name)]
    }
}

extension PipelineLayer: DeclaredLayer {
    /// Keras: `Pipeline(layers, name=None)`.
    public static let declaration = LayerDeclaration(PipelineLayer.self, className: "Pipeline", arguments: [
        .required("layers") { .array($0.pipelineLayers.map { serializedLayer($0, legacy: false) }) },
    ]) { c in
        guard let list = c["layers"]?.arrayValue else {
            throw KerasError.invalidArgument("`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. Received config with layers=\(c["layers"] ?? .null).")
        }
        return PipelineLayer(try list.map { try deserializeLayer($0) }, name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(PipelineLayer.self, $0) }
