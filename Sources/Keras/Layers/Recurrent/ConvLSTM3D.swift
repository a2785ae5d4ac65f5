/// A convolutional LSTM over `(batch, timesteps, 3 spatial axes, channels)` inputs; see ``ConvLSTM``.
/// Keras: `keras.layers.ConvLSTM3D`.
public final class ConvLSTM3D: ConvLSTM, @unchecked Sendable {
    override public class var spatialRank: Int { 3 }
}

extension ConvLSTM3D: DeclaredLayer {
    /// Keras: `ConvLSTM3D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
    /// activation="tanh", recurrent_activation="sigmoid", use_bias=True, ..., unit_forget_bias=True, ...)`.
    public static let declaration = ConvLSTM.declaration(ConvLSTM3D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ConvLSTM3D.self, $0) }
