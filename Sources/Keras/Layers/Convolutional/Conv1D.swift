/// 1D convolution over `(batch, steps, channels)` (channels-last) inputs; see BaseConv.
/// Keras: `keras.layers.Conv1D` (alias `Convolution1D`).
public final class Conv1D: BaseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension Conv1D: DeclaredLayer {
    /// Keras: `Conv1D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
    /// groups=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseConv.declaration(Conv1D.self, aliases: ["Convolution1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Conv1D.self, $0) }
