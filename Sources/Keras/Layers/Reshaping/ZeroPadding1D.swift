/// Zero padding of the 1 spatial axes; see BaseZeroPadding. Keras: `keras.layers.ZeroPadding1D`.
public final class ZeroPadding1D: BaseZeroPadding, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension ZeroPadding1D: DeclaredLayer {
    /// Keras: `ZeroPadding1D(padding=1, data_format=None)`.
    public static let declaration = BaseZeroPadding.declaration(ZeroPadding1D.self, defaultPadding: 1)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ZeroPadding1D.self, $0) }
