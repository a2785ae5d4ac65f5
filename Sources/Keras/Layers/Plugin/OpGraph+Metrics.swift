/// A metric update a traced call makes on every run: Keras's `self.loss_tracker.update_state(loss)`
/// or `self.mae.update_state(y, y_pred)` inside a `compute_loss` (or any traced call) traced into
/// the graph. The call reduces the update to two scalars, what the metric adds to its `total`
/// and to its `count` (Keras's `Mean`: a scalar value adds 1 to the count, a batch of values
/// their number or their sample weights' sum); a running sum (Keras's `Sum`) has no count.
struct MetricOutput {
    let name: String
    let total: Int
    let count: Int?
}

/// The two scalars of a ``MetricOutput`` after one run of the graph.
public struct MetricValue: Sendable {
    public let name: String
    public let total: Double
    /// nil for a running sum.
    public let count: Double?
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

    /// The nodes the metric updates of mode `mode` read.
    func metricNodes(_ mode: Int) -> [Int] {
        metricOutputs[mode].flatMap { [$0.total] + ($0.count.map { [$0] } ?? []) }
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
            MetricValue(name: m.name, total: try scalar(m.total, m.name), count: try m.count.map { try scalar($0, m.name) })
        }
    }
}
