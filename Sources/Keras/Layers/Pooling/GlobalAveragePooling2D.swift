/// Global average pooling over the 2 spatial axes; see BaseGlobalPooling.
/// Keras: `keras.layers.GlobalAveragePooling2D` (alias `GlobalAvgPool2D`).
public final class GlobalAveragePooling2D: BaseGlobalPooling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var takesMaximum: Bool { false }
}

extension GlobalAveragePooling2D: DeclaredLayer {
    /// Keras: `GlobalAveragePooling2D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalAveragePooling2D.self, aliases: ["GlobalAvgPool2D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalAveragePooling2D.self, $0) }
