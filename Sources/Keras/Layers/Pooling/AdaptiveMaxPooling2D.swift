/// 2D adaptive max pooling; see BaseAdaptivePooling. Keras: `keras.layers.AdaptiveMaxPooling2D`.
public final class AdaptiveMaxPooling2D: BaseAdaptivePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var takesMaximum: Bool { true }
}

extension AdaptiveMaxPooling2D: DeclaredLayer {
    /// Keras: `AdaptiveMaxPooling2D(output_size, data_format=None)`.
    public static let declaration = BaseAdaptivePooling.declaration(AdaptiveMaxPooling2D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdaptiveMaxPooling2D.self, $0) }
