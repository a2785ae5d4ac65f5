/// A metric update a traced call makes on every run: Keras's `self.loss_tracker.update_state(loss)`
/// or `self.mae.update_state(y, y_pred)` inside a `compute_loss` (or any traced call) traced into
/// the graph. The call reduces the update to two scalars, what the metric adds to its `total`
/// and to its `count` (Keras's `Mean`: a scalar value adds 1 to the count, a batch of values
/// their number or their sample weights' sum); a running sum (Keras's `Sum`) has no count.
///
/// A metric whose state is not a running mean (Keras's `AUC`, `Precision`, confusion-matrix
/// metrics) is instead updated by the library's own metric object (`object`, what
/// `compile(metrics=["AUC"])` makes) from the nodes its update reads (`inputs`: y_true, y_pred
/// and the sample weights if any), once per run.
struct MetricOutput {
    let name: String
    let total: Int
    let count: Int?
    var object: Metric? = nil
    var inputs: [Int] = []
}

/// The two scalars of a ``MetricOutput`` after one run of the graph.
public struct MetricValue: Sendable {
    public let name: String
    public let total: Double
    /// nil for a running sum.
    public let count: Double?
    /// A metric object's update: the object and the values of y_true, y_pred (and sample weights).
    var update: (object: Metric, inputs: [Tensor])? = nil
}

extension OpGraph {
    /// Records that every run of the call for `training` (nil: both modes) adds node `total` to
    /// the running total of the metric `name` and node `count` (nil: none, a running sum) to its
    /// count. Both must be scalars. The model's steps keep the running figures (reset at each
    /// epoch's start, as Keras's fit resets `model.metrics`) and log them under `name`.
    public func addMetricOutput(name: String, total: Int, count: Int?, training: Bool?) throws {
        guard !name.isEmpty else { throw KerasError.invalidArgument("op graph: a metric needs a name") }
        let t = try node(total, "metric '\(name)' total")
        let c = try count.map { try node($0, "metric '\(name)' count") }
        for (n, what) in [(t, "total")] + (c.map { [($0, "count")] } ?? []) {
            guard shapes[n].reduce(1, *) == 1, !shapes[n].contains(where: { $0 < 0 }) else {
                throw KerasError.shapeMismatch("op graph: metric '\(name)': its \(what) must be a scalar, got shape \(formatShape(shapes[n].map { $0 < 0 ? nil : $0 }))")
            }
        }
        let output = MetricOutput(name: name, total: t, count: c)
        if training != true { metricOutputs[0].append(output) }
        if training != false { metricOutputs[1].append(output) }
    }

    /// Records that every run of the call for `training` (nil: both modes) updates `metric`
    /// (a library metric, Keras's `AUC`, `Precision`, ...) with the values of nodes `yTrue`,
    /// `yPred` and `sampleWeight` (nil: none), as a compiled metric is updated with a batch. The
    /// model's steps keep the object's state (reset where Keras resets `model.metrics`) and log
    /// its result under `name`.
    public func addMetricObjectOutput(name: String, metric: Metric, yTrue: Int, yPred: Int, sampleWeight: Int?,
                                      training: Bool?) throws {
        guard !name.isEmpty else { throw KerasError.invalidArgument("op graph: a metric needs a name") }
        let t = try node(yTrue, "metric '\(name)' y_true")
        let p = try node(yPred, "metric '\(name)' y_pred")
        let w = try sampleWeight.map { try node($0, "metric '\(name)' sample_weight") }
        let output = MetricOutput(name: name, total: t, count: nil, object: metric, inputs: [t, p] + (w.map { [$0] } ?? []))
        if training != true { metricOutputs[0].append(output) }
        if training != false { metricOutputs[1].append(output) }
    }

    /// The nodes the metric updates of mode `mode` read.
    func metricNodes(_ mode: Int) -> [Int] {
        metricOutputs[mode].flatMap { $0.object != nil ? $0.inputs : [$0.total] + ($0.count.map { [$0] } ?? []) }
    }

    /// Keeps the metric values of a run of mode `mode` (``lastMetricValues``).
    func recordMetrics(_ mode: Int, _ values: [Tensor?]) throws {
        guard !metricOutputs[mode].isEmpty || !lastMetricValues.isEmpty else { return }
        func scalar(_ i: Int, _ name: String) throws -> Double {
            guard i < values.count, let s = values[i]?.scalar else {
                throw KerasError.invalidState("op graph: metric '\(name)' has no value")
            }
            return Double(s)
        }
        lastMetricValues = try metricOutputs[mode].map { m in
            if let object = m.object {
                let inputs = try m.inputs.map { i -> Tensor in
                    guard i < values.count, let v = values[i] else {
                        throw KerasError.invalidState("op graph: metric '\(m.name)' has no value")
                    }
                    return v
                }
                return MetricValue(name: m.name, total: 0, count: nil, update: (object, inputs))
            }
            return MetricValue(name: m.name, total: try scalar(m.total, m.name), count: try m.count.map { try scalar($0, m.name) })
        }
    }
}
