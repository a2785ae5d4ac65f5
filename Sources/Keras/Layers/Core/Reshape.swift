/// Reshapes every sample to `targetShape` (the batch dimension is kept); one entry may be -1,
/// inferred from the others. Keras: `keras.layers.Reshape`.
///
/// ```swift
/// let model = try Sequential([Reshape([3, 4], inputShape: [12]), Reshape([-1, 2])])
/// // output shape (None, 6, 2)
/// ```
public final class Reshape: Layer, @unchecked Sendable {
    /// The shape of one sample after reshaping; may hold one -1.
    public let targetShape: [Int]

    public init(_ targetShape: [Int], name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) throws {
        let unknown = targetShape.filter { $0 == -1 }.count
        guard unknown <= 1, targetShape.allSatisfy({ $0 > 0 || $0 == -1 }) else {
            throw KerasError.invalidArgument("Reshape(target_shape: \(targetShape)): sizes must be positive, with at most one -1 to infer")
        }
        self.targetShape = targetShape
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    /// `targetShape` with its -1 resolved for samples of `count` elements, or an error naming
    /// both shapes when the sizes cannot agree.
    func resolvedTarget(sampleShape: [Int?]) throws -> [Int?] {
        guard !sampleShape.contains(where: { $0 == nil }) else {
            return targetShape.map { $0 == -1 ? nil : $0 }
        }
        let count = try ShapeMath.product(sampleShape.map { $0 ?? 1 }, "Reshape '\(name)'")
        let known = try ShapeMath.product(targetShape.filter { $0 != -1 }, "Reshape '\(name)'")
        let fits = targetShape.contains(-1) ? known > 0 && count % known == 0 : known == count
        guard fits else {
            throw KerasError.shapeMismatch("Reshape '\(name)': cannot reshape samples of shape \(formatShape(sampleShape)) (\(count) elements) into target_shape \(formatShape(targetShape.map { Optional($0) }))")
        }
        return targetShape.map { $0 == -1 ? count / known : $0 }
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard inputs.rank >= 1 else {
            throw KerasError.shapeMismatch("Reshape '\(name)': expects an input with a batch dimension, got a scalar")
        }
        let target = try resolvedTarget(sampleShape: inputs.shape.dropFirst().map { Optional($0) })
        return try Ops.reshape(inputs, [inputs.shape[0]] + target.map { $0 ?? -1 })
    }

    /// A reshape to the input's own shape (``Layer/returnsItsInput(_:)``).
    public override func returnsItsInput(_ shape: [Int?]) -> Bool {
        (try? computeOutputShape(shape)) == shape
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard let batch = inputShape.first else {
            throw KerasError.shapeMismatch("Reshape '\(name)': expects an input with a batch dimension, got shape ()")
        }
        return [batch] + (try resolvedTarget(sampleShape: Array(inputShape.dropFirst())))
    }
}

extension Reshape: DeclaredLayer {
    /// Keras: `Reshape(target_shape)`.
    public static let declaration = LayerDeclaration(Reshape.self, builtAtInit: true, arguments: [
        .required("target_shape", \.targetShape),
    ]) { c in try Reshape(c.ints("target_shape"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Reshape.self, $0) }
