/// Enlarges height and width by integer factors, repeating rows and columns (`nearest`) or
/// interpolating (`bilinear`, `bicubic`, `lanczos3`, `lanczos5`: JAX's numbers); see BaseUpSampling. Keras: `keras.layers.UpSampling2D`.
public final class UpSampling2D: BaseUpSampling, @unchecked Sendable {
    override public class var spatialRank: Int { 2 }
}

extension UpSampling2D: DeclaredLayer {
    /// Keras: `UpSampling2D(size=(2, 2), data_format=None, interpolation="nearest")`.
    public static let declaration = LayerDeclaration(UpSampling2D.self, checkedWhenBuilt: ["interpolation": nil], arguments: [
        sizeArgument(UpSampling2D.self),
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("interpolation", \.interpolation, default: .nearest),
    ]) { c in
        try UpSampling2D(size: try c.ints("size", rank: 2), dataFormat: try BaseUpSampling.dataFormat(c),
                         interpolation: try ResizeInterpolation.named(try c.lowercased("interpolation"), "UpSampling2D config"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(UpSampling2D.self, $0) }
