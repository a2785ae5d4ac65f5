/// 1D adaptive max pooling; see BaseAdaptivePooling. Keras: `keras.layers.AdaptiveMaxPooling1D`.
public final class AdaptiveMaxPooling1D: BaseAdaptivePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { true }
}

extension AdaptiveMaxPooling1D: DeclaredLayer {
    /// Keras: `AdaptiveMaxPooling1D(output_size, data_format=None)`.
    public static let declaration = BaseAdaptivePooling.declaration(AdaptiveMaxPooling1D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AdaptiveMaxPooling1D.self, $0) }
