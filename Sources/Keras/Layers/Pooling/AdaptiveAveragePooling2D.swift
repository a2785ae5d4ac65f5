/// 2D adaptive average pooling; see BaseAdaptivePooling. Keras: `keras.layers.AdaptiveAveragePooling2D`.
public final class AdaptiveAveragePooling2D: BaseAdaptivePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var takesMaximum: Bool { false }
}

extension AdaptiveAveragePooling2D: DeclaredLayer {
    /// Keras: `AdaptiveAveragePooling2D(output_size, data_format=None)`.
    public static let declaration = BaseAdaptivePooling.declaration(AdaptiveAveragePooling2D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdaptiveAveragePooling2D.self, $0) }
