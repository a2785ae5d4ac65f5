#if canImport(Glibc)
import Glibc
#endif

/// Any loss reported as a metric: the per-sample loss averaged over every sample of the epoch.
/// Keras: the metric classes that mirror losses (`keras.metrics.BinaryCrossentropy`,
/// `Hinge`, `Poisson`, `KLDivergence`...) and loss names given to `metrics=`.
///
/// As in Keras, the cosine similarity metric is the similarity itself (higher is better), the
/// opposite sign of the loss.
///
/// ```swift
/// try model.compile(loss: "mse", metrics: ["mae", .instance(LossMetric(try Loss.named("huber")))])
/// ```
public final class LossMetric: MeanMetricWrapper, @unchecked Sendable {
    /// The wrapped loss; its per-sample values are what is averaged.
    public let loss: Loss
    let metricClassName: String?

    /// - Parameter className: the Keras metric class when it differs from the loss's
    ///   (`LogCoshError` for `LogCosh`).
    public init(_ loss: Loss, name: String? = nil, className: String? = nil) {
        self.loss = loss
        metricClassName = className
        let similarity = loss.className == "CosineSimilarity"
        super.init(name: name ?? loss.name, direction: similarity ? .up : .down) { yt, yp in
            let v = try loss.perSample(yt, yp)
            return similarity ? Ops.negative(v) : v
        }
    }

    public override var className: String { metricClassName ?? loss.className }

    /// Keras's metric twins keep only some of the loss's arguments.
    static let keptArguments: [String: [String]] = [
        "BinaryCrossentropy": ["from_logits", "label_smoothing"],
        "CategoricalCrossentropy": ["from_logits", "label_smoothing", "axis"],
        "SparseCategoricalCrossentropy": ["from_logits", "ignore_class", "axis"],
    ]

    /// `name`, `dtype`, then the loss arguments Keras's metric class keeps (all of them for a
    /// loss Keras has no metric class for).
    public override var config: JSON {
        var c: JSON = ["name": .string(name), "dtype": "float32"]
        let builtin = ObjectRegistry.builtin(.loss, loss.className) != nil
        let kept = Self.keptArguments[loss.className]
        for (k, v) in loss.config.objectValue ?? [] where k != "name" && k != "reduction" && k != "dtype" {
            if let kept, !kept.contains(k) { continue }
            if kept == nil && builtin { continue }
            // Keras's metric twins default label_smoothing to the int 0 (their losses to 0.0).
            c.set(k, k == "label_smoothing" && v.doubleValue == 0 ? .int(0) : v)
        }
        // Keras's sparse categorical metric records the class axis its loss leaves implicit.
        if kept?.contains("axis") == true && c["axis"] == nil { c.set("axis", -1) }
        return c
    }
}

/// Mean of `(yTrue - yPred)²`. Keras: `keras.metrics.MeanSquaredError` (the Swift name avoids
/// the loss of the same Keras name).
public final class MeanSquaredErrorMetric: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "mean_squared_error") {
        super.init(name: name, direction: .down) { yt, yp in try squaredErrors(yt, yp, "mean_squared_error") }
    }
    public override var className: String { "MeanSquaredError" }
}

/// Mean of `|yTrue - yPred|`. Keras: `keras.metrics.MeanAbsoluteError`.
public final class MeanAbsoluteErrorMetric: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "mean_absolute_error") {
        super.init(name: name, direction: .down) { yt, yp in
            let t = try checkSameShape("mean_absolute_error", yt, yp)
            return try Ops.mean(Kernels.zipMap(t, yp, shape: yp.shape) { Swift.abs($0 - $1) }, axis: -1)
        }
    }
    public override var className: String { "MeanAbsoluteError" }

    /// Unweighted updates of targets with the prediction's elements (its shape, or a vector for
    /// one column) add each row's mean absolute error in place (no tensors, so a warm training
    /// step allocates nothing), with the function's arithmetic: `|t − p|` per element, summed
    /// from zero in order (one column: the value itself), times `1 / width` plus 0 (`Ops.mean`'s
    /// scale as `Ops.affine` applies it).
    public override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        // The targets `checkSameShape` takes: the same element count and first axis.
        guard sampleWeight == nil, yPred.rank > 0, yTrue.rank > 0, yTrue.count == yPred.count,
              yTrue.shape[0] == yPred.shape[0] else {
            return try super.update(yTrue, yPred, sampleWeight: sampleWeight)
        }
        let k = yPred.shape[yPred.rank - 1]
        guard k > 0 else { return try super.update(yTrue, yPred, sampleWeight: sampleWeight) }
        let rows = yPred.count / k, t = yTrue.data, p = yPred.data, scale = 1 / Float(k)
        for r in 0..<rows {
            let row = r * k
            var s: Float
            if k == 1 {
                s = Swift.abs(t[row] - p[row])
            } else {
                s = 0
                for j in 0..<k { s += Swift.abs(t[row + j] - p[row + j]) }
            }
            total += Double(s * scale + 0)
        }
        count += Double(rows)
    }
}

/// Square root of the mean squared error over the whole epoch (not a mean of batch roots).
/// Keras: `RootMeanSquaredError`.
public final class RootMeanSquaredError: Mean, @unchecked Sendable {
    public override init(name: String = "root_mean_squared_error") { super.init(name: name) }
    public override var direction: Direction? { .down }
    public override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let t = try checkSameShape(name, yTrue, yPred)
        add(Kernels.zipMap(t, yPred, shape: yPred.shape) { ($0 - $1) * ($0 - $1) }, sampleWeight: sampleWeight)
    }
    public override func result() -> Float { super.result().squareRoot() }
}

