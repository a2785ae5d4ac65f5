/// True/false positive/negative counts per threshold (and per label for multi-label AUC),
/// accumulated as Keras's `metrics_utils.update_confusion_matrix_variables` does.
struct ConfusionCounts {
    let thresholds: [Float]
    /// Labels counted separately (multi-label AUC); 1 otherwise.
    private(set) var labels = 1
    /// Set by the first update (multi-label counts take their label count from it).
    private(set) var built = false
    private(set) var tp: [Double] = [], fp: [Double] = [], tn: [Double] = [], fn: [Double] = []

    init(thresholds: [Float]) {
        self.thresholds = thresholds
        reset()
    }

    mutating func reset() {
        let n = thresholds.count * labels
        tp = Array(repeating: 0, count: n); fp = tp; tn = tp; fn = tp
    }

    /// Keras's four count variables (`true_positives`, ...), one value per threshold, or per
    /// (threshold, label) as `[thresholds, labels]` where `labelled` (multi-label AUC).
    func variables(labelled: Bool) -> [MetricVariable] {
        let shape = labelled ? [thresholds.count, labels] : [thresholds.count]
        return [MetricVariable("true_positives", shape: shape, tp), MetricVariable("false_positives", shape: shape, fp),
                MetricVariable("true_negatives", shape: shape, tn), MetricVariable("false_negatives", shape: shape, fn)]
    }

    /// Sets the counts `names` lists (Keras's variable names, `true_positives`, ...) from
    /// `values` of `metric`'s; the others stay. `labels`: the label count of multi-label counts
    /// not yet built (taken from the values given).
    mutating func assign(_ values: [String: [Double]], _ names: [String], of metric: Metric, labelled: Bool = false) throws {
        var given = [String: [Double]]()
        for name in names { given[name] = try metric.assignedValues(values, name, count: labelled ? nil : thresholds.count * labels) }
        if labelled, let first = given.values.first {
            guard first.count % thresholds.count == 0, first.count > 0,
                  given.values.allSatisfy({ $0.count == first.count }) else {
                throw KerasError.shapeMismatch("\(metric.className) '\(metric.name)': counts of \(first.count) values do not fit \(thresholds.count) thresholds")
            }
            if built, first.count != thresholds.count * labels {
                throw KerasError.shapeMismatch("\(metric.className) '\(metric.name)': built for \(labels) labels, got \(first.count / thresholds.count)")
            }
            if !built { labels = first.count / thresholds.count; reset(); built = true }
        }
        if let v = given["true_positives"] { tp = v }
        if let v = given["false_positives"] { fp = v }
        if let v = given["true_negatives"] { tn = v }
        if let v = given["false_negatives"] { fn = v }
    }

    /// Index of (threshold, label).
    @inline(__always) func at(_ t: Int, _ label: Int) -> Int { t * labels + label }

