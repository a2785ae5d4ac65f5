/// 1D max pooling; see BasePooling. Keras: `keras.layers.MaxPooling1D` (alias `MaxPool1D`).
public final class MaxPooling1D: BasePooling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { true }
}

extension MaxPooling1D: DeclaredLayer {
    /// Keras: `MaxPooling1D(pool_size, strides=None, padding="valid", data_format=None)`.
    public static let declaration = BasePooling.declaration(MaxPooling1D.self, aliases: ["MaxPool1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MaxPooling1D.self, $0) }
