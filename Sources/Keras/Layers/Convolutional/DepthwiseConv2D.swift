/// 2D depthwise convolution (each channel convolved with its own kernels) over channels-last
/// inputs; see BaseDepthwiseConv. Keras: `keras.layers.DepthwiseConv2D`.
public final class DepthwiseConv2D: BaseDepthwiseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
}

extension DepthwiseConv2D: DeclaredLayer {
    /// Keras: `DepthwiseConv2D(kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
    /// dilation_rate=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseDepthwiseConv.declaration(DepthwiseConv2D.self, aliases: [])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(DepthwiseConv2D.self, $0) }
