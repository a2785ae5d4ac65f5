/// The F-beta score over the epoch, per class or averaged. Keras: `FBetaScore(average=None,
/// beta=1.0, threshold=None)`; inputs are `(batch, classes)`.
///
/// With `average: nil` there is one score per class (`resultValues()`); `result()`, which logs
/// and history need as one number, is then their unweighted mean.
open class FBetaScore: Metric, @unchecked Sendable {
    /// How per-class scores combine.
    public enum Average: String, Sendable { case micro, macro, weighted }

    public let average: Average?
    public let beta: Float
    /// Predictions above it count as positive; nil marks the largest prediction of each row.
    public let threshold: Float?
    private var tp: [Double] = [], fp: [Double] = [], fn: [Double] = [], support: [Double] = []

    public init(average: Average? = nil, beta: Float = 1, threshold: Float? = nil, name: String = "fbeta_score") throws {
        guard beta > 0, beta.isFinite else {
            throw KerasError.invalidArgument("\(Self.self)(beta: \(beta)): beta must be > 0")
        }
        if let threshold, !(threshold > 0 && threshold <= 1) {
            throw KerasError.invalidArgument("\(Self.self)(threshold: \(threshold)): must satisfy 0 < threshold <= 1")
        }
        self.average = average
        self.beta = beta
        self.threshold = threshold
        super.init(name: name)
    }

    public override var direction: Direction? { .up }

    /// With `average: nil` Keras reports one score per class.
    public override var reportsPerClass: Bool { average == nil }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        guard yPred.rank == 2, yTrue.rank == 2, yTrue.shape == yPred.shape else {
            throw KerasError.shapeMismatch("\(className) '\(name)' expects 2D inputs (batch_size, output_dim) of the same shape, got y_true \(yTrue.shape) and y_pred \(yPred.shape)")
        }
        let rows = yPred.shape[0], k = yPred.shape[1]
        let slots = average == .micro ? 1 : k
        if tp.isEmpty {
            tp = Array(repeating: 0, count: slots); fp = tp; fn = tp; support = tp
        } else if tp.count != slots {
            throw KerasError.shapeMismatch("\(className) '\(name)': built for \(tp.count) classes, got predictions of shape \(yPred.shape)")
        }
        if let sw = sampleWeight, sw.count != rows {
            throw KerasError.shapeMismatch("\(className) '\(name)': \(sw.count) sample weights for \(rows) samples")
        }
        for r in 0..<rows {
            let w = sampleWeight.map { Double($0.data[r]) } ?? 1
            var rowMax = -Float.infinity
            for j in 0..<k { rowMax = Swift.max(rowMax, yPred.data[r * k + j]) }
            for j in 0..<k {
                let p = yPred.data[r * k + j]
                let predicted: Double = threshold.map { p > $0 ? 1 : 0 } ?? ((p >= rowMax && Swift.abs(p) > 1e-9) ? 1 : 0)
                let t = Double(yTrue.data[r * k + j])
                let s = average == .micro ? 0 : j
                tp[s] += predicted * t * w
                fp[s] += predicted * (1 - t) * w
                fn[s] += (1 - predicted) * t * w
                support[s] += t * w
            }
        }
    }

    open override func resultValues() -> [Float] {
        guard !tp.isEmpty else { return [0] }
        let eps = Float(kerasEpsilon)
        let b2 = beta * beta
        var scores: [Float] = []
        for j in 0..<tp.count {
            let precision = Float(tp[j]) / (Float(tp[j] + fp[j]) + eps)
            let recall = Float(tp[j]) / (Float(tp[j] + fn[j]) + eps)
            scores.append(precision * recall / (b2 * precision + recall + eps) * (1 + b2))
        }
        switch average {
        case .weighted:
            let total = Float(support.reduce(0, +)) + eps
            return [zip(scores, support).map { $0 * Float($1) / total }.reduce(0, +)]
        case .micro, .macro: return [scores.reduce(0, +) / Float(scores.count)]
        case nil: return scores
        }
    }

    open override func result() -> Float {
        let v = resultValues()
        return v.reduce(0, +) / Float(v.count)
    }

    open override func reset() { tp = []; fp = []; fn = []; support = [] }

    /// Keras's per-class counts (scalars for `average: .micro`), made at the first update.
    open override var stateVariables: [MetricVariable] {
        guard !tp.isEmpty else { return [] }
        let shape = average == .micro ? [] : [tp.count]
        return [MetricVariable("true_positives", shape: shape, tp), MetricVariable("false_positives", shape: shape, fp),
                MetricVariable("false_negatives", shape: shape, fn), MetricVariable("intermediate_weights", shape: shape, support)]
    }

    open override func assignStateVariables(_ values: [String: [Double]]) throws {
        let given = try assignedValues(values, "true_positives", count: tp.isEmpty ? nil : tp.count)
        guard !given.isEmpty, average != .micro || given.count == 1 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': true_positives of \(given.count) values")
        }
        let n = given.count
        let f = try assignedValues(values, "false_positives", count: n), m = try assignedValues(values, "false_negatives", count: n)
        let s = try assignedValues(values, "intermediate_weights", count: n)
        tp = given; fp = f; fn = m; support = s
    }

    open override var config: JSON {
        ["name": .string(name), "dtype": "float32", "average": average.map { .string($0.rawValue) } ?? .null,
         "beta": .double(Double(beta)), "threshold": threshold.map { .double(Double($0)) } ?? .null]
    }
}

/// The F1 score (F-beta with beta 1). Keras: `F1Score(average=None, threshold=None)`.
public final class F1Score: FBetaScore, @unchecked Sendable {
    public init(average: Average? = nil, threshold: Float? = nil, name: String = "f1_score") throws {
        try super.init(average: average, beta: 1, threshold: threshold, name: name)
    }

    public override var config: JSON {
        ["name": .string(name), "dtype": "float32", "average": average.map { .string($0.rawValue) } ?? .null,
         "threshold": threshold.map { .double(Double($0)) } ?? .null]
    }
}
