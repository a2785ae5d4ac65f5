/// Global max pooling over the 1 spatial axes; see BaseGlobalPooling.
/// Keras: `keras.layers.GlobalMaxPooling1D` (alias `GlobalMaxPool1D`).
public final class GlobalMaxPooling1D: BaseGlobalPooling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var takesMaximum: Bool { true }
}

extension GlobalMaxPooling1D: DeclaredLayer {
    /// Keras: `GlobalMaxPooling1D(data_format=None, keepdims=False)`.
    public static let declaration = BaseGlobalPooling.declaration(GlobalMaxPooling1D.self, aliases: ["GlobalMaxPool1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GlobalMaxPooling1D.self, $0) }
