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
        self.alphaInitializer = alphaInitializer
        self.alphaRegularizer = alphaRegularizer
        self.alphaConstraint = alphaConstraint
        self.sharedAxes = sharedAxes
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
        supportsMasking = true
    }

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

    public override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("alpha_initializer", alphaInitializer.serialized)
        c.set("alpha_regularizer", alphaRegularizer?.serialized ?? .null)
        c.set("alpha_constraint", alphaConstraint?.serialized ?? .null)
        c.set("shared_axes", sharedAxes.map { .array($0.map { .int($0) }) } ?? .null)
        return c
    }
}
