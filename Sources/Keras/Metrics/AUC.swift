#if canImport(Glibc)
import Glibc
#endif

/// Area under the ROC or precision-recall curve, from confusion counts at `numThresholds`
/// thresholds accumulated over the epoch. Keras: `keras.metrics.AUC(num_thresholds=200,
/// curve="ROC", summation_method="interpolation", ...)`.
///
/// PR curves with interpolation use Keras's closed form of Davis & Goadrich (2006), so the
/// figures are Keras's, not a trapezoid over (recall, precision).
public final class AUC: Metric, @unchecked Sendable {
    /// The curve whose area is taken: ROC (recall against false-positive rate), PR, or PR-gain.
    public enum Curve: String, Sendable { case roc = "ROC", pr = "PR", prGain = "PRGAIN" }
    /// How each interval between thresholds is summed: trapezoids, or lower/upper rectangles.
    public enum SummationMethod: String, Sendable { case interpolation, minoring, majoring }

    public let numThresholds: Int
    public let curve: Curve
    public let summationMethod: SummationMethod
    /// Explicit thresholds (without the ±epsilon ends), or nil for evenly spaced ones.
    public let givenThresholds: [Float]?
    public let multiLabel: Bool
    public let numLabels: Int?
    public let labelWeights: [Float]?
    public let fromLogits: Bool
    var counts: ConfusionCounts

    public init(numThresholds: Int = 200, curve: Curve = .roc, summationMethod: SummationMethod = .interpolation,
                name: String = "auc", thresholds: [Float]? = nil, multiLabel: Bool = false, numLabels: Int? = nil,
                labelWeights: [Float]? = nil, fromLogits: Bool = false) throws {
        var t: [Float]
        if let thresholds {
            for v in thresholds where !(v >= 0 && v <= 1) {
                throw KerasError.invalidArgument("AUC(thresholds: ...): threshold values must be in [0, 1], got \(v)")
            }
            t = thresholds.sorted()
            self.numThresholds = t.count + 2
        } else {
            guard numThresholds > 1, numThresholds <= 1 << 24 else {
                throw KerasError.invalidArgument("AUC(num_thresholds: \(numThresholds)): must be an integer > 1 (and at most 2^24)")
            }
            t = (0..<(numThresholds - 2)).map { Float(Double($0 + 1) / Double(numThresholds - 1)) }
            self.numThresholds = numThresholds
        }
        if !multiLabel, numLabels != nil {
            throw KerasError.invalidArgument("AUC(num_labels: \(numLabels!)): num_labels is needed only when multi_label is true")
        }
        if let labelWeights, labelWeights.contains(where: { !($0 >= 0) }) {
            throw KerasError.invalidArgument("AUC(label_weights: \(labelWeights)): weights must be >= 0")
        }
        t = [0 - kerasEpsilon] + t + [1 + kerasEpsilon]
        self.curve = curve
        self.summationMethod = summationMethod
        self.givenThresholds = thresholds
        self.multiLabel = multiLabel
        self.numLabels = numLabels
        self.labelWeights = labelWeights
        self.fromLogits = fromLogits
        counts = ConfusionCounts(thresholds: t)
        super.init(name: name)
    }

    /// Every threshold, ends included.
    public var thresholds: [Float] { counts.thresholds }
    public override var direction: Direction? { .up }

