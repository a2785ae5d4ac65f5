/// 1D depthwise convolution (each channel convolved with its own kernels) over channels-last
/// inputs; see BaseDepthwiseConv. Keras: `keras.layers.DepthwiseConv1D`.
public final class DepthwiseConv1D: BaseDepthwiseConv, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension DepthwiseConv1D: DeclaredLayer {
    /// Keras: `DepthwiseConv1D(kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
    /// dilation_rate=1, activation=None, use_bias=True, ...)`.
    public static let declaration = BaseDepthwiseConv.declaration(DepthwiseConv1D.self, aliases: [])
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(DepthwiseConv1D.self, $0) }