func squaredErrors(_ yTrue: Tensor, _ yPred: Tensor, _ what: String) throws -> Tensor {
    let t = try checkSameShape(what, yTrue, yPred)
    return try Ops.mean(Kernels.zipMap(t, yPred, shape: yPred.shape) { ($0 - $1) * ($0 - $1) }, axis: -1)
}

/// The coefficient of determination, accumulated over the epoch per output column.
/// Keras: `R2Score(class_aggregation="uniform_average", num_regressors=0)`.
public final class R2Score: Metric, @unchecked Sendable {
    /// How per-output scores become one figure.
    public enum ClassAggregation: String, Sendable {
        case uniformAverage = "uniform_average", varianceWeightedAverage = "variance_weighted_average"
    }
    /// nil keeps one score per output (`resultValues()`); `result()` then gives their mean.
    public let classAggregation: ClassAggregation?
    /// For the adjusted R²; 0 gives the plain score.
    public let numRegressors: Int
    private var sum: [Double] = [], squaredSum: [Double] = [], totalMSE: [Double] = [], count: [Double] = []
    private var numSamples: Double = 0

    public init(classAggregation: ClassAggregation? = .uniformAverage, numRegressors: Int = 0, name: String = "r2_score") throws {
        guard numRegressors >= 0 else {
            throw KerasError.invalidArgument("R2Score(num_regressors: \(numRegressors)): must be >= 0")
        }
        self.classAggregation = classAggregation
        self.numRegressors = numRegressors
        super.init(name: name)
    }

    public override var direction: Direction? { .up }

    public override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let t = try checkSameShape(name, yTrue, yPred)
        let outputs = yPred.rank >= 2 ? yPred.shape.last! : 1
        let rows = yPred.count / Swift.max(outputs, 1)
        if sum.isEmpty {
            sum = Array(repeating: 0, count: outputs); squaredSum = sum; totalMSE = sum; count = sum
        } else if sum.count != outputs {
            throw KerasError.shapeMismatch("R2Score '\(name)': built for \(sum.count) outputs, got predictions of shape \(yPred.shape)")
        }
        if let sw = sampleWeight, sw.count != rows {
            throw KerasError.shapeMismatch("R2Score '\(name)': \(sw.count) sample weights for \(rows) samples")
        }
        for r in 0..<rows {
            let w = sampleWeight.map { Double($0.data[r]) } ?? 1
            for j in 0..<outputs {
                let yt = Double(t.data[r * outputs + j]), yp = Double(yPred.data[r * outputs + j])
                sum[j] += yt * w
                squaredSum[j] += yt * yt * w
                totalMSE[j] += (yt - yp) * (yt - yp) * w
                count[j] += w
            }
        }
        numSamples += Double(yPred.count)
    }

    public override func resultValues() -> [Float] {
        guard !sum.isEmpty else { return [0] }
        var raw: [Double] = [], totals: [Double] = []
        for j in 0..<sum.count {
            let mean = sum[j] / count[j]
            let total = squaredSum[j] - sum[j] * mean
            var score = 1 - totalMSE[j] / total
            if score.isInfinite { score = 0 }
            raw.append(score); totals.append(total)
        }
        var scores: [Double]
        switch classAggregation {
        case .uniformAverage: scores = [raw.reduce(0, +) / Double(raw.count)]
        case .varianceWeightedAverage: scores = [zip(totals, raw).map(*).reduce(0, +) / totals.reduce(0, +)]
        case nil: scores = raw
        }
        let n = numSamples, p = Double(numRegressors)
        if numRegressors != 0 && p < n - 1 {
            scores = scores.map { 1 - (1 - $0) * (n - 1) / (n - p - 1) }
        }
        return scores.map { Float($0) }
    }

    public override func result() -> Float {
        let v = resultValues()
        return v.reduce(0, +) / Float(v.count)
    }

    public override func reset() {
        sum = []; squaredSum = []; totalMSE = []; count = []; numSamples = 0
    }

    /// Keras's `num_samples`, then (once the first update gave the outputs) per output.
    public override var stateVariables: [MetricVariable] {
        let first = [MetricVariable("num_samples", [numSamples])]
        guard !sum.isEmpty else { return first }
        let shape = [sum.count]
        return first + [MetricVariable("squared_sum", shape: shape, squaredSum), MetricVariable("sum", shape: shape, sum),
                        MetricVariable("residual", shape: shape, totalMSE), MetricVariable("count", shape: shape, count)]
    }

    public override func assignStateVariables(_ values: [String: [Double]]) throws {
        let n = try assignedValues(values, "num_samples", count: 1)[0]
        guard values["sum"] != nil || !sum.isEmpty else { numSamples = n; return }
        let s = try assignedValues(values, "sum", count: sum.isEmpty ? nil : sum.count)
        let q = try assignedValues(values, "squared_sum", count: s.count), r = try assignedValues(values, "residual", count: s.count)
        let c = try assignedValues(values, "count", count: s.count)
        numSamples = n; sum = s; squaredSum = q; totalMSE = r; count = c
    }

    public override var config: JSON {
        ["name": .string(name), "dtype": "float32",
         "class_aggregation": classAggregation.map { .string($0.rawValue) } ?? .null,
         "num_regressors": .int(numRegressors)]
    }
}
