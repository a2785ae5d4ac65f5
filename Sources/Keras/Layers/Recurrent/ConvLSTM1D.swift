/// A convolutional LSTM over `(batch, timesteps, rows, channels)` inputs; see ``ConvLSTM``.
/// Keras: `keras.layers.ConvLSTM1D`.
public final class ConvLSTM1D: ConvLSTM, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension ConvLSTM1D: DeclaredLayer {
    /// Keras: `ConvLSTM1D(filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
    /// activation="tanh", recurrent_activation="sigmoid", use_bias=True, ..., unit_forget_bias=True, ...)`.
    public static let declaration = ConvLSTM.declaration(ConvLSTM1D.self)
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ConvLSTM1D.self, $0) }
