/// Zero padding of the 3 spatial axes; see BaseZeroPadding. Keras: `keras.layers.ZeroPadding3D`.
public final class ZeroPadding3D: BaseZeroPadding, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
}

extension ZeroPadding3D: DeclaredLayer {
    /// Keras: `ZeroPadding3D(padding=((1, 1), (1, 1), (1, 1)), data_format=None)`.
    public static let declaration = BaseZeroPadding.declaration(ZeroPadding3D.self, defaultPadding: [[1, 1], [1, 1], [1, 1]])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ZeroPadding3D.self, $0) }
