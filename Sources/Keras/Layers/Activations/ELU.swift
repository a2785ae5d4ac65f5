/// Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` below.
/// Keras: `keras.layers.ELU(alpha=1.0)`.
public final class ELU: Layer, @unchecked Sendable {
    public let alpha: Float
    let function: ActivationFunction

    public init(alpha: Float = 1, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        guard alpha.isFinite else { throw KerasError.invalidArgument("ELU(alpha: \(alpha)): alpha must be a finite number") }
        self.alpha = alpha
        function = .elu(alpha: alpha)
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try function(inputs) }

    /// Keras 3 orders ELU's keys `name, alpha, trainable, dtype` (its config comes from the
    /// constructor arguments).
    public override func getConfig() -> JSON {
        let base = super.getConfig()
        var c: JSON = ["name": .string(name), "alpha": base["alpha"] ?? .null]
        for (k, v) in base.objectValue ?? [] where k != "name" { c.set(k, v) }
        return c
    }
}

extension ELU: DeclaredLayer {
    /// Keras: `ELU(alpha=1.0)`.
    public static let declaration = LayerDeclaration(ELU.self, builtAtInit: true, checkedWhenBuilt: ["alpha": nil], arguments: [
        .optional("alpha", \.alpha, default: 1),
    ]) { c in try ELU(alpha: c.float("alpha"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ELU.self, $0) }