    /// Adds a batch. `evenly` uses Keras's bucketed path (AUC's default thresholds with their
    /// ±epsilon ends), which clips predictions to [0, 1].
    mutating func update(_ what: String, _ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?,
                         topK: Int? = nil, classId: Int? = nil, multiLabel: Bool = false,
                         labelWeights: [Float]? = nil, evenly: Bool = false, endsWithEpsilon: Bool = true) throws {
        guard yTrue.count == yPred.count else {
            throw KerasError.shapeMismatch("\(what): targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
        }
        let batch = yPred.rank == 0 ? 1 : yPred.shape[0]
        let columns = yPred.rank >= 2 ? yPred.shape.last! : 1
        guard batch > 0, columns > 0 else { return }
        let rows = yPred.count / columns
        if let sw = sampleWeight, sw.count != batch {
            throw KerasError.shapeMismatch("\(what): \(sw.count) sample weights for \(batch) samples")
        }
        var pred = yPred.scalars
        var truth = yTrue.scalars
        if let k = topK {
            guard k > 0 else { throw KerasError.invalidArgument("\(what): top_k must be positive, got \(k)") }
            // Along the last axis, as Keras's: a 1-D batch of predictions is one row.
            let width = yPred.rank == 1 ? yPred.count : columns
            for r in 0..<(pred.count / width) {
                let row = Array(pred[(r * width)..<((r + 1) * width)])
                let keep = Set(row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(k))
                for j in 0..<width where !keep.contains(j) { pred[r * width + j] = -1e10 }
            }
        }
        var cols = columns
        if let c = classId {
            guard yPred.rank >= 2, c >= 0, c < columns else {
                throw KerasError.invalidArgument("\(what): class_id \(c) is not a column of predictions of shape \(yPred.shape)")
            }
            pred = (0..<rows).map { pred[$0 * columns + c] }
            truth = (0..<rows).map { truth[$0 * columns + c] }
            cols = 1
        }
        if multiLabel {
            if !built {
                labels = cols
                reset()
            }
            guard labels == cols else {
                throw KerasError.shapeMismatch("\(what): built for \(labels) labels, got predictions of shape \(yPred.shape)")
            }
        }
        if let lw = labelWeights, lw.count != cols {
            throw KerasError.shapeMismatch("\(what): \(lw.count) label weights for \(cols) labels")
        }
        built = true
        let perBatchRow = Swift.max(1, pred.count / batch)
        let n = thresholds.count
        for i in 0..<pred.count {
            var w = sampleWeight.map { Double($0.data[Swift.min(i / perBatchRow, batch - 1)]) } ?? 1
            let label = multiLabel ? i % cols : 0
            if let lw = labelWeights { w *= Double(lw[i % cols]) }
            let positive = truth[i] != 0
            if evenly {
                // A NaN prediction (a diverged model) is above no threshold.
                let p = pred[i].isNaN ? -1 : Swift.min(Swift.max(pred[i], 0), 1)
                // Keras's bucket: ceil(p * (n - 1)) - 1; without the ±epsilon ends a prediction of
                // 0 falls in no bucket (it is above no threshold).
                let raw = p < 0 ? -1 : Int((p * Float(n - 1)).rounded(.up)) - 1
                let b = Swift.min(endsWithEpsilon && p >= 0 ? Swift.max(raw, 0) : raw, n - 1)
                for t in 0..<n {
                    switch (positive, t <= b) {
                    case (true, true): tp[at(t, label)] += w
                    case (false, true): fp[at(t, label)] += w
                    case (true, false): fn[at(t, label)] += w
                    case (false, false): tn[at(t, label)] += w
                    }
                }
            } else {
                for t in 0..<n {
                    let predicted = pred[i] > thresholds[t]
                    switch (positive, predicted) {
                    case (true, true): tp[at(t, label)] += w
                    case (false, true): fp[at(t, label)] += w
                    case (true, false): fn[at(t, label)] += w
                    case (false, false): tn[at(t, label)] += w
                    }
                }
            }
        }
    }
}

/// `a / b`, or 0 where `b` is 0. Keras: `ops.divide_no_nan`.
@inline(__always) func divideNoNaN(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }

/// Checks and sorts the thresholds of a confusion metric.
func confusionThresholds(_ what: String, _ given: [Float]?, default d: Float) throws -> [Float] {
    let t = given ?? [d]
    guard !t.isEmpty else { throw KerasError.invalidArgument("\(what): thresholds must not be empty") }
    for v in t where !(v >= 0 && v <= 1) && v != -1e10 {
        throw KerasError.invalidArgument("\(what): threshold values must be in [0, 1], got \(v)")
    }
    return t
}

func thresholdsJSON(_ t: [Float]?) -> JSON {
    guard let t else { return .null }
    return t.count == 1 ? .double(Double(t[0])) : .array(t.map { .double(Double($0)) })
}

/// The base of Precision, Recall and the four counts: thresholds, optional top-k and class id.
open class ConfusionMetric: Metric, @unchecked Sendable {
    /// The thresholds as given (nil: the default 0.5).
    public let thresholds: [Float]?
    public let topK: Int?
    public let classId: Int?
    var counts: ConfusionCounts

    init(name: String, thresholds: [Float]?, topK: Int?, classId: Int?) throws {
        if let topK, topK <= 0 { throw KerasError.invalidArgument("\(name): top_k must be positive, got \(topK)") }
        if let classId, classId < 0 { throw KerasError.invalidArgument("\(name): class_id must be >= 0, got \(classId)") }
        self.thresholds = thresholds
        self.topK = topK
        self.classId = classId
        counts = ConfusionCounts(thresholds: try confusionThresholds(name, thresholds, default: topK == nil ? 0.5 : -1e10))
        super.init(name: name)
    }

    public override var direction: Direction? { .up }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        try counts.update(name, yTrue, yPred, sampleWeight: sampleWeight, topK: topK, classId: classId)
    }

    open override func reset() { counts.reset() }

