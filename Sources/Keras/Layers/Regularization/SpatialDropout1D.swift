/// Drops whole channels of 1D data during training; see BaseSpatialDropout.
/// Keras: `keras.layers.SpatialDropout1D`.
public final class SpatialDropout1D: BaseSpatialDropout, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension SpatialDropout1D: DeclaredLayer {
    /// Keras: `SpatialDropout1D(rate, seed=None)`.
    public static let declaration = BaseSpatialDropout.declaration(SpatialDropout1D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SpatialDropout1D.self, $0) }
