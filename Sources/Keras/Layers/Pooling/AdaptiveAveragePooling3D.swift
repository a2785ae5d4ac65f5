/// 3D adaptive average pooling; see BaseAdaptivePooling. Keras: `keras.layers.AdaptiveAveragePooling3D`.
public final class AdaptiveAveragePooling3D: BaseAdaptivePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var takesMaximum: Bool { false }
}

extension AdaptiveAveragePooling3D: DeclaredLayer {
    /// Keras: `AdaptiveAveragePooling3D(output_size, data_format=None)`.
    public static let declaration = BaseAdaptivePooling.declaration(AdaptiveAveragePooling3D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdaptiveAveragePooling3D.self, $0) }
