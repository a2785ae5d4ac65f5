/// Normalizes its input per feature of `axis`: with the batch's mean and variance in training
/// (updating the moving statistics), with the moving statistics at inference, then scales by
/// `gamma` and shifts by `beta`. Keras: `keras.layers.BatchNormalization`.
///
/// A frozen layer (`trainable = false`) runs in inference mode even when training, as in Keras 3.
///
/// ```swift
/// let model = try Sequential([Dense(16), BatchNormalization(), Activation("relu"), Dense(1)])
/// ```
public final class BatchNormalization: AffineNormalization, @unchecked Sendable {
    /// The feature axis (negative counts from the end).
    public let axis: Int
    /// The weight of the old moving statistics in each update.
    public let momentum: Double
    public let movingMeanInitializer: Initializer
    public let movingVarianceInitializer: Initializer

    public private(set) var movingMean: Variable?
    public private(set) var movingVariance: Variable?

    public init(axis: Int = -1, momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true,
                scale: Bool = true, affine: AffineOptions = AffineOptions(),
                movingMeanInitializer: Initializer = Zeros(), movingVarianceInitializer: Initializer = Ones(),
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil) {
        self.axis = axis
        self.momentum = momentum
        // Keras's constructor order: beta, gamma, then the moving statistics' initializers.
        let affine = affine.withKerasDefaultSeeds()
        self.movingMeanInitializer = withKerasDefaultSeed(movingMeanInitializer)
        self.movingVarianceInitializer = withKerasDefaultSeed(movingVarianceInitializer)
        super.init(epsilon: epsilon, center: center, scale: scale, affine: affine, name: name, trainable: trainable, inputShape: inputShape)
    }

    /// Keras 3: a frozen BatchNormalization runs in inference mode.
    override class var callTakesMask: Bool { true }

    public override var trainingFollowsTrainable: Bool { true }

    /// The axis counted from the front for inputs of `rank`.
    private func featureAxis(rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw KerasError.invalidArgument("BatchNormalization '\(name)': axis \(axis) is out of bounds for inputs of rank \(rank)")
        }
        return a
    }

    public override func build(_ inputShape: [Int?]) throws {
        let a = try featureAxis(rank: inputShape.count)
        guard let features = inputShape[a] else {
            throw KerasError.shapeMismatch("BatchNormalization '\(name)': axis \(axis) of the input must be known, got \(formatShape(inputShape))")
        }
        let shape = [features]
        addAffineWeights(shape: shape, withGamma: scale, withBeta: center)
        movingMean = addWeight(name: "moving_mean", shape: shape, initializer: movingMeanInitializer, trainable: false)
        movingVariance = addWeight(name: "moving_variance", shape: shape, initializer: movingVarianceInitializer, trainable: false)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let movingMean, let movingVariance else {
            throw KerasError.invalidState("BatchNormalization '\(name)' is not built")
        }
        let a = try featureAxis(rank: x.rank)
        let features = movingMean.shape[0]
        guard x.shape[a] == features else {
            throw KerasError.shapeMismatch("BatchNormalization '\(name)': expected \(features) features on axis \(axis), got input of shape \(x.shape)")
        }
        let offset = beta?.value, scale = gamma?.value
        guard training else {
            return try Ops.batchNormalization(x, mean: movingMean.value, variance: movingVariance.value, axis: a,
                                              offset: offset, scale: scale, epsilon: Float(epsilon))
        }
        let (out, mean, variance) = try Ops.batchNormalizationTraining(x, axis: a, offset: offset, scale: scale, epsilon: Float(epsilon))
        update(movingMean, with: mean)
        update(movingVariance, with: variance)
        return out
    }

    /// With a mask in training, the batch statistics are taken over the unmasked positions only
    /// (the mask has the input's shape without its last axis), as Keras 3 computes them.
    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard training, inputs.count == 1, let m = mask?.first ?? nil else {
            return try super.call(inputs, mask: mask, training: training)
        }
        guard let movingMean, let movingVariance else {
            throw KerasError.invalidState("BatchNormalization '\(name)' is not built")
        }
        let x = inputs[0]
        let a = try featureAxis(rank: x.rank)
        guard m.shape == Array(x.shape.dropLast()) else {
            throw KerasError.shapeMismatch("BatchNormalization '\(name)': the mask should be one dimension less than the inputs, got mask of shape \(m.shape) for inputs of shape \(x.shape)")
        }
        let (mean, variance) = try maskedMoments(x, mask: m, axis: a)
        update(movingMean, with: mean)
        update(movingVariance, with: variance)
        return [try Ops.batchNormalization(x, mean: mean, variance: variance, axis: a, offset: beta?.value,
                                           scale: gamma?.value, epsilon: Float(epsilon))]
    }

    /// Keras's `_moments` with a mask: per feature, `mean = Σ w·x / (Σ w + 1e-7)` and
    /// `variance = Σ w·(x − mean)² / (Σ w + 1e-7)` with `w` the mask broadcast over the last
    /// axis; differentiable, so the gradient flows through the statistics.
    private func maskedMoments(_ x: Tensor, mask: Tensor, axis a: Int) throws -> (Tensor, Tensor) {
        let w = Tensor.uninitialized(mask.shape + [1])
        for i in 0..<mask.count { w.data[i] = mask.data[i] != 0 ? 1 : 0 }
        let reduced = (0..<x.rank).filter { $0 != a }
        let weights = try Ops.multiply(Tensor(shape: x.shape, repeating: 1), w)
        let denominator = Ops.affine(try Ops.sum(weights, axes: reduced, keepDims: true), scale: 1, offset: 1e-7)
        let mean = try Ops.divide(Ops.sum(Ops.multiply(x, w), axes: reduced, keepDims: true), denominator)
        let difference = try Ops.multiply(Ops.subtract(x, mean), w)
        let variance = try Ops.divide(Ops.sum(Ops.square(difference), axes: reduced, keepDims: true), denominator)
        let channels = [x.shape[a]]
        return (try Ops.reshape(mean, channels), try Ops.reshape(variance, channels))
    }

    /// Moves the moving statistics towards a training batch's `mean` and `variance` (a fused
    /// op that computed them, see ``BaseConv/normalizedPooledCall(_:_:then:training:)``).
    func updateMovingStatistics(mean: Tensor, variance: Tensor) {
        if let movingMean { update(movingMean, with: mean) }
        if let movingVariance { update(movingVariance, with: variance) }
    }

    /// ``updateMovingStatistics(mean:variance:)`` from one value per feature each (a step plan's buffers).
    func updateMovingStatistics(mean: UnsafePointer<Float>, variance: UnsafePointer<Float>) {
        if let movingMean { update(movingMean, with: mean) }
        if let movingVariance { update(movingVariance, with: variance) }
    }

    private func update(_ moving: Variable, with batch: Tensor) {
        guard batch.count == moving.storedValue.count else { return }
        update(moving, with: batch.data)
    }

    /// `moving = moving · momentum + batch · (1 − momentum)`, in place.
    private func update(_ moving: Variable, with batch: UnsafePointer<Float>) {
        let m = Float(momentum), count = moving.storedValue.count, p = moving.mutableData
        for i in 0..<count { p[i] = p[i] * m + batch[i] * (1 - m) }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        _ = try featureAxis(rank: inputShape.count)
        return inputShape
    }
}

