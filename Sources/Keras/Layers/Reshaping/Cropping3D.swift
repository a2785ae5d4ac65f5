/// Cropping of the 3 spatial axes; see BaseCropping. Keras: `keras.layers.Cropping3D`.
public final class Cropping3D: BaseCropping, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
}

extension Cropping3D: DeclaredLayer {
    /// Keras: `Cropping3D(cropping=((1, 1), (1, 1), (1, 1)), data_format=None)`.
    public static let declaration = BaseCropping.declaration(Cropping3D.self, defaultCropping: [[1, 1], [1, 1], [1, 1]])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Cropping3D.self, $0) }
