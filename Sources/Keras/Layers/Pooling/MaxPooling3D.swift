/// 3D max pooling; see BasePooling. Keras: `keras.layers.MaxPooling3D` (alias `MaxPool3D`).
public final class MaxPooling3D: BasePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var takesMaximum: Bool { true }
}

extension MaxPooling3D: DeclaredLayer {
    /// Keras: `MaxPooling3D(pool_size, strides=None, padding="valid", data_format=None)`.
    public static let declaration = BasePooling.declaration(MaxPooling3D.self, aliases: ["MaxPool3D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MaxPooling3D.self, $0) }
