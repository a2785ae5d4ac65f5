#if canImport(Glibc)
import Glibc
#endif

/// How per-class scores combine. scikit-learn: the `average` argument.
public enum Average: String, Sendable {
    case binary, macro, micro, weighted
}

/// Checks that two targets can be compared sample by sample.
func checkPair(_ what: String, _ yTrue: Target, _ yPred: Target, _ sw: Tensor?) throws {
    guard yTrue.count == yPred.count else {
        throw KerasError.invalidArgument("\(what): y_true has \(yTrue.count) samples but y_pred has \(yPred.count)")
    }
    guard yTrue.count > 0 else { throw KerasError.invalidData("\(what): no samples") }
    if let sw, sw.count != yTrue.count {
        throw KerasError.invalidArgument("\(what): sample_weight has \(sw.count) values for \(yTrue.count) samples")
    }
}

func weights(_ sw: Tensor?, _ n: Int) -> [Double] {
    guard let sw else { return Array(repeating: 1, count: n) }
    return (0..<n).map { Double(sw.data[$0]) }
}

/// The fraction of samples predicted exactly (whole rows for multi-label targets).
/// scikit-learn: `accuracy_score`.
public func accuracyScore(_ yTrue: Target, _ yPred: Target, sampleWeight: Tensor? = nil) throws -> Double {
    try checkPair("accuracy_score", yTrue, yPred, sampleWeight)
    guard yTrue.width == yPred.width else {
        throw KerasError.invalidArgument("accuracy_score: y_true has \(yTrue.width) columns but y_pred has \(yPred.width)")
    }
    let n = yTrue.count, w = weights(sampleWeight, n)
    var hit = 0.0, total = 0.0
    if yTrue.width == 1 {
        let a = yTrue.labelKeys, b = yPred.labelKeys
        for i in 0..<n { total += w[i]; if a[i] == b[i] { hit += w[i] } }
    } else {
        guard let t = yTrue.tensor, let p = yPred.tensor else {
            throw KerasError.invalidArgument("accuracy_score: multi-column targets must be numbers")
        }
        let k = yTrue.width
        for i in 0..<n {
            total += w[i]
            var same = true
            for j in 0..<k where t.data[i * k + j] != p.data[i * k + j] { same = false; break }
            if same { hit += w[i] }
        }
    }
    return total > 0 ? hit / total : 0
}

/// Per-class true positives, predicted and true counts over the union of labels (sorted).
struct ClassCounts {
    var labels: [String]
    var tp: [Double], predicted: [Double], actual: [Double]

    init(_ yTrue: Target, _ yPred: Target, _ sw: Tensor?) throws {
        guard yTrue.width == 1, yPred.width == 1 else {
            throw KerasError.invalidArgument("classification metric: multi-column targets are not supported here")
        }
        let a = yTrue.labelKeys, b = yPred.labelKeys
        let numeric = yTrue.tensor != nil
        var set = Set(a); set.formUnion(b)
        labels = numeric ? set.sorted { (Double($0) ?? 0) < (Double($1) ?? 0) } : set.sorted()
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let w = weights(sw, a.count)
        tp = Array(repeating: 0, count: labels.count); predicted = tp; actual = tp
        for i in 0..<a.count {
            let ta = index[a[i]]!, pb = index[b[i]]!
            actual[ta] += w[i]; predicted[pb] += w[i]
            if ta == pb { tp[ta] += w[i] }
        }
    }
}

/// The mean of per-class recall over the classes in `yTrue`. scikit-learn: `balanced_accuracy_score`.
public func balancedAccuracyScore(_ yTrue: Target, _ yPred: Target, sampleWeight: Tensor? = nil) throws -> Double {
    try checkPair("balanced_accuracy_score", yTrue, yPred, sampleWeight)
    let c = try ClassCounts(yTrue, yPred, sampleWeight)
    var sum = 0.0, k = 0
    for i in c.labels.indices where c.actual[i] > 0 { sum += c.tp[i] / c.actual[i]; k += 1 }
    return k > 0 ? sum / Double(k) : 0
}

/// F1 score. `average: .binary` scores `posLabel` only (scikit-learn's default, `pos_label=1`);
/// `.macro`, `.micro` and `.weighted` combine all classes. Zero divisions count as 0.
/// scikit-learn: `f1_score`.
public func f1Score(_ yTrue: Target, _ yPred: Target, average: Average = .binary, posLabel: String = "1",
                    sampleWeight: Tensor? = nil) throws -> Double {
    try checkPair("f1_score", yTrue, yPred, sampleWeight)
    let c = try ClassCounts(yTrue, yPred, sampleWeight)
    func f1(_ tp: Double, _ pred: Double, _ act: Double) -> Double {
        let denom = pred + act
        return denom > 0 ? 2 * tp / denom : 0
    }
    switch average {
    case .binary:
        guard c.labels.count <= 2 else {
            throw KerasError.invalidArgument("f1_score: the target is multiclass (\(c.labels.count) labels) but average='binary'; choose average macro, micro or weighted")
        }
        guard let i = c.labels.firstIndex(of: posLabel) else {
            if Set(yTrue.labelKeys).count <= 2 && c.labels.count <= 1 { return 0 }
            throw KerasError.invalidArgument("f1_score: pos_label=\(posLabel) is not a valid label. It should be one of \(c.labels)")
        }
        return f1(c.tp[i], c.predicted[i], c.actual[i])
    case .micro:
        let tp = c.tp.reduce(0, +), total = c.actual.reduce(0, +)
        return f1(tp, total, total)
    case .macro:
        let scores = c.labels.indices.map { f1(c.tp[$0], c.predicted[$0], c.actual[$0]) }
        return scores.reduce(0, +) / Double(scores.count)
    case .weighted:
        let total = c.actual.reduce(0, +)
        guard total > 0 else { return 0 }
        return c.labels.indices.reduce(0.0) { $0 + f1(c.tp[$1], c.predicted[$1], c.actual[$1]) * c.actual[$1] } / total
    }
}

