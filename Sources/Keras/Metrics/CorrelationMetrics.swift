/// Pearson's correlation between targets and predictions along the last axis, per sample,
/// averaged over the epoch. Keras: `PearsonCorrelation(axis=-1)`.
public final class PearsonCorrelation: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "pearson_correlation") {
        super.init(name: name, direction: .up) { yt, yp in try correlationRows("pearson_correlation", yt, yp, pearsonRow) }
    }
    public override var config: JSON { ["name": .string(name), "dtype": "float32", "axis": -1] }
}

/// Lin's concordance correlation along the last axis, per sample, averaged over the epoch, with
/// Keras's formula (its covariance centres the targets on the predictions' mean).
/// Keras: `ConcordanceCorrelation(axis=-1)`.
public final class ConcordanceCorrelation: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "concordance_correlation") {
        super.init(name: name, direction: .up) { yt, yp in try correlationRows("concordance_correlation", yt, yp, concordanceRow) }
    }
    public override var config: JSON { ["name": .string(name), "dtype": "float32", "axis": -1] }
}

/// One value per row (last axis) of `f(targets, predictions)`.
func correlationRows(_ what: String, _ yTrue: Tensor, _ yPred: Tensor,
                     _ f: (ArraySlice<Double>, ArraySlice<Double>) -> Double) throws -> Tensor {
    let t = try checkSameShape(what, yTrue, yPred)
    let k = yPred.rank >= 1 ? (yPred.shape.last ?? 1) : 1
    guard k > 0 else { throw KerasError.shapeMismatch("\(what): predictions of shape \(yPred.shape) have an empty last axis") }
    let rows = yPred.count / k
    let a = t.scalars.map(Double.init), b = yPred.scalars.map(Double.init)
    let out = Tensor.uninitialized(yPred.rank >= 1 ? Array(yPred.shape.dropLast()) : [])
    for r in 0..<rows {
        out.data[r] = Float(f(a[(r * k)..<((r + 1) * k)], b[(r * k)..<((r + 1) * k)]))
    }
    return out
}

private func mean(_ x: ArraySlice<Double>) -> Double { x.reduce(0, +) / Double(x.count) }

private func pearsonRow(_ t: ArraySlice<Double>, _ p: ArraySlice<Double>) -> Double {
    let mt = mean(t), mp = mean(p)
    let ct = t.map { $0 - mt }, cp = p.map { $0 - mp }
    let st = (ct.map { $0 * $0 }.reduce(0, +) / Double(ct.count)).squareRoot()
    let sp = (cp.map { $0 * $0 }.reduce(0, +) / Double(cp.count)).squareRoot()
    return zip(ct, cp).map { ($0 / st) * ($1 / sp) }.reduce(0, +) / Double(ct.count)
}

private func concordanceRow(_ t: ArraySlice<Double>, _ p: ArraySlice<Double>) -> Double {
    let mt = mean(t), mp = mean(p)
    let vt = t.map { ($0 - mt) * ($0 - mt) }.reduce(0, +) / Double(t.count)
    let vp = p.map { ($0 - mp) * ($0 - mp) }.reduce(0, +) / Double(p.count)
    let norm = vt + vp + (mt - mp) * (mt - mp) + Double(kerasEpsilon)
    return zip(t, p).map { 2 * ($0 - mp) * ($1 - mp) / norm }.reduce(0, +) / Double(t.count)
}
