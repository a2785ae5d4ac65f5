/// Global average pooling over the 3 spatial axes; see BaseGlobalPooling.
/// Keras: `keras.layers.GlobalAveragePooling3D` (alias `GlobalAvgPool3D`).
public final class GlobalAveragePooling3D: BaseGlobalPooling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var takesMaximum: Bool { false }
}

extension GlobalAveragePooling3D: DeclaredLayer {
    /// Keras: `GlobalAveragePooling3D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalAveragePooling3D.self, aliases: ["GlobalAvgPool3D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalAveragePooling3D.self, $0) }
