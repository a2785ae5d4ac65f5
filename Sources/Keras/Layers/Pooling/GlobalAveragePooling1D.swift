/// Global average pooling over the 1 spatial axes; see BaseGlobalPooling.
/// Keras: `keras.layers.GlobalAveragePooling1D` (alias `GlobalAvgPool1D`).
public final class GlobalAveragePooling1D: BaseGlobalPooling {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { false }
}

extension GlobalAveragePooling1D: DeclaredLayer {
    /// Keras: `GlobalAveragePooling1D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalAveragePooling1D.self, aliases: ["GlobalAvgPool1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalAveragePooling1D.self, $0) }