    public override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let p = fromLogits ? Kernels.map(yPred) { sigmoidf($0) } : yPred
        if multiLabel {
            guard yPred.rank == 2 else {
                throw KerasError.shapeMismatch("AUC '\(name)': y_pred must have rank 2 when multi_label is true, got shape \(yPred.shape)")
            }
            if let numLabels, yPred.shape[1] != numLabels {
                throw KerasError.shapeMismatch("AUC '\(name)': num_labels=\(numLabels) but predictions have shape \(yPred.shape)")
            }
        }
        try counts.update("AUC '\(name)'", yTrue, p, sampleWeight: sampleWeight, multiLabel: multiLabel,
                          labelWeights: multiLabel ? nil : labelWeights, evenly: givenThresholds == nil)
    }

    public override func reset() { counts.reset() }

    /// Keras's four counts per threshold (per threshold and label when `multiLabel`: made at the
    /// first update unless `numLabels` is given).
    public override var stateVariables: [MetricVariable] {
        guard multiLabel, !counts.built else { return counts.variables(labelled: multiLabel) }
        guard let numLabels else { return [] }
        let zeros = [Double](repeating: 0, count: numThresholds * numLabels)
        return ["true_positives", "false_positives", "true_negatives", "false_negatives"].map {
            MetricVariable($0, shape: [numThresholds, numLabels], zeros)
        }
    }

    public override func assignStateVariables(_ values: [String: [Double]]) throws {
        try counts.assign(values, ["true_positives", "false_positives", "true_negatives", "false_negatives"],
                          of: self, labelled: multiLabel)
    }

    public override func result() -> Float {
        let n = numThresholds, labels = counts.labels
        var byLabel = [Double](repeating: 0, count: labels)
        for label in 0..<labels {
            let tp = (0..<n).map { counts.tp[counts.at($0, label)] }
            let fp = (0..<n).map { counts.fp[counts.at($0, label)] }
            let tn = (0..<n).map { counts.tn[counts.at($0, label)] }
            let fn = (0..<n).map { counts.fn[counts.at($0, label)] }
            byLabel[label] = curve == .pr && summationMethod == .interpolation
                ? Self.interpolatedPRAUC(tp: tp, fp: fp, fn: fn)
                : riemannAUC(tp: tp, fp: fp, tn: tn, fn: fn)
        }
        guard multiLabel else { return Float(byLabel[0]) }
        if let w = labelWeights, w.count == labels {
            let total = w.reduce(0) { $0 + Double($1) }
            return Float(divideNoNaN(zip(byLabel, w).map { $0 * Double($1) }.reduce(0, +), total))
        }
        return Float(byLabel.reduce(0, +) / Double(labels))
    }

    /// Rectangles between successive thresholds, heights by `summationMethod`.
    func riemannAUC(tp: [Double], fp: [Double], tn: [Double], fn: [Double]) -> Double {
        let n = tp.count
        var x = [Double](repeating: 0, count: n), y = x
        for i in 0..<n {
            let recall = divideNoNaN(tp[i], tp[i] + fn[i])
            switch curve {
            case .roc:
                x[i] = divideNoNaN(fp[i], fp[i] + tn[i]); y[i] = recall
            case .pr:
                x[i] = recall; y[i] = divideNoNaN(tp[i], tp[i] + fp[i])
            case .prGain:
                let scale = divideNoNaN(tp[i] + fn[i], tn[i] + fp[i])
                var recallGain = 1 - scale * divideNoNaN(fn[i], tp[i])
                var precisionGain = 1 - scale * divideNoNaN(fp[i], tp[i])
                if tp[i] == 0 { recallGain = 0; precisionGain = 1 }
                x[i] = Swift.max(recallGain, 0); y[i] = precisionGain
            }
        }
        var area = 0.0
        for i in 0..<(n - 1) {
            let h: Double
            switch summationMethod {
            case .interpolation: h = (y[i] + y[i + 1]) / 2
            case .minoring: h = Swift.min(y[i], y[i + 1])
            case .majoring: h = Swift.max(y[i], y[i + 1])
            }
            area += (x[i] - x[i + 1]) * h
        }
        return area
    }

    /// Keras's `interpolate_pr_auc`: precision varies linearly in TP and P between thresholds.
    static func interpolatedPRAUC(tp: [Double], fp: [Double], fn: [Double]) -> Double {
        let n = tp.count
        var area = 0.0
        for i in 0..<(n - 1) {
            let dtp = tp[i] - tp[i + 1]
            let pA = tp[i] + fp[i], pB = tp[i + 1] + fp[i + 1]
            let slope = divideNoNaN(dtp, Swift.max(pA - pB, 0))
            let intercept = tp[i + 1] - slope * pB
            let ratio = pA > 0 && pB > 0 ? divideNoNaN(pA, Swift.max(pB, 0)) : 1
            area += divideNoNaN(slope * (dtp + intercept * log(ratio)), Swift.max(tp[i + 1] + fn[i + 1], 0))
        }
        return area
    }

    public override var config: JSON {
        var c: JSON = ["name": .string(name), "dtype": "float32", "num_thresholds": .int(numThresholds),
                       "curve": .string(curve.rawValue), "summation_method": .string(summationMethod.rawValue),
                       "multi_label": .bool(multiLabel), "num_labels": numLabels.map { .int($0) } ?? .null,
                       "label_weights": labelWeights.map { .array($0.map { .double(Double($0)) }) } ?? .null,
                       "from_logits": .bool(fromLogits)]
        if let givenThresholds { c.set("thresholds", .array(givenThresholds.sorted().map { .double(Double($0)) })) }
        return c
    }
}

