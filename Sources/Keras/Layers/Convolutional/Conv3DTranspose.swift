/// 3D transposed convolution (the input gradient of a Conv3D) over channels-last inputs; see BaseConv.
/// Keras: `keras.layers.Conv3DTranspose` (alias `Convolution3DTranspose`).
public final class Conv3DTranspose: BaseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
    override public class var isTransposed: Bool { true }
}

extension Conv3DTranspose: DeclaredLayer {
    /// Keras: `Conv3DTranspose(filters, kernel_size, strides=1, padding="valid", output_padding=None,
    /// data_format=None, dilation_rate=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseConv.declaration(Conv3DTranspose.self, aliases: ["Convolution3DTranspose"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Conv3DTranspose.self, $0) }
