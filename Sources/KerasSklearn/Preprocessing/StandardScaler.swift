/// Centers each feature to mean 0 and scales it to unit variance (population standard
/// deviation; constant features keep scale 1). scikit-learn: `StandardScaler`.
///
/// ```swift
/// let scaler = StandardScaler()
/// let z = try scaler.fitTransform(x)
/// ```
public final class StandardScaler: Transformer, @unchecked Sendable {
    public var withMean: Bool
    public var withStd: Bool
    /// Per-feature means. scikit-learn: `mean_`.
    public private(set) var mean: [Double]?
    /// Per-feature scales. scikit-learn: `scale_`.
    public private(set) var scale: [Double]?

    public init(withMean: Bool = true, withStd: Bool = true) {
        self.withMean = withMean
        self.withStd = withStd
    }

    public var estimatorName: String { "StandardScaler" }
    public var isClassifier: Bool { false }

    public func getParams(deep: Bool = true) -> Params { ["with_mean": .bool(withMean), "with_std": .bool(withStd)] }

    public func setParams(_ params: Params) throws {
        let r = ParamReader(owner: "StandardScaler", params: params)
        for k in params.keys where k != "with_mean" && k != "with_std" {
            throw KerasError.invalidArgument("StandardScaler.setParams: invalid parameter '\(k)'. Valid parameters are: with_mean, with_std")
        }
        withMean = try r.bool("with_mean", default: withMean)
        withStd = try r.bool("with_std", default: withStd)
    }

    public func clone() throws -> Estimator { StandardScaler(withMean: withMean, withStd: withStd) }

    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws { try fit(x) }

    /// Learns per-feature means and standard deviations.
    public func fit(_ x: Tensor) throws {
        try checkFeatures(x, owner: "StandardScaler.fit")
        let n = x.shape[0], d = x.shape[1]
        var m = Array(repeating: 0.0, count: d), v = m
        for i in 0..<n { for j in 0..<d { m[j] += Double(x.data[i * d + j]) } }
        for j in 0..<d { m[j] /= Double(n) }
        for i in 0..<n { for j in 0..<d { let e = Double(x.data[i * d + j]) - m[j]; v[j] += e * e } }
        mean = m
        scale = v.map { let s = ($0 / Double(n)).squareRoot(); return s < 10 * Double.ulpOfOne * 1 ? 1 : s }
    }

    public func transform(_ x: Tensor) throws -> Tensor {
        guard let mean, let scale else { throw KerasError.invalidState("StandardScaler.transform: this StandardScaler instance is not fitted yet") }
        try checkFeatures(x, owner: "StandardScaler.transform", features: mean.count)
        let d = mean.count
        let out = Tensor(shape: x.shape)
        for i in 0..<x.shape[0] {
            for j in 0..<d {
                var v = Double(x.data[i * d + j])
                if withMean { v -= mean[j] }
                if withStd { v /= scale[j] }
                out.data[i * d + j] = Float(v)
            }
        }
        return out
    }

    /// Undoes `transform`. scikit-learn: `inverse_transform`.
    public func inverseTransform(_ x: Tensor) throws -> Tensor {
        guard let mean, let scale else { throw KerasError.invalidState("StandardScaler.inverseTransform: this StandardScaler instance is not fitted yet") }
        try checkFeatures(x, owner: "StandardScaler.inverseTransform", features: mean.count)
        let d = mean.count
        let out = Tensor(shape: x.shape)
        for i in 0..<x.shape[0] {
            for j in 0..<d {
                var v = Double(x.data[i * d + j])
                if withStd { v *= scale[j] }
                if withMean { v += mean[j] }
                out.data[i * d + j] = Float(v)
            }
        }
        return out
    }
}
