/// Repeats each sample vector `n` times: `(batch, features)` → `(batch, n, features)`.
/// Keras: `keras.layers.RepeatVector`.
///
/// ```swift
/// let model = try Sequential([Dense(32, inputDim: 32), RepeatVector(3)])
/// // output shape (None, 3, 32)
/// ```
public final class RepeatVector: Layer, @unchecked Sendable {
    /// How many times each vector is repeated (positive).
    public let n: Int

    public init(_ n: Int, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        guard n > 0 else {
            throw KerasError.invalidArgument("RepeatVector(n: \(n)): n must be a positive integer")
        }
        self.n = n
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard inputs.rank == 2 else {
            throw KerasError.shapeMismatch("RepeatVector '\(name)' expects inputs of rank 2 (batch, features), got shape \(inputs.shape)")
        }
        _ = try ShapeMath.product(inputs.shape + [n], "RepeatVector '\(name)'")
        return try Ops.repeatVector(inputs, n)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == 2 else {
            throw KerasError.shapeMismatch("RepeatVector '\(name)' expects inputs of rank 2 (batch, features), got shape \(formatShape(inputShape))")
        }
        return [inputShape[0], n, inputShape[1]]
    }
}

extension RepeatVector: DeclaredLayer {
    /// Keras: `RepeatVector(n)`.
    public static let declaration = LayerDeclaration(RepeatVector.self, arguments: [
        .required("n", \.n),
    ]) { c in try RepeatVector(c.int("n"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RepeatVector.self, $0) }
