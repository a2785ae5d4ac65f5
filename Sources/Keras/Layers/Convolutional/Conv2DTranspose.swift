/// 2D transposed convolution (the input gradient of a Conv2D) over channels-last inputs; see BaseConv.
/// Keras: `keras.layers.Conv2DTranspose` (alias `Convolution2DTranspose`).
public final class Conv2DTranspose: BaseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var isTransposed: Bool { true }
}

extension Conv2DTranspose: DeclaredLayer {
    /// Keras: `Conv2DTranspose(filters, kernel_size, strides=1, padding="valid", output_padding=None,
    /// data_format=None, dilation_rate=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseConv.declaration(Conv2DTranspose.self, aliases: ["Convolution2DTranspose"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Conv2DTranspose.self, $0) }
