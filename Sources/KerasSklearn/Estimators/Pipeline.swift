/// A chain of transformers ending in an estimator, fitted as one: each fit (in every fold of a
/// search) fits the transformers on its own training data only. Parameters route by step name:
/// `scaler__with_mean`, `clf__model__hidden`. scikit-learn: `Pipeline`.
///
/// ```swift
/// let pipe = try Pipeline([("scaler", StandardScaler()), ("clf", clf)])
/// let search = GridSearchCV(pipe, ["clf__model__hidden": [8, 16]], cv: 3)
/// ```
public final class Pipeline: Predictor, @unchecked Sendable {
    /// The named steps; all but the last must be transformers.
    public private(set) var steps: [(name: String, estimator: Estimator)]

    public init(_ steps: [(String, Estimator)]) throws {
        guard !steps.isEmpty else { throw KerasError.invalidArgument("Pipeline: steps must not be empty") }
        var seen = Set<String>()
        for (i, (name, est)) in steps.enumerated() {
            guard !name.isEmpty, !name.contains("__") else {
                throw KerasError.invalidArgument("Pipeline: step name '\(name)' must be non-empty and must not contain '__'")
            }
            guard seen.insert(name).inserted else { throw KerasError.invalidArgument("Pipeline: names provided are not unique: '\(name)'") }
            if i < steps.count - 1, !(est is Transformer) {
                throw KerasError.invalidArgument("Pipeline: all intermediate steps should be transformers; '\(name)' (\(est.estimatorName)) is not")
            }
        }
        self.steps = steps.map { (name: $0.0, estimator: $0.1) }
    }

    public var estimatorName: String { "Pipeline" }
    public var isClassifier: Bool { steps.last!.estimator.isClassifier }
    /// The last step (the estimator the transformers feed).
    public var final: Estimator { steps[steps.count - 1].estimator }

    public func getParams(deep: Bool = true) -> Params {
        var p: Params = [:]
        for (name, est) in steps {
            p[name] = .object(est)
            if deep { for (k, v) in est.getParams(deep: true) { p["\(name)__\(k)"] = v } }
        }
        return p
    }

    public func setParams(_ params: Params) throws {
        var routed: [String: Params] = [:]
        for (key, value) in params {
            if let i = steps.firstIndex(where: { $0.name == key }) {
                guard case .object(let o) = value, let est = o as? Estimator else {
                    throw KerasError.invalidArgument("Pipeline.setParams: step '\(key)' must be set to an estimator, got \(value)")
                }
                steps[i].estimator = est
                continue
            }
            let parts = key.components(separatedBy: "__")
            guard parts.count >= 2, steps.contains(where: { $0.name == parts[0] }) else {
                throw KerasError.invalidArgument("Pipeline.setParams: invalid parameter '\(key)'. Valid step names are: \(steps.map(\.name).joined(separator: ", "))")
            }
            routed[parts[0], default: [:]][parts.dropFirst().joined(separator: "__")] = value
        }
        for (name, p) in routed { try steps.first { $0.name == name }!.estimator.setParams(p) }
    }

    public func clone() throws -> Estimator {
        try Pipeline(steps.map { ($0.name, try $0.estimator.clone()) })
    }

    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws {
        var xt = x
        for t in try transformers() {
            try t.fit(xt, y, sampleWeight: nil)
            xt = try t.transform(xt)
        }
        try final.fit(xt, y, sampleWeight: sampleWeight)
    }

    /// Applies every transformer step.
    public func transformInputs(_ x: Tensor) throws -> Tensor {
        var xt = x
        for t in try transformers() { xt = try t.transform(xt) }
        return xt
    }

    func transformers() throws -> [Transformer] {
        try steps.dropLast().map { step in
            guard let t = step.estimator as? Transformer else {
                throw KerasError.invalidArgument("Pipeline: all intermediate steps should be transformers; '\(step.name)' (\(step.estimator.estimatorName)) is not")
            }
            return t
        }
    }

    func finalPredictor(_ what: String) throws -> Predictor {
        guard let p = final as? Predictor else {
            throw KerasError.invalidArgument("Pipeline.\(what): the last step (\(final.estimatorName)) does not predict")
        }
        return p
    }

    public func predict(_ x: Tensor) throws -> Target { try finalPredictor("predict").predict(transformInputs(x)) }
    public func predictProba(_ x: Tensor) throws -> Tensor { try finalPredictor("predictProba").predictProba(transformInputs(x)) }
    public func score(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws -> Double {
        try finalPredictor("score").score(transformInputs(x), y, sampleWeight: sampleWeight)
    }
    public var classLabels: [String]? { (final as? Predictor)?.classLabels }
}
