/// 1D average pooling; see BasePooling. Keras: `keras.layers.AveragePooling1D` (alias `AvgPool1D`).
public final class AveragePooling1D: BasePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { false }
}

extension AveragePooling1D: DeclaredLayer {
    /// Keras: `AveragePooling1D(pool_size, strides=None, padding="valid", data_format=None)`.
    public static let declaration = BasePooling.declaration(AveragePooling1D.self, aliases: ["AvgPool1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(AveragePooling1D.self, $0) }
