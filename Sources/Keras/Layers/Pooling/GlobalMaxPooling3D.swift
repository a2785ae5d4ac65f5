/// Global max pooling over the 3 spatial axes; see BaseGlobalPooling.
/// Keras: `keras.layers.GlobalMaxPooling3D` (alias `GlobalMaxPool3D`).
public final class GlobalMaxPooling3D: BaseGlobalPooling, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var takesMaximum: Bool { true }
}

extension GlobalMaxPooling3D: DeclaredLayer {
    /// Keras: `GlobalMaxPooling3D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalMaxPooling3D.self, aliases: ["GlobalMaxPool3D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalMaxPooling3D.self, $0) }
