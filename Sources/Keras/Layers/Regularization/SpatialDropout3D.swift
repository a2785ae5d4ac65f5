/// Drops whole channels of 3D data during training; see BaseSpatialDropout.
/// Keras: `keras.layers.SpatialDropout3D`.
public final class SpatialDropout3D: BaseSpatialDropout, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
}

extension SpatialDropout3D: DeclaredLayer {
    /// Keras: `SpatialDropout3D(rate, data_format=None, seed=None)`.
    public static let declaration = BaseSpatialDropout.declaration(SpatialDropout3D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SpatialDropout3D.self, $0) }
