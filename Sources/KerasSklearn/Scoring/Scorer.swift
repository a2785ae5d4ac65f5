/// How a fitted estimator is scored on held-out data: by scikit-learn scoring name or by a
/// closure. Greater is better (errors are negated: `neg_mean_squared_error`).
///
/// Names: `accuracy`, `balanced_accuracy`, `f1`, `f1_macro`, `f1_micro`, `f1_weighted`,
/// `roc_auc`, `roc_auc_ovr`, `neg_log_loss`, `r2`, `neg_mean_squared_error`,
/// `neg_root_mean_squared_error`, `neg_mean_absolute_error`.
/// ```swift
/// let search = GridSearchCV(clf, grid, scoring: "f1_macro")
/// let custom = Scorer(name: "my_score") { est, x, y in try accuracyScore(y, est.predict(x)) }
/// ```
public struct Scorer: ExpressibleByStringLiteral, @unchecked Sendable {
    /// The scoring name (`accuracy`), or the custom scorer's name.
    public let name: String
    let custom: ((Predictor, Tensor, Target) throws -> Double)?

    public static let knownNames = ["accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_micro", "f1_weighted",
                                    "roc_auc", "roc_auc_ovr", "neg_log_loss", "r2", "neg_mean_squared_error",
                                    "neg_root_mean_squared_error", "neg_mean_absolute_error"]

    public init(stringLiteral value: String) { name = value; custom = nil }

    /// A scorer by scikit-learn name; throws for an unknown name.
    public static func named(_ name: String) throws -> Scorer {
        let s = Scorer(stringLiteral: name)
        try s.validate()
        return s
    }

    /// A scorer from a closure of (fitted estimator, X, y).
    public init(name: String, _ score: @escaping (Predictor, Tensor, Target) throws -> Double) {
        self.name = name
        custom = score
    }

    /// The estimator's own `score` (accuracy or R²), used when no scoring is given.
    static let estimatorScore = Scorer(name: "score") { est, x, y in try est.score(x, y, sampleWeight: nil) }

    func validate() throws {
        if custom == nil && !Self.knownNames.contains(name) {
            throw KerasError.invalidArgument("'\(name)' is not a valid scoring value. Valid options are \(Self.knownNames.sorted())")
        }
    }

    /// The score of `estimator` on `x`, `y`.
    public func callAsFunction(_ estimator: Predictor, _ x: Tensor, _ y: Target) throws -> Double {
        if let custom { return try custom(estimator, x, y) }
        func classes() throws -> [String] {
            guard let c = estimator.classLabels else {
                throw KerasError.invalidArgument("scoring '\(name)' needs a classifier with classes; \(estimator.estimatorName) has none")
            }
            return c
        }
        switch name {
        case "accuracy": return try accuracyScore(y, estimator.predict(x))
        case "balanced_accuracy": return try balancedAccuracyScore(y, estimator.predict(x))
        case "f1": return try f1Score(y, estimator.predict(x), average: .binary)
        case "f1_macro": return try f1Score(y, estimator.predict(x), average: .macro)
        case "f1_micro": return try f1Score(y, estimator.predict(x), average: .micro)
        case "f1_weighted": return try f1Score(y, estimator.predict(x), average: .weighted)
        case "roc_auc":
            let c = try classes()
            guard c.count == 2 else {
                throw KerasError.invalidArgument("scoring 'roc_auc': the target has \(c.count) classes; use 'roc_auc_ovr' for multiclass targets")
            }
            let p = try estimator.predictProba(x)
            let keys = y.labelKeys
            guard Set(keys).count == 2 else {
                throw KerasError.invalidArgument("scoring 'roc_auc': only one class present in y_true. ROC AUC score is not defined in that case.")
            }
            return binaryAUC(keys.map { $0 == c[1] }, (0..<y.count).map { Double(p.data[2 * $0 + 1]) },
                             Array(repeating: 1, count: y.count))
        case "roc_auc_ovr": return try rocAucOvrScore(y, estimator.predictProba(x), classes: classes())
        case "neg_log_loss": return try -logLoss(y, estimator.predictProba(x), classes: classes())
        case "r2": return try r2Score(y, estimator.predict(x))
        case "neg_mean_squared_error": return try -meanSquaredError(y, estimator.predict(x))
        case "neg_root_mean_squared_error": return try -meanSquaredError(y, estimator.predict(x)).squareRoot()
        case "neg_mean_absolute_error": return try -meanAbsoluteError(y, estimator.predict(x))
        default:
            try validate()
            return .nan
        }
    }
}
