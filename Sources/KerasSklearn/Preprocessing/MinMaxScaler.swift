/// Scales each feature linearly to `featureRange` (default `0...1`) from the minimum and maximum
/// seen by `fit`; constant features map to the range's lower end. scikit-learn: `MinMaxScaler`.
public final class MinMaxScaler: Transformer, @unchecked Sendable {
    public var featureRange: (min: Double, max: Double)
    /// Per-feature minimum and maximum. scikit-learn: `data_min_`, `data_max_`.
    public private(set) var dataMin: [Double]?
    public private(set) var dataMax: [Double]?

    public init(featureRange: (min: Double, max: Double) = (0, 1)) { self.featureRange = featureRange }

    public var estimatorName: String { "MinMaxScaler" }
    public var isClassifier: Bool { false }

    public func getParams(deep: Bool = true) -> Params {
        ["feature_range": .array([.double(featureRange.min), .double(featureRange.max)])]
    }

    public func setParams(_ params: Params) throws {
        for (k, v) in params {
            guard k == "feature_range" else {
                throw KerasError.invalidArgument("MinMaxScaler.setParams: invalid parameter '\(k)'. Valid parameters are: feature_range")
            }
            guard let a = v.arrayValue, a.count == 2, let lo = a[0].doubleValue, let hi = a[1].doubleValue else {
                throw KerasError.invalidArgument("MinMaxScaler.setParams: feature_range must be a pair of numbers, got \(v)")
            }
            featureRange = (lo, hi)
        }
    }

    public func clone() throws -> Estimator { MinMaxScaler(featureRange: featureRange) }

    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws { try fit(x) }

    public func fit(_ x: Tensor) throws {
        guard featureRange.min < featureRange.max else {
            throw KerasError.invalidArgument("MinMaxScaler(feature_range: \(featureRange)): minimum of desired feature range must be smaller than maximum")
        }
        try checkFeatures(x, owner: "MinMaxScaler.fit")
        let n = x.shape[0], d = x.shape[1]
        var lo = Array(repeating: Double.infinity, count: d), hi = Array(repeating: -Double.infinity, count: d)
        for i in 0..<n {
            for j in 0..<d {
                let v = Double(x.data[i * d + j])
                lo[j] = Swift.min(lo[j], v); hi[j] = Swift.max(hi[j], v)
            }
        }
        dataMin = lo; dataMax = hi
    }

    public func transform(_ x: Tensor) throws -> Tensor {
        guard let lo = dataMin, let hi = dataMax else {
            throw KerasError.invalidState("MinMaxScaler.transform: this MinMaxScaler instance is not fitted yet")
        }
        try checkFeatures(x, owner: "MinMaxScaler.transform", features: lo.count)
        let d = lo.count, out = Tensor(shape: x.shape)
        for i in 0..<x.shape[0] {
            for j in 0..<d {
                let range = hi[j] - lo[j]
                let scale = (featureRange.max - featureRange.min) / (range == 0 ? 1 : range)
                out.data[i * d + j] = Float((Double(x.data[i * d + j]) - lo[j]) * scale + featureRange.min)
            }
        }
        return out
    }
}
