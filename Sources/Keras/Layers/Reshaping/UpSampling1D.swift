/// Repeats each step `size` times along the time axis; see BaseUpSampling.
/// Keras: `keras.layers.UpSampling1D`.
public final class UpSampling1D: BaseUpSampling, @unchecked Sendable {
    override public class var spatialRank: Int { 1 }
}

extension UpSampling1D: DeclaredLayer {
    /// Keras: `UpSampling1D(size=2)`.
    public static let declaration = LayerDeclaration(UpSampling1D.self, arguments: [sizeArgument(UpSampling1D.self)]) { c in
        // Keras takes only a Python int: a numpy integer, a float, None or a string is its TypeError
        guard case .int(let size)? = c.pythonNumber("size") else {
            throw KerasError.wrongType("UpSampling1D: Expected an integer value for `size`, got \(c.json["size"]?.description.prefix(40) ?? "nothing")")
        }
        return try UpSampling1D(size: [size], name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(UpSampling1D.self, $0) }
