/// 2D convolution over `(batch, 2 spatial axes, channels)` (channels-last) inputs; see BaseConv.
/// Keras: `keras.layers.Conv2D` (alias `Convolution2D`).
public final class Conv2D: BaseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
}

extension Conv2D: DeclaredLayer {
    /// Keras: `Conv2D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
    /// groups=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseConv.declaration(Conv2D.self, aliases: ["Convolution2D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Conv2D.self, $0) }
