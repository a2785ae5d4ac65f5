/// Cropping of the 2 spatial axes; see BaseCropping. Keras: `keras.layers.Cropping2D`.
public final class Cropping2D: BaseCropping, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var defaultCropping: [[Int]] { [[0]] }
}

extension Cropping2D: DeclaredLayer {
    /// Keras: `Cropping2D(cropping=((0, 0), (0, 0)), data_format=None)`.
    public static let declaration = BaseCropping.declaration(Cropping2D.self, defaultCropping: [[0, 0], [0, 0]])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Cropping2D.self, $0) }
