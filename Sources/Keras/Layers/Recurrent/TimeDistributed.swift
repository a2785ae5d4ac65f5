/// Applies a layer to every time step of `(batch, steps, ...)` inputs: the layer sees
/// `(batch·steps, ...)` and its outputs are folded back to `(batch, steps, ...)`. The layer is a
/// tracked sublayer (`.keras` path `layers/time_distributed/layer/vars/0`).
/// Keras: `keras.layers.TimeDistributed`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [10, 8]), LSTM(16, returnSequences: true), TimeDistributed(Dense(1))])
/// ```
public final class TimeDistributed: Layer, @unchecked Sendable {
    /// The layer applied at each step.
    public let layer: Layer

    public init(_ layer: Layer, name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil,
                batchSize: Int? = nil) {
        self.layer = layer
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// `(batch, steps, rest...)` → `(batch, rest...)`, the shape the wrapped layer sees.
    private func childShape(_ s: [Int?]) throws -> [Int?] {
        guard s.count >= 3 else {
            throw KerasError.shapeMismatch("TimeDistributed '\(name)': expects inputs of rank 3 or more (batch, timesteps, ...), got shape \(formatShape(s))")
        }
        return [s[0]] + s.dropFirst(2)
    }

    override class var callTakesMask: Bool { true }

    public override func build(_ inputShape: [Int?]) throws {
        try layer.buildIfNeeded(try childShape(inputShape))
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        let s = inputs.shape
        _ = try childShape(s.map { Optional($0) })
        let folded = try Ops.reshape(inputs, [s[0] * s[1]] + s.dropFirst(2))
        let out = try layer(folded, training: training)
        return try Ops.reshape(out, [s[0], s[1]] + out.shape.dropFirst())
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        let child = try layer.computeOutputShape(try childShape(inputShape))
        return [child.first ?? nil, inputShape[1]] + child.dropFirst()
    }
}

extension TimeDistributed: DeclaredLayer {
    /// Keras: `TimeDistributed(layer)`.
    public static let declaration = LayerDeclaration(TimeDistributed.self, arguments: [
        .required("layer") { serializedLayer($0.layer, legacy: false) },
    ]) { c in
        guard let j = c["layer"] else { throw KerasError.io("TimeDistributed config: 'layer' is required") }
        return TimeDistributed(try deserializeLayer(j), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(TimeDistributed.self, $0) }
