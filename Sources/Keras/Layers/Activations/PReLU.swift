/// Parametric ReLU: `x` for `x >= 0`, `alpha * x` below, with `alpha` a learned weight of the
/// input's shape (batch excluded), shared along `sharedAxes`.
/// Keras: `keras.layers.PReLU(alpha_initializer="Zeros", alpha_regularizer=None,
/// alpha_constraint=None, shared_axes=None)`.
///
/// ```swift
/// PReLU(sharedAxes: [1, 2])   // one alpha per channel of an image
/// ```
public final class PReLU: Layer, @unchecked Sendable {
    public let alphaInitializer: Initializer
    public let alphaRegularizer: Regularizer?
    public let alphaConstraint: Constraint?
    /// Axes (1-based, batch is 0) along which one alpha is shared.
    public let sharedAxes: [Int]?
    /// The learned slopes; set by `build`.
    public private(set) var alpha: Variable?

    public init(alphaInitializer: Initializer = Zeros(), alphaRegularizer: Regularizer? = nil,
                alphaConstraint: Constraint? = nil, sharedAxes: [Int]? = nil, name: String? = nil,
                trainable: Bool = true, inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil) {
        self.alphaInitializer = withKerasDefaultSeed(alphaInitializer)
        self.alphaRegularizer = alphaRegularizer
        self.alphaConstraint = alphaConstraint
        self.sharedAxes = sharedAxes
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func build(_ inputShape: [Int?]) throws {
        guard inputShape.count >= 2 else {
            throw KerasError.invalidArgument("PReLU '\(name)': inputs need a batch axis and at least one more, got shape \(formatShape(inputShape))")
        }
        var shape: [Int] = []
        for (i, d) in inputShape.dropFirst().enumerated() {
            if sharedAxes?.contains(i + 1) == true { shape.append(1); continue }
            guard let d else {
                throw KerasError.invalidArgument("PReLU '\(name)': axis \(i + 1) has no fixed size; share it with sharedAxes")
            }
            shape.append(d)
        }
        for a in sharedAxes ?? [] where a < 1 || a >= inputShape.count {
            throw KerasError.invalidArgument("PReLU(shared_axes: \(sharedAxes!)): axis \(a) is not a non-batch axis of inputs of rank \(inputShape.count)")
        }
        alpha = addWeight(name: "alpha", shape: shape, initializer: alphaInitializer,
                          regularizer: alphaRegularizer, constraint: alphaConstraint)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let alpha else { throw KerasError.invalidState("PReLU '\(name)' is not built") }
        return try Ops.relu(inputs) - alpha.value * Ops.relu(Ops.negative(inputs))
    }
}

extension PReLU: DeclaredLayer {
    /// Keras: `PReLU(alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
    /// shared_axes=None)`; `shared_axes` may be an integer or a list.
    public static let declaration = LayerDeclaration(PReLU.self, arguments: [
        .optional("alpha_initializer", \.alphaInitializer, default: Zeros()),
        .optional("alpha_regularizer", \.alphaRegularizer),
        .optional("alpha_constraint", \.alphaConstraint),
        .optional("shared_axes", \.sharedAxes, default: nil),
    ]) { c in
        let shared = try c["shared_axes"].map { v in
            guard let axes = v.intValue.map({ [$0] }) ?? v.arrayValue?.compactMap(\.intValue), axes.count == (v.arrayValue?.count ?? 1) else {
                throw KerasError.io("PReLU config: 'shared_axes' must be an integer or a list of integers, got \(v)")
            }
            return axes
        }
        return PReLU(alphaInitializer: try c.initializer("alpha_initializer"), alphaRegularizer: try c.regularizer("alpha_regularizer"),
                     alphaConstraint: try c.constraint("alpha_constraint"), sharedAxes: shared, name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(PReLU.self, $0) }
