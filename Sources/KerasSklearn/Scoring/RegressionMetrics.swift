/// Column views of a numeric target: `[samples][outputs]` as doubles.
func numericColumns(_ what: String, _ y: Target) throws -> (n: Int, k: Int, v: [Double]) {
    guard let t = y.tensor else { throw KerasError.invalidArgument("\(what): targets must be numbers, got string labels") }
    return (y.count, y.width, (0..<t.count).map { Double(t.data[$0]) })
}

func regressionPair(_ what: String, _ yTrue: Target, _ yPred: Target, _ sw: Tensor?) throws -> (Int, Int, [Double], [Double], [Double]) {
    try checkPair(what, yTrue, yPred, sw)
    let a = try numericColumns(what, yTrue), b = try numericColumns(what, yPred)
    guard a.k == b.k else { throw KerasError.invalidArgument("\(what): y_true has \(a.k) outputs but y_pred has \(b.k)") }
    return (a.n, a.k, a.v, b.v, weights(sw, a.n))
}

/// Coefficient of determination, averaged uniformly over outputs. A constant target scores 1
/// when predicted exactly and 0 otherwise, as in scikit-learn. scikit-learn: `r2_score`.
public func r2Score(_ yTrue: Target, _ yPred: Target, sampleWeight: Tensor? = nil) throws -> Double {
    let (n, k, t, p, w) = try regressionPair("r2_score", yTrue, yPred, sampleWeight)
    let wsum = w.reduce(0, +)
    var total = 0.0
    for j in 0..<k {
        var mean = 0.0
        for i in 0..<n { mean += w[i] * t[i * k + j] }
        mean /= wsum
        var ssRes = 0.0, ssTot = 0.0
        for i in 0..<n {
            let r = t[i * k + j] - p[i * k + j], d = t[i * k + j] - mean
            ssRes += w[i] * r * r; ssTot += w[i] * d * d
        }
        if ssTot == 0 { total += ssRes == 0 ? 1 : 0 } else { total += 1 - ssRes / ssTot }
    }
    return total / Double(k)
}

/// Mean squared error, averaged over outputs. scikit-learn: `mean_squared_error`.
public func meanSquaredError(_ yTrue: Target, _ yPred: Target, sampleWeight: Tensor? = nil) throws -> Double {
    let (n, k, t, p, w) = try regressionPair("mean_squared_error", yTrue, yPred, sampleWeight)
    var s = 0.0
    for i in 0..<n { for j in 0..<k { let d = t[i * k + j] - p[i * k + j]; s += w[i] * d * d } }
    return s / (w.reduce(0, +) * Double(k))
}

/// Mean absolute error, averaged over outputs. scikit-learn: `mean_absolute_error`.
public func meanAbsoluteError(_ yTrue: Target, _ yPred: Target, sampleWeight: Tensor? = nil) throws -> Double {
    let (n, k, t, p, w) = try regressionPair("mean_absolute_error", yTrue, yPred, sampleWeight)
    var s = 0.0
    for i in 0..<n { for j in 0..<k { s += w[i] * abs(t[i * k + j] - p[i * k + j]) } }
    return s / (w.reduce(0, +) * Double(k))
}
