/// 1D adaptive average pooling; see BaseAdaptivePooling. Keras: `keras.layers.AdaptiveAveragePooling1D`.
public final class AdaptiveAveragePooling1D: BaseAdaptivePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { false }
}

extension AdaptiveAveragePooling1D: DeclaredLayer {
    /// Keras: `AdaptiveAveragePooling1D(output_size, data_format=None)`.
    public static let declaration = BaseAdaptivePooling.declaration(AdaptiveAveragePooling1D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdaptiveAveragePooling1D.self, $0) }
