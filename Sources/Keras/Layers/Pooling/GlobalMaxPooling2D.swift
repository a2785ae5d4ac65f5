/// Global max pooling over the 2 spatial axes; see BaseGlobalPooling.
/// Keras: `keras.layers.GlobalMaxPooling2D` (alias `GlobalMaxPool2D`).
public final class GlobalMaxPooling2D: BaseGlobalPooling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var takesMaximum: Bool { true }
}

extension GlobalMaxPooling2D: DeclaredLayer {
    /// Keras: `GlobalMaxPooling2D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalMaxPooling2D.self, aliases: ["GlobalMaxPool2D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalMaxPooling2D.self, $0) }
