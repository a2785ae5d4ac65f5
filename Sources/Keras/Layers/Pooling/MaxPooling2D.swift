/// 2D max pooling; see BasePooling. Keras: `keras.layers.MaxPooling2D` (alias `MaxPool2D`).
public final class MaxPooling2D: BasePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var takesMaximum: Bool { true }
}

extension MaxPooling2D: DeclaredLayer {
    /// Keras: `MaxPooling2D(pool_size, strides=None, padding="valid", data_format=None)`.
    public static let declaration = BasePooling.declaration(MaxPooling2D.self, aliases: ["MaxPool2D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MaxPooling2D.self, $0) }
