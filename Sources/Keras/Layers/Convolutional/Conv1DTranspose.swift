/// 1D transposed convolution (the input gradient of a Conv1D) over channels-last inputs; see BaseConv.
/// Keras: `keras.layers.Conv1DTranspose` (alias `Convolution1DTranspose`).
public final class Conv1DTranspose: BaseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var isTransposed: Bool { true }
}

extension Conv1DTranspose: DeclaredLayer {
    /// Keras: `Conv1DTranspose(filters, kernel_size, strides=1, padding="valid", output_padding=None,
    /// data_format=None, dilation_rate=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseConv.declaration(Conv1DTranspose.self, aliases: ["Convolution1DTranspose"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Conv1DTranspose.self, $0) }
