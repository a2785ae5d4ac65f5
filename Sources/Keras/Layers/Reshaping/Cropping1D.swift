/// Cropping of the 1 spatial axes; see BaseCropping. Keras: `keras.layers.Cropping1D`.
public final class Cropping1D: BaseCropping, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension Cropping1D: DeclaredLayer {
    /// Keras: `Cropping1D(cropping=(1, 1))`.
    public static let declaration = BaseCropping.declaration(Cropping1D.self, defaultCropping: [1, 1])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Cropping1D.self, $0) }
