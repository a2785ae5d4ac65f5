/// 3D average pooling; see BasePooling. Keras: `keras.layers.AveragePooling3D` (alias `AvgPool3D`).
public final class AveragePooling3D: BasePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var takesMaximum: Bool { false }
}

extension AveragePooling3D: DeclaredLayer {
    /// Keras: `AveragePooling3D(pool_size, strides=None, padding="valid", data_format=None)`.
    public static let declaration = BasePooling.declaration(AveragePooling3D.self, aliases: ["AvgPool3D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AveragePooling3D.self, $0) }
