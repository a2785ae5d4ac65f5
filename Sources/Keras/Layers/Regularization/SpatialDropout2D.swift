/// Drops whole channels of 2D data during training; see BaseSpatialDropout.
/// Keras: `keras.layers.SpatialDropout2D`.
public final class SpatialDropout2D: BaseSpatialDropout, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
}

extension SpatialDropout2D: DeclaredLayer {
    /// Keras: `SpatialDropout2D(rate, data_format=None, seed=None)`.
    public static let declaration = BaseSpatialDropout.declaration(SpatialDropout2D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SpatialDropout2D.self, $0) }