    /// Keras's Precision keeps true and false positives; Recall true positives and false
    /// negatives; a count metric its one `accumulator`.
    var keptCounts: [String] { [] }

    open override var stateVariables: [MetricVariable] {
        counts.variables(labelled: false).filter { keptCounts.contains($0.name) }
    }

    open override func assignStateVariables(_ values: [String: [Double]]) throws {
        try counts.assign(values, keptCounts, of: self)
    }

    /// Keras returns one value per threshold when given several (`Recall(thresholds=[0.3, 0.7])`).
    open override var reportsPerClass: Bool { counts.thresholds.count > 1 }

    /// One value per threshold.
    func perThreshold(_ f: (Int) -> Double) -> [Float] { (0..<counts.thresholds.count).map { Float(f($0)) } }

    open override func resultValues() -> [Float] { [] }
    open override func result() -> Float { resultValues().first ?? 0 }

    open override var config: JSON {
        ["name": .string(name), "dtype": "float32", "thresholds": thresholdsJSON(thresholds),
         "top_k": topK.map { .int($0) } ?? .null, "class_id": classId.map { .int($0) } ?? .null]
    }
}

/// `tp / (tp + fp)` over the epoch. Keras: `Precision(thresholds=None, top_k=None, class_id=None)`.
public final class Precision: ConfusionMetric, @unchecked Sendable {
    public init(thresholds: [Float]? = nil, topK: Int? = nil, classId: Int? = nil, name: String = "precision") throws {
        try super.init(name: name, thresholds: thresholds, topK: topK, classId: classId)
    }
    override var keptCounts: [String] { ["true_positives", "false_positives"] }
    public override func resultValues() -> [Float] {
        perThreshold { divideNoNaN(counts.tp[$0], counts.tp[$0] + counts.fp[$0]) }
    }
}

/// `tp / (tp + fn)` over the epoch. Keras: `Recall(thresholds=None, top_k=None, class_id=None)`.
public final class Recall: ConfusionMetric, @unchecked Sendable {
    public init(thresholds: [Float]? = nil, topK: Int? = nil, classId: Int? = nil, name: String = "recall") throws {
        try super.init(name: name, thresholds: thresholds, topK: topK, classId: classId)
    }
    override var keptCounts: [String] { ["true_positives", "false_negatives"] }
    public override func resultValues() -> [Float] {
        perThreshold { divideNoNaN(counts.tp[$0], counts.tp[$0] + counts.fn[$0]) }
    }
}

/// One cell of the confusion matrix, summed (weighted) over the epoch.
/// Keras: `TruePositives`, `FalsePositives`, `TrueNegatives`, `FalseNegatives` (`thresholds=None`).
public final class ConfusionCount: ConfusionMetric, @unchecked Sendable {
    /// Which cell is counted.
    public enum Cell: String, Sendable {
        case truePositives = "TruePositives", falsePositives = "FalsePositives"
        case trueNegatives = "TrueNegatives", falseNegatives = "FalseNegatives"
        var defaultName: String {
            switch self {
            case .truePositives: return "true_positives"
            case .falsePositives: return "false_positives"
            case .trueNegatives: return "true_negatives"
            case .falseNegatives: return "false_negatives"
            }
        }
    }
    public let cell: Cell

    public init(_ cell: Cell, thresholds: [Float]? = nil, name: String? = nil) throws {
        self.cell = cell
        try super.init(name: name ?? cell.defaultName, thresholds: thresholds, topK: nil, classId: nil)
    }

    public override var className: String { cell.rawValue }
    public override var direction: Direction? { nil }

    public override var stateVariables: [MetricVariable] {
        counts.variables(labelled: false).filter { $0.name == cell.defaultName }
            .map { MetricVariable("accumulator", shape: $0.shape, $0.values) }
    }

    public override func assignStateVariables(_ values: [String: [Double]]) throws {
        let accumulator = try assignedValues(values, "accumulator", count: counts.thresholds.count)
        try counts.assign([cell.defaultName: accumulator], [cell.defaultName], of: self)
    }

    public override func resultValues() -> [Float] {
        perThreshold {
            switch cell {
            case .truePositives: return counts.tp[$0]
            case .falsePositives: return counts.fp[$0]
            case .trueNegatives: return counts.tn[$0]
            case .falseNegatives: return counts.fn[$0]
            }
        }
    }

    public override var config: JSON {
        ["name": .string(name), "dtype": "float32", "thresholds": thresholdsJSON(thresholds)]
    }
}
