/// 1D separable convolution (a depthwise convolution, then a pointwise one into `filters`
/// channels) over channels-last inputs; see BaseDepthwiseConv.
/// Keras: `keras.layers.SeparableConv1D` (alias `SeparableConvolution1D`).
public final class SeparableConv1D: BaseDepthwiseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
    override public class var isSeparable: Bool { true }
}

extension SeparableConv1D: DeclaredLayer {
    /// Keras: `SeparableConv1D(filters, kernel_size, strides=1, padding="valid", data_format=None,
    /// dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseDepthwiseConv.declaration(SeparableConv1D.self, aliases: ["SeparableConvolution1D"])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SeparableConv1D.self, $0) }
