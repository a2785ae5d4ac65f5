/// 3D adaptive max pooling; see BaseAdaptivePooling. Keras: `keras.layers.AdaptiveMaxPooling3D`.
public final class AdaptiveMaxPooling3D: BaseAdaptivePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var takesMaximum: Bool { true }
}

extension AdaptiveMaxPooling3D: DeclaredLayer {
    /// Keras: `AdaptiveMaxPooling3D(output_size, data_format=None)`.
    public static let declaration = BaseAdaptivePooling.declaration(AdaptiveMaxPooling3D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdaptiveMaxPooling3D.self, $0) }
