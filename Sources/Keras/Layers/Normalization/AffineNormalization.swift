/// The initializers, regularizers and constraints of `beta` and `gamma`, which
/// BatchNormalization, LayerNormalization and GroupNormalization take alike.
public struct AffineOptions {
    public var betaInitializer: Initializer = Zeros()
    public var gammaInitializer: Initializer = Ones()
    public var betaRegularizer: Regularizer?
    public var gammaRegularizer: Regularizer?
    public var betaConstraint: Constraint?
    public var gammaConstraint: Constraint?

    public init(betaInitializer: Initializer = Zeros(), gammaInitializer: Initializer = Ones(),
                betaRegularizer: Regularizer? = nil, gammaRegularizer: Regularizer? = nil,
                betaConstraint: Constraint? = nil, gammaConstraint: Constraint? = nil) {
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.betaRegularizer = betaRegularizer
        self.gammaRegularizer = gammaRegularizer
        self.betaConstraint = betaConstraint
        self.gammaConstraint = gammaConstraint
    }

    /// These options with their unseeded initializers given Keras's default seeds in its
    /// constructors' order, beta's then gamma's (``withKerasDefaultSeed(_:)``; a second call
    /// changes nothing).
    func withKerasDefaultSeeds() -> AffineOptions {
        var seeded = self
        seeded.betaInitializer = withKerasDefaultSeed(betaInitializer)
        seeded.gammaInitializer = withKerasDefaultSeed(gammaInitializer)
        return seeded
    }
}

/// The base of the normalization layers that scale by `gamma` and shift by `beta` after
/// normalizing: their shared arguments and weights.
open class AffineNormalization: Layer, @unchecked Sendable {
    /// Added to the variance before its square root.
    public let epsilon: Double
    /// Whether `beta` is added.
    public let center: Bool
    /// Whether the output is multiplied by `gamma`.
    public let scale: Bool
    /// How `beta` and `gamma` are initialized, regularized and constrained.
    public let affine: AffineOptions

    public private(set) var gamma: Variable?
    public private(set) var beta: Variable?

    public var betaInitializer: Initializer { affine.betaInitializer }
    public var gammaInitializer: Initializer { affine.gammaInitializer }
    public var betaRegularizer: Regularizer? { affine.betaRegularizer }
    public var gammaRegularizer: Regularizer? { affine.gammaRegularizer }
    public var betaConstraint: Constraint? { affine.betaConstraint }
    public var gammaConstraint: Constraint? { affine.gammaConstraint }

    public init(epsilon: Double, center: Bool, scale: Bool, affine: AffineOptions, name: String?, trainable: Bool,
                inputShape: [Int]?) {
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.affine = affine.withKerasDefaultSeeds()
        super.init(name: name, trainable: trainable, inputShape: inputShape)
    }

    override class var maskingSupport: MaskingSupport { .always }

    /// Adds `gamma` (when `withGamma`) and `beta` (when `withBeta`) of `shape`, in Keras's order.
    func addAffineWeights(shape: [Int], withGamma: Bool, withBeta: Bool) {
        if withGamma {
            gamma = addWeight(name: "gamma", shape: shape, initializer: affine.gammaInitializer,
                              regularizer: affine.gammaRegularizer, constraint: affine.gammaConstraint)
        }
        if withBeta {
            beta = addWeight(name: "beta", shape: shape, initializer: affine.betaInitializer,
                             regularizer: affine.betaRegularizer, constraint: affine.betaConstraint)
        }
    }

    /// The config entries of ``affine`` in Keras's `get_config()` order, after `initializers`
    /// (BatchNormalization puts its moving-statistics initializers between them).
    static func affineArguments<L: AffineNormalization>(_ type: L.Type, initializers: [LayerArgument<L>] = []) -> [LayerArgument<L>] {
        [
            .optional("beta_initializer", \.betaInitializer, default: Zeros()),
            .optional("gamma_initializer", \.gammaInitializer, default: Ones()),
        ] + initializers + [
            .optional("beta_regularizer", \.betaRegularizer),
            .optional("gamma_regularizer", \.gammaRegularizer),
            .optional("beta_constraint", \.betaConstraint),
            .optional("gamma_constraint", \.gammaConstraint),
        ]
    }
}

extension LayerConfig {
    /// The `beta_*` and `gamma_*` initializers, regularizers and constraints of a config.
    func affineOptions() throws -> AffineOptions {
        AffineOptions(betaInitializer: try initializer("beta_initializer"), gammaInitializer: try initializer("gamma_initializer"),
                      betaRegularizer: try regularizer("beta_regularizer"), gammaRegularizer: try regularizer("gamma_regularizer"),
                      betaConstraint: try constraint("beta_constraint"), gammaConstraint: try constraint("gamma_constraint"))
    }
}
