/// The running figure of a metric that a traced call updates (Keras: `self.loss_tracker.
/// update_state(loss)` in a `compute_loss` override, ``MetricOutput``): Keras's `Mean` (total
/// over count, 0 before any update) or `Sum` (the total), or a library metric object updated
/// with the traced y_true and y_pred (Keras's `AUC`, `Precision`, ...: its own state and result).
final class TracedMetric {
    let name: String
    private(set) var total = 0.0
    private(set) var count = 0.0
    private(set) var sums = false
    private(set) var object: Metric?

    init(name: String) { self.name = name }

    func add(_ v: MetricValue) throws {
        if let (m, inputs) = v.update {
            if object !== m { object = m; try m.reset() }
            try m.update(inputs[0], inputs[1], sampleWeight: inputs.count > 2 ? inputs[2] : nil)
            return
        }
        total += v.total
        if let c = v.count { count += c } else { sums = true }
    }

    func reset() throws { total = 0; count = 0; try object?.reset() }

    func result() throws -> Double {
        if let object { return Double(try object.result()) }
        return sums ? total : (count == 0 ? 0 : total / count)
    }
}

extension CompiledState {
    /// The running figure named `name`, made at its first update.
    func tracedMetric(_ name: String) -> TracedMetric {
        if let m = tracedMetrics.first(where: { $0.name == name }) { return m }
        let m = TracedMetric(name: name)
        tracedMetrics.append(m)
        return m
    }
}

/// The state of a metric updated inside a traced call, as ``Model/tracedMetricStates`` reports it.
public struct TracedMetricState: Sendable {
    public let name: String
    public let total: Double
    /// nil for a running sum.
    public let count: Double?
    /// The result of a metric object's state (nil for a mean or a sum).
    public var result: Double? = nil
}

extension Model {
    /// Adds the metric values the traced calls of the step just run report to the running
    /// figures (Keras: the metric variables a jitted train or test step updates).
    func updateTracedMetrics(_ c: CompiledState) throws {
        let layers: [CallbackLayer]
        if let known = c.tracedMetricLayers {
            layers = known
        } else {
            layers = flattenedLayers().compactMap { $0.0 as? CallbackLayer }
            c.tracedMetricLayers = layers
        }
        for layer in layers {
            guard let graph = layer.graph, !graph.lastMetricValues.isEmpty else { continue }
            for v in graph.lastMetricValues { try c.tracedMetric(v.name).add(v) }
            graph.lastMetricValues = []
        }
    }

    /// The running figures of the metrics that traced calls update, in order of first update
    /// (empty before the first step or when the model is not compiled): what a binding puts back
    /// into its metric objects after fit or evaluate.
    public var tracedMetricStates: [TracedMetricState] {
        get throws {
            try (compiled?.tracedMetrics ?? []).map {
                TracedMetricState(name: $0.name, total: $0.total, count: $0.sums ? nil : $0.count,
                                  result: $0.object == nil ? nil : try $0.result())
            }
        }
    }
}
