/// Permutes the non-batch axes of every sample. `dims` counts from 1 (axis 0 is the batch), as in
/// Keras: `Permute([2, 1])` swaps the two axes of a `(batch, 10, 64)` input, giving
/// `(batch, 64, 10)`. Keras: `keras.layers.Permute`.
///
/// ```swift
/// let model = try Sequential([Permute([2, 1], inputShape: [10, 64])])
/// // model.outputShape == [nil, 64, 10]
/// ```
public final class Permute: Layer, @unchecked Sendable {
    /// A permutation of `1...n` for samples of rank `n`.
    public let dims: [Int]

    public init(_ dims: [Int], name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        guard !dims.isEmpty, dims.sorted() == Array(1...dims.count) else {
            throw KerasError.invalidArgument("Permute(dims: \(dims)): dims must be a permutation of 1...\(Swift.max(dims.count, 1)) (axis 0 is the batch and is not permuted)")
        }
        self.dims = dims
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    private func checkRank(_ rank: Int, _ shape: String) throws {
        guard rank == dims.count + 1 else {
            throw KerasError.shapeMismatch("Permute '\(name)' with dims \(dims) expects inputs of rank \(dims.count + 1) (batch included), got shape \(shape)")
        }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try checkRank(inputs.rank, "\(inputs.shape)")
        return try Ops.transpose(inputs, [0] + dims)
    }

    /// The identity permutation (``Layer/returnsItsInput(_:)``).
    public override func returnsItsInput(_ shape: [Int?]) -> Bool { dims == Array(1...dims.count) }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try checkRank(inputShape.count, formatShape(inputShape))
        return [inputShape[0]] + dims.map { inputShape[$0] }
    }
}

extension Permute: DeclaredLayer {
    /// Keras: `Permute(dims)`.
    public static let declaration = LayerDeclaration(Permute.self, arguments: [
        .required("dims", \.dims),
    ]) { c in try Permute(c.ints("dims"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Permute.self, $0) }
