/// Zero padding of the 2 spatial axes; see BaseZeroPadding. Keras: `keras.layers.ZeroPadding2D`.
public final class ZeroPadding2D: BaseZeroPadding, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
}

extension ZeroPadding2D: DeclaredLayer {
    /// Keras: `ZeroPadding2D(padding=(1, 1), data_format=None)`.
    public static let declaration = BaseZeroPadding.declaration(ZeroPadding2D.self, defaultPadding: [1, 1])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ZeroPadding2D.self, $0) }
