/// What scikit-learn calls an estimator: parameters that can be read and set by key, `fit`,
/// and an unfitted copy. Model selection (``GridSearchCV``, ``crossValScore(_:_:_:cv:scoring:nJobs:)``)
/// works with any type that conforms.
public protocol Estimator: AnyObject {
    /// The type's name, used in error messages and reports (`KerasClassifier`).
    var estimatorName: String { get }
    /// True for classifiers: integer `cv` then stratifies, and `score` is accuracy.
    var isClassifier: Bool { get }
    /// The parameters by key; with `deep`, those of nested estimators too (`scaler__with_mean`).
    func getParams(deep: Bool) -> Params
    /// Sets parameters by key, nested keys included; throws naming a key that does not exist.
    func setParams(_ params: Params) throws
    /// An unfitted copy with the same parameters. scikit-learn: `sklearn.base.clone`.
    func clone() throws -> Estimator
    /// Learns from `x` (`[samples, features]`) and `y`.
    func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor?) throws
}

/// An estimator that predicts targets.
public protocol Predictor: Estimator {
    /// Predicted targets, in the form `fit` was given them (labels decoded).
    func predict(_ x: Tensor) throws -> Target
    /// The default score: accuracy for classifiers, R² for regressors.
    func score(_ x: Tensor, _ y: Target, sampleWeight: Tensor?) throws -> Double
    /// Class probabilities `[samples, classes]`, columns in the order of `classLabels`.
    func predictProba(_ x: Tensor) throws -> Tensor
    /// The classes seen by `fit`, as label keys (`"0"`, `"setosa"`); nil for regressors.
    var classLabels: [String]? { get }
}

extension Predictor {
    public func predictProba(_ x: Tensor) throws -> Tensor {
        throw KerasError.invalidState("\(estimatorName) has no predictProba: it is not a probabilistic classifier")
    }
    public var classLabels: [String]? { nil }
}

/// An estimator that transforms features (scalers, encoders): the first steps of a ``Pipeline``.
public protocol Transformer: Estimator {
    /// The transformed features.
    func transform(_ x: Tensor) throws -> Tensor
}

extension Transformer {
    /// Fits, then transforms the same data. scikit-learn: `fit_transform`.
    public func fitTransform(_ x: Tensor, _ y: Target? = nil) throws -> Tensor {
        try fit(x, y ?? .values(Tensor(shape: [x.shape.first ?? 0])), sampleWeight: nil)
        return try transform(x)
    }
}

/// Wraps a builder closure so that it can travel in a ``Params`` dictionary as `model`.
public final class ModelBuilderBox: @unchecked Sendable {
    public let build: ModelBuilder
    public init(_ build: @escaping ModelBuilder) { self.build = build }
}

/// Makes a fresh callback for each fit, so that parallel fits never share callback state.
/// Put it in the `callbacks` parameter instead of a callback object when searching with `nJobs > 1`.
public final class CallbackFactory: @unchecked Sendable {
    public let make: () throws -> Callback
    public init(_ make: @escaping () throws -> Callback) { self.make = make }
}
