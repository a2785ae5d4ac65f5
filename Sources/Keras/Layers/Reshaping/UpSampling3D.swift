/// Repeats each position of the three spatial axes by their factors; see BaseUpSampling.
/// Keras: `keras.layers.UpSampling3D`.
public final class UpSampling3D: BaseUpSampling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
}

extension UpSampling3D: DeclaredLayer {
    /// Keras: `UpSampling3D(size=(2, 2, 2), data_format=None)`.
    public static let declaration = LayerDeclaration(UpSampling3D.self, arguments: [
        sizeArgument(UpSampling3D.self),
        .optional("data_format", \.dataFormat, default: .channelsLast),
    ]) { c in try UpSampling3D(size: try c.ints("size", rank: 3), dataFormat: try BaseUpSampling.dataFormat(c), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(UpSampling3D.self, $0) }
