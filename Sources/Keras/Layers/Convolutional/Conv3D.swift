/// 3D convolution over `(batch, 3 spatial axes, channels)` (channels-last) inputs; see BaseConv.
/// Keras: `keras.layers.Conv3D` (alias `Convolution3D`).
public final class Conv3D: BaseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
}

extension Conv3D: DeclaredLayer {
    /// Keras: `Conv3D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
    /// groups=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseConv.declaration(Conv3D.self, aliases: ["Convolution3D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Conv3D.self, $0) }
