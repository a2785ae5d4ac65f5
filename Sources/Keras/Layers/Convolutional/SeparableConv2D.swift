/// 2D separable convolution (a depthwise convolution, then a pointwise one into `filters`
/// channels) over channels-last inputs; see BaseDepthwiseConv.
/// Keras: `keras.layers.SeparableConv2D` (alias `SeparableConvolution2D`).
public final class SeparableConv2D: BaseDepthwiseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
    override public class var isSeparable: Bool { true }
}

extension SeparableConv2D: DeclaredLayer {
    /// Keras: `SeparableConv2D(filters, kernel_size, strides=1, padding="valid", data_format=None,
    /// dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseDepthwiseConv.declaration(SeparableConv2D.self, aliases: ["SeparableConvolution2D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SeparableConv2D.self, $0) }
