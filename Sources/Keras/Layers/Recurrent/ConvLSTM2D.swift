/// A convolutional LSTM over `(batch, timesteps, 2 spatial axes, channels)` inputs; see ``ConvLSTM``.
/// Keras: `keras.layers.ConvLSTM2D`.
public final class ConvLSTM2D: ConvLSTM, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
}

extension ConvLSTM2D: DeclaredLayer {
    /// Keras: `ConvLSTM2D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
    /// activation="tanh", recurrent_activation="sigmoid", use_bias=True, ..., unit_forget_bias=True, ...)`.
    public static let declaration = ConvLSTM.declaration(ConvLSTM2D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ConvLSTM2D.self, $0) }