/// Area under the ROC curve for a binary target and scores of the positive class (the
/// greater label). Ties count one half. scikit-learn: `roc_auc_score`.
public func rocAucScore(_ yTrue: Target, _ scores: [Double], sampleWeight: Tensor? = nil) throws -> Double {
    guard yTrue.count == scores.count, yTrue.width == 1 else {
        throw KerasError.invalidArgument("roc_auc_score: y_true has \(yTrue.count) samples but there are \(scores.count) scores")
    }
    let enc = LabelEncoder()
    let codes = try enc.fitTransform(yTrue)
    guard enc.classKeys.count == 2 else {
        throw KerasError.invalidArgument("roc_auc_score: only one class present in y_true (\(enc.classKeys)); ROC AUC is not defined in that case")
    }
    return binaryAUC(codes.map { $0 == 1 }, scores, weights(sampleWeight, scores.count))
}

/// One-vs-rest ROC AUC averaged over classes (macro), from probabilities whose columns follow
/// `classes`. scikit-learn: `roc_auc_score(multi_class="ovr")`.
public func rocAucOvrScore(_ yTrue: Target, _ proba: Tensor, classes: [String]) throws -> Double {
    let n = yTrue.count, k = classes.count
    guard proba.rank == 2, proba.shape[0] == n, proba.shape[1] == k else {
        throw KerasError.invalidArgument("roc_auc_score: probabilities of shape \(proba.shape) for \(n) samples and \(k) classes")
    }
    let keys = yTrue.labelKeys
    var sum = 0.0
    for c in 0..<k {
        let positive = keys.map { $0 == classes[c] }
        guard positive.contains(true), positive.contains(false) else {
            throw KerasError.invalidArgument("roc_auc_score: class '\(classes[c])' has no positive or no negative sample; ROC AUC is not defined")
        }
        sum += binaryAUC(positive, (0..<n).map { Double(proba.data[$0 * k + c]) }, Array(repeating: 1, count: n))
    }
    return sum / Double(k)
}

/// Mann-Whitney form of the AUC, with ties counting one half.
func binaryAUC(_ positive: [Bool], _ scores: [Double], _ w: [Double]) -> Double {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var negBelow = 0.0, area = 0.0, i = 0
    var totalPos = 0.0, totalNeg = 0.0
    while i < order.count {
        var j = i
        var pos = 0.0, neg = 0.0
        while j < order.count && scores[order[j]] == scores[order[i]] {
            if positive[order[j]] { pos += w[order[j]] } else { neg += w[order[j]] }
            j += 1
        }
        area += pos * (negBelow + neg / 2)
        negBelow += neg
        totalPos += pos; totalNeg += neg
        i = j
    }
    return totalPos > 0 && totalNeg > 0 ? area / (totalPos * totalNeg) : .nan
}

/// Cross-entropy of probabilities whose columns follow `classes` (rows renormalised, values
/// clipped to float32 machine epsilon as scikit-learn does for float32 input).
/// scikit-learn: `log_loss`.
public func logLoss(_ yTrue: Target, _ proba: Tensor, classes: [String], sampleWeight: Tensor? = nil) throws -> Double {
    let n = yTrue.count, k = classes.count
    guard proba.rank == 2, proba.shape[0] == n, proba.shape[1] == k, k >= 2 else {
        throw KerasError.invalidArgument("log_loss: probabilities of shape \(proba.shape) do not fit \(n) samples and \(k) classes")
    }
    let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
    let eps = Double(Float.ulpOfOne)
    let w = weights(sampleWeight, n)
    var total = 0.0, wsum = 0.0
    for (i, key) in yTrue.labelKeys.enumerated() {
        guard let c = index[key] else {
            throw KerasError.invalidArgument("log_loss: y_true contains label '\(key)' not in the classes \(classes)")
        }
        var rowSum = 0.0
        for j in 0..<k { rowSum += min(max(Double(proba.data[i * k + j]), eps), 1 - eps) }
        let p = min(max(Double(proba.data[i * k + c]), eps), 1 - eps) / rowSum
        total -= w[i] * log(p)
        wsum += w[i]
    }
    return total / wsum
}
