/// 2D average pooling; see BasePooling. Keras: `keras.layers.AveragePooling2D` (alias `AvgPool2D`).
public final class AveragePooling2D: BasePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var takesMaximum: Bool { false }
}

extension AveragePooling2D: DeclaredLayer {
    /// Keras: `AveragePooling2D(pool_size, strides=None, padding="valid", data_format=None)`.
    public static let declaration = BasePooling.declaration(AveragePooling2D.self, aliases: ["AvgPool2D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AveragePooling2D.self, $0) }
