/// Encodes each feature's categories (the distinct values seen by `fit`, sorted) as indicator
/// columns, feature by feature. An unseen value throws (`handle_unknown="error"`) or gives
/// all zeros (`handleUnknown: .ignore`). scikit-learn: `OneHotEncoder(sparse_output=False)`.
public final class OneHotEncoder: Transformer, @unchecked Sendable {
    /// What `transform` does with a category `fit` did not see.
    public enum HandleUnknown: String, Sendable { case error, ignore }
    public var handleUnknown: HandleUnknown
    /// The categories of each feature. scikit-learn: `categories_`.
    public private(set) var categories: [[Float]]?

    public init(handleUnknown: HandleUnknown = .error) { self.handleUnknown = handleUnknown }

    public var estimatorName: String { "OneHotEncoder" }
    public var isClassifier: Bool { false }

    public func getParams(deep: Bool = true) -> Params { ["handle_unknown": .string(handleUnknown.rawValue)] }

    public func setParams(_ params: Params) throws {
        for (k, v) in params {
            guard k == "handle_unknown" else {
                throw KerasError.invalidArgument("OneHotEncoder.setParams: invalid parameter '\(k)'. Valid parameters are: handle_unknown")
            }
            guard let s = v.stringValue, let h = HandleUnknown(rawValue: s) else {
                throw KerasError.invalidArgument("OneHotEncoder.setParams: handle_unknown must be 'error' or 'ignore', got \(v)")
            }
            handleUnknown = h
        }
    }

    public func clone() throws -> Estimator { OneHotEncoder(handleUnknown: handleUnknown) }

    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws { try fit(x) }

    public func fit(_ x: Tensor) throws {
        try checkFeatures(x, owner: "OneHotEncoder.fit")
        let n = x.shape[0], d = x.shape[1]
        categories = (0..<d).map { j in Set((0..<n).map { x.data[$0 * d + j] }).sorted() }
    }

    /// The number of output columns.
    public var outputWidth: Int { categories?.reduce(0) { $0 + $1.count } ?? 0 }

    public func transform(_ x: Tensor) throws -> Tensor {
        guard let categories else { throw KerasError.invalidState("OneHotEncoder.transform: this OneHotEncoder instance is not fitted yet") }
        try checkFeatures(x, owner: "OneHotEncoder.transform", features: categories.count)
        let n = x.shape[0], d = categories.count, width = outputWidth
        let index = categories.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($1, $0) }) }
        let out = Tensor(shape: [n, width])
        for i in 0..<n {
            var offset = 0
            for j in 0..<d {
                let v = x.data[i * d + j]
                if let c = index[j][v] {
                    out.data[i * width + offset + c] = 1
                } else if handleUnknown == .error {
                    throw KerasError.invalidArgument("OneHotEncoder.transform: found unknown category \(v) in column \(j) during transform")
                }
                offset += categories[j].count
            }
        }
        return out
    }
}