extension BatchNormalization: DeclaredLayer {
    /// Keras: `BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
    /// beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
    /// moving_variance_initializer="ones", ...)`; renormalization and `synchronized` are not supported.
    public static let declaration = LayerDeclaration(BatchNormalization.self, constructorOrder: [
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
        "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
        "beta_constraint", "gamma_constraint", "renorm", "renorm_clipping", "renorm_momentum", "synchronized",
    ], convertsIntegers: true, arguments: [
        .optional("axis", \.axis, default: -1),
        .optional("momentum", \.momentum, default: 0.99),
        .optional("epsilon", \.epsilon, default: 1e-3),
        .optional("center", \.center, default: true),
        .optional("scale", \.scale, default: true),
    ] + affineArguments(BatchNormalization.self, initializers: [
        .optional("moving_mean_initializer", \.movingMeanInitializer, default: Zeros()),
        .optional("moving_variance_initializer", \.movingVarianceInitializer, default: Ones()),
    ]) + [
        .optional("synchronized", default: .bool(false)) { _ in .bool(false) },
        .optional("renorm", default: .bool(false)) { _ in .bool(false) },
        .optional("renorm_clipping", default: nil) { _ in .null },
        .optional("renorm_momentum", default: .double(0.99)) { _ in .double(0.99) },
    ]) { c in
        try c.refuseNone("axis", "momentum", "epsilon")
        if try c.bool("renorm") {
            throw KerasError.io("BatchNormalization config: renorm=True is not supported")
        }
        // (Keras's refusal on its backends other than TensorFlow)
        if try c.bool("synchronized") {
            throw KerasError.io("BatchNormalization: Argument synchronized=True is only supported with the TensorFlow backend.")
        }
        return BatchNormalization(
            axis: try c.converted("axis") { try $0.int($1) }, momentum: try c.converted("momentum") { try $0.double($1) },
            epsilon: try c.converted("epsilon") { try $0.double($1) },
            center: try c.bool("center"), scale: try c.bool("scale"), affine: try c.affineOptions(),
            movingMeanInitializer: try c.initializer("moving_mean_initializer"),
            movingVarianceInitializer: try c.initializer("moving_variance_initializer"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(BatchNormalization.self, $0) }
