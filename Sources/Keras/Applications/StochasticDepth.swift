/// Drops a residual path per sample during training (Huang et al., 2016): each sample's input
/// is kept, scaled by `1 / (1 - dropPathRate)`, with probability `1 - dropPathRate`, else zeroed
/// whole; inputs pass through at inference. Keras:
/// `keras.src.applications.convnext.StochasticDepth`, which Keras does not export; its files
/// name it by that module and `registered_name` `StochasticDepth`, and load here with no custom
/// objects.
///
/// Keras draws its uniforms from the global seed generator (the layer has no seed and saves no
/// state); here they come from the calling thread's generator, which ``setRandomSeed(_:)`` seeds.
/// At `dropPathRate` 1 every path is dropped (zeros, where Keras's `x / 0 * 0` gives NaN).
///
/// ```swift
/// let x = Input(shape: [8]), r = try StochasticDepth(dropPathRate: 0.1)(Dense(8)(x))
/// ```
public final class StochasticDepth: Layer, @unchecked Sendable {
    /// The probability of dropping a sample's path, in `[0, 1]`.
    public let dropPathRate: Double

    public init(dropPathRate: Double, name: String? = nil, trainable: Bool = true) throws {
        self.dropPathRate = try checkedDropRate(dropPathRate, "StochasticDepth")
        super.init(name: name, trainable: trainable)
    }

    override func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { !(training && dropPathRate > 0) }

    /// Keras: `floor(keep_prob + uniform(shape=(batch, 1, ...)))` keeps a sample's path, and the
    /// kept ones are divided by `keep_prob`.
    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard training && dropPathRate > 0, inputs.rank > 0 else { return inputs }
        let batch = inputs.shape[0]
        let mask = Tensor.uninitialized([batch] + Array(repeating: 1, count: inputs.rank - 1))
        let keep = Float(1 - dropPathRate)
        layerDrawKey(nil).fillUniform(mask.data, count: batch)
        for i in 0..<batch {
            mask.data[i] = keep > 0 && (keep + mask.data[i]).rounded(.down) >= 1 ? 1 / keep : 0
        }
        return try Ops.multiply(inputs, mask)
    }
}

extension StochasticDepth: DeclaredLayer {
    /// Keras: `StochasticDepth(drop_path_rate, **kwargs)`.
    public static let declaration = LayerDeclaration(StochasticDepth.self, module: "keras.src.applications.convnext", arguments: [
        .required("drop_path_rate", \.dropPathRate),
    ]) { c in try StochasticDepth(dropPathRate: c.double("drop_path_rate"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(StochasticDepth.self, $0) }
