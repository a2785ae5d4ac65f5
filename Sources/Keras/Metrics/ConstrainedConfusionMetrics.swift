/// The base of the metrics that maximise one rate subject to a floor on another, over
/// `numThresholds` evenly spaced thresholds in [0, 1]. Keras: `SensitivitySpecificityBase`.
open class ConstrainedConfusionMetric: Metric, @unchecked Sendable {
    public let numThresholds: Int
    public let classId: Int?
    /// The floor on the constrained rate (`specificity` for SensitivityAtSpecificity...).
    public let value: Float
    let valueKey: String
    var counts: ConfusionCounts

    init(name: String, valueKey: String, value: Float, numThresholds: Int, classId: Int?) throws {
        guard value >= 0, value <= 1 else {
            throw KerasError.invalidArgument("\(Self.self)(\(valueKey): \(value)): \(valueKey) must be in the range [0, 1]")
        }
        guard numThresholds > 0, numThresholds <= 1 << 24 else {
            throw KerasError.invalidArgument("\(Self.self)(num_thresholds: \(numThresholds)): must be an integer > 0")
        }
        if let classId, classId < 0 { throw KerasError.invalidArgument("\(Self.self)(class_id: \(classId)): must be >= 0") }
        self.numThresholds = numThresholds
        self.classId = classId
        self.value = value
        self.valueKey = valueKey
        var t: [Float] = [0.5]
        if numThresholds > 1 {
            let inner: [Float] = (0..<(numThresholds - 2)).map { i in Float(Double(i + 1) / Double(numThresholds - 1)) }
            t = [0] + inner + [1]
        }
        counts = ConfusionCounts(thresholds: t)
        super.init(name: name)
    }

    public override var direction: Direction? { .up }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        try counts.update(name, yTrue, yPred, sampleWeight: sampleWeight, classId: classId,
                          evenly: numThresholds > 1, endsWithEpsilon: false)
    }

    open override func reset() { counts.reset() }
    open override var stateVariables: [MetricVariable] { counts.variables(labelled: false) }
    open override func assignStateVariables(_ values: [String: [Double]]) throws {
        try counts.assign(values, counts.variables(labelled: false).map(\.name), of: self)
    }

    /// The largest `dependent` rate among thresholds whose `constrained` rate reaches `value`.
    func maxUnderConstraint(_ constrained: (Int) -> Double, _ dependent: (Int) -> Double) -> Float {
        var best = 0.0
        for t in 0..<counts.thresholds.count where constrained(t) >= Double(value) { best = Swift.max(best, dependent(t)) }
        return Float(best)
    }

    var sensitivity: (Int) -> Double { { divideNoNaN(self.counts.tp[$0], self.counts.tp[$0] + self.counts.fn[$0]) } }
    var specificity: (Int) -> Double { { divideNoNaN(self.counts.tn[$0], self.counts.tn[$0] + self.counts.fp[$0]) } }
    var precision: (Int) -> Double { { divideNoNaN(self.counts.tp[$0], self.counts.tp[$0] + self.counts.fp[$0]) } }

    open override var config: JSON {
        ["name": .string(name), "dtype": "float32", "class_id": classId.map { .int($0) } ?? .null,
         "num_thresholds": .int(numThresholds), valueKey: .double(Double(value))]
    }
}

/// The best sensitivity (recall) among thresholds whose specificity is at least `specificity`.
/// Keras: `SensitivityAtSpecificity(specificity, num_thresholds=200, class_id=None)`.
public final class SensitivityAtSpecificity: ConstrainedConfusionMetric, @unchecked Sendable {
    public init(specificity: Float, numThresholds: Int = 200, classId: Int? = nil,
                name: String = "sensitivity_at_specificity") throws {
        try super.init(name: name, valueKey: "specificity", value: specificity, numThresholds: numThresholds, classId: classId)
    }
    public override func result() -> Float { maxUnderConstraint(specificity, sensitivity) }
}

/// The best specificity among thresholds whose sensitivity is at least `sensitivity`.
/// Keras: `SpecificityAtSensitivity(sensitivity, num_thresholds=200, class_id=None)`.
public final class SpecificityAtSensitivity: ConstrainedConfusionMetric, @unchecked Sendable {
    public init(sensitivity: Float, numThresholds: Int = 200, classId: Int? = nil,
                name: String = "specificity_at_sensitivity") throws {
        try super.init(name: name, valueKey: "sensitivity", value: sensitivity, numThresholds: numThresholds, classId: classId)
    }
    public override func result() -> Float { maxUnderConstraint(sensitivity, specificity) }
}

/// The best precision among thresholds whose recall is at least `recall`.
/// Keras: `PrecisionAtRecall(recall, num_thresholds=200, class_id=None)`.
public final class PrecisionAtRecall: ConstrainedConfusionMetric, @unchecked Sendable {
    public init(recall: Float, numThresholds: Int = 200, classId: Int? = nil, name: String = "precision_at_recall") throws {
        try super.init(name: name, valueKey: "recall", value: recall, numThresholds: numThresholds, classId: classId)
    }
    public override func result() -> Float { maxUnderConstraint(sensitivity, precision) }
}

/// The best recall among thresholds whose precision is at least `precision`.
/// Keras: `RecallAtPrecision(precision, num_thresholds=200, class_id=None)`.
public final class RecallAtPrecision: ConstrainedConfusionMetric, @unchecked Sendable {
    public init(precision: Float, numThresholds: Int = 200, classId: Int? = nil, name: String = "recall_at_precision") throws {
        try super.init(name: name, valueKey: "precision", value: precision, numThresholds: numThresholds, classId: classId)
    }
    public override func result() -> Float { maxUnderConstraint(precision, sensitivity) }
}
