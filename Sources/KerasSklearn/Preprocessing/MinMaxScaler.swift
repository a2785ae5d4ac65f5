/// Scales each feature linearly to `featureRange` (default `0...1`) from the minimum and maximum
/// seen by `fit`; constant features map to the range's lower end. `clip` clips transformed
/// held-out values to the range. scikit-learn: `MinMaxScaler` (the same arithmetic:
/// `x * scale_ + min_`).
public final class MinMaxScaler: Transformer, @unchecked Sendable {
    public var featureRange: (min: Double, max: Double)
    public var clip: Bool
    /// Per-feature minimum and maximum. scikit-learn: `data_min_`, `data_max_`.
    public private(set) var dataMin: [Double]?
    public private(set) var dataMax: [Double]?

    public init(featureRange: (min: Double, max: Double) = (0, 1), clip: Bool = false) {
        self.featureRange = featureRange
        self.clip = clip
    }

    public var estimatorName: String { "MinMaxScaler" }
    public var isClassifier: Bool { false }

    public func getParams(deep: Bool = true) -> Params {
        ["feature_range": .array([.double(featureRange.min), .double(featureRange.max)]), "clip": .bool(clip)]
    }

    public func setParams(_ params: Params) throws {
        for (k, v) in params {
            if k == "clip" {
                guard case .bool(let b) = v else { throw KerasError.invalidArgument("MinMaxScaler.setParams: clip must be a boolean, got \(v)") }
                clip = b
                continue
            }
            guard k == "feature_range" else {
                throw KerasError.invalidArgument("MinMaxScaler.setParams: invalid parameter '\(k)'. Valid parameters are: clip, feature_range")
            }
            guard let a = v.arrayValue, a.count == 2, let lo = a[0].doubleValue, let hi = a[1].doubleValue else {
                throw KerasError.invalidArgument("MinMaxScaler.setParams: feature_range must be a pair of numbers, got \(v)")
            }
            featureRange = (lo, hi)
        }
    }

    public func clone() throws -> Estimator { MinMaxScaler(featureRange: featureRange, clip: clip) }

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
        // scikit-learn's scale_ and min_ (a range under 10 eps counts as constant).
        let scale = (0..<d).map { j -> Double in
            let range = hi[j] - lo[j]
            return (featureRange.max - featureRange.min) / (range < 10 * Double.ulpOfOne ? 1 : range)
        }
        let shift = (0..<d).map { featureRange.min - lo[$0] * scale[$0] }
        for i in 0..<x.shape[0] {
            for j in 0..<d {
                var v = Double(x.data[i * d + j]) * scale[j] + shift[j]
                if clip { v = Swift.min(Swift.max(v, featureRange.min), featureRange.max) }
                out.data[i * d + j] = Float(v)
            }
        }
        return out
    }
}
