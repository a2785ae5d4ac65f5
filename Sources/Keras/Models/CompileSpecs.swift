/// An optimizer by Keras name (`"adam"`) or as an object. Used by `compile`.
public enum OptimizerSpec: ExpressibleByStringLiteral {
    case name(String)
    case instance(Optimizer)

    public init(stringLiteral value: String) { self = .name(value) }

    func resolve() throws -> Optimizer {
        switch self {
        case .name(let n): return try Optimizer.named(n)
        case .instance(let o): return o
        }
    }
}

/// A loss by Keras name (`"mse"`), as an object, or as a function of (yTrue, yPred).
public enum LossSpec: ExpressibleByStringLiteral {
    case name(String)
    case instance(Loss)
    case function(String, (Tensor, Tensor) throws -> Tensor)

    public init(stringLiteral value: String) { self = .name(value) }

    func resolve() throws -> Loss {
        switch self {
        case .name(let n): return try Loss.named(n)
        case .instance(let l): return l
        case .function(let name, let f): return LossFunction(name: name, f)
        }
    }
}

/// A metric by Keras name (`"accuracy"`), as an object, or as a function of (yTrue, yPred) such
/// as `mean_pred` in the Keras guides.
public enum MetricSpec: ExpressibleByStringLiteral {
    case name(String)
    case instance(Metric)
    case function(String, (Tensor, Tensor) throws -> Tensor)

    public init(stringLiteral value: String) { self = .name(value) }

    /// The name this metric will have in logs, before output prefixes.
    var displayName: String {
        switch self {
        case .name(let n): return n
        case .instance(let m): return m.name
        case .function(let n, _): return n
        }
    }

    func resolve(yTrue: [Int], yPred: [Int], loss: Loss?) throws -> Metric {
        switch self {
        case .name(let n): return try Metric.named(n, yTrueShape: yTrue, yPredShape: yPred, loss: loss)
        case .instance(let m): return m
        case .function(let name, let f): return MeanMetricWrapper(name: name, f)
        }
    }
}

/// Everything `compile` fixed, plus metrics resolved from the first data.
final class CompiledState {
    let optimizer: Optimizer
    /// One per output (or one for all); nil for an output trained on no loss (Keras's
    /// `loss=[None, "mse"]`), which needs no target.
    let losses: [Loss?]
    let lossWeights: [Float]
    let metricSpecs: [[MetricSpec]]
    var metrics: [[Metric]]? = nil
    let lossTracker = Mean(name: "loss")
    /// Each output's loss figure (`<output>_loss`), kept as Keras keeps them when more than one
    /// output has a loss; nil for the others.
    var outputLossTrackers: [Mean?] = []
    /// The metrics that traced calls update (Model+TracedMetrics.swift), logged after the
    /// compiled ones (a same name replaces a compiled figure, as a later metric of Keras's
    /// `model.metrics` replaces an earlier one in the logs).
    var tracedMetrics: [TracedMetric] = []
    /// The model's traced layers, found at the first step.
    var tracedMetricLayers: [CallbackLayer]?
    /// The per-class values at the end of the last evaluation.
    var perClassResults: [String: [Double]] = [:]
    let specs: (optimizer: OptimizerSpec, loss: [LossSpec?], metrics: [[MetricSpec]], lossWeights: [Float]?)
    /// Whether training steps may run a ``StepPlan`` (tests compare with the general step).
    var usesStepPlans = true
    /// The step plans made so far, by batch size.
    @exclusivity(unchecked) var stepPlans: [StepPlan] = []
    /// The layers for which no plan can be made (their loss or weights do not fit one).
    @exclusivity(unchecked) var planRejectedLayers: [Layer]?
    /// Whether a fit, evaluate or train/test-on-batch ran since compile: Keras builds its
    /// compiled loss and metrics at the first, and a first `fit` takes one batch of its data
    /// for that (drawing one shuffled order, which it then drops).
    var ranSinceCompile = false

    init(optimizer: Optimizer, losses: [Loss?], lossWeights: [Float], metricSpecs: [[MetricSpec]],
         specs: (OptimizerSpec, [LossSpec?], [[MetricSpec]], [Float]?)) {
        self.optimizer = optimizer
        self.losses = losses
        self.lossWeights = lossWeights
        self.metricSpecs = metricSpecs
        self.specs = specs
    }

    /// The compile arguments given as dicts keyed by output name (`loss={"a": None, "b": "mse"}`)
    /// or as lists with None entries (`metrics=[None, ["mae"]]`), by argument: the compile config
    /// writes them back as given, as Keras's does.
    var keyedByOutput: [(String, JSON)] = []

    /// Keras's `weighted_metrics`: updated with the sample weights (`metrics` are not).
    var weightedMetricSpecs: [[MetricSpec]] = []
    /// The resolved weighted metrics.
    private(set) var weighted: Set<ObjectIdentifier> = []

    func isWeighted(_ m: Metric) -> Bool { weighted.contains(ObjectIdentifier(m)) }

    /// Resolves names such as `"accuracy"` once the shapes of targets and predictions are known.
    /// A name met again is logged numbered, a weighted metric's as `weighted_<name>`, as Keras does.
    func resolveMetrics(yTrue: [[Int]], yPred: [[Int]], outputNames: [String]) throws -> [[Metric]] {
        if let metrics { return metrics }
        var out: [[Metric]] = Array(repeating: [], count: Swift.max(metricSpecs.count, weightedMetricSpecs.count))
        var counters: [String: Int] = [:]
        func prefixed(_ i: Int, _ name: String) -> String { outputNames.count > 1 ? "\(outputNames[i])_\(name)" : name }
        for (weighting, lists) in [(false, metricSpecs), (true, weightedMetricSpecs)] {
            for (i, specs) in lists.enumerated() {
                guard i < yTrue.count, i < yPred.count, outputNames.count <= 1 || i < outputNames.count else {
                    throw KerasError.invalidArgument("compile: metrics for output \(i), but the model has \(yPred.count) output(s)")
                }
                for s in specs {
                    let m = try s.resolve(yTrue: yTrue[i], yPred: yPred[i], loss: loss(of: i))
                    // Keras's CompileMetrics.result: a name met again is logged numbered (`mae_1`,
                    // `mae_2`), a weighted metric's first as `weighted_<name>`.
                    var name = prefixed(i, m.name)
                    if let index = counters[name] {
                        if weighting {
                            name = prefixed(i, "weighted_\(m.name)")
                            if let again = counters[name] {
                                counters[name] = again + 1
                                name = "\(name)_\(again)"
                            } else {
                                counters[name] = 1
                            }
                        } else {
                            counters[name] = index + 1
                            name = "\(name)_\(index)"
                        }
                    } else {
                        counters[name] = 1
                    }
                    m.name = name
                    if weighting { weighted.insert(ObjectIdentifier(m)) }
                    out[i].append(m)
                }
            }
        }
        let withLoss = outputNames.indices.filter { loss(of: $0) != nil }
        if outputNames.count > 1, withLoss.count > 1 {
            outputLossTrackers = outputNames.indices.map { withLoss.contains($0) ? Mean(name: "\(outputNames[$0])_loss") : nil }
        }
        metrics = out
        return out
    }

    /// The loss of output `i` (one loss given for all outputs is each one's).
    func loss(of i: Int) -> Loss? {
        losses.isEmpty ? nil : losses[Swift.min(i, losses.count - 1)]
    }

    /// Throws where a metric's own code fails (a plugin metric's reset or result callback).
    func resetMetrics() throws {
        lossTracker.reset()
        outputLossTrackers.forEach { $0?.reset() }
        for list in metrics ?? [] { for m in list { try m.reset() } }
        for m in tracedMetrics { try m.reset() }
    }

    /// Current figures: loss, per-output losses, then metrics.
    func logs() throws -> Logs {
        var l: Logs = ["loss": Double(lossTracker.result())]
        for case let t? in outputLossTrackers { l[t.name] = Double(t.result()) }
        for list in metrics ?? [] { for m in list { for f in try m.figures() { l[f.key] = Double(f.value) } } }
        for m in tracedMetrics { l[m.name] = try m.result() }
        return l
    }

    /// The class values of the figures reported per class (F1Score(average=None)), whose logs
    /// carry their mean.
    func perClassLogs() throws -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for list in metrics ?? [] {
            for m in list { for f in try m.figures() { if let values = f.perClass { out[f.key] = values.map(Double.init) } } }
        }
        return out
    }

    /// Figures in Keras's order (for `evaluate`, Keras's `_flatten_metrics_in_order`): loss,
    /// per-output losses, metrics in compile order, then the keys of dict results, sorted.
    func orderedResults() throws -> [(String, Double)] {
        var r: [(String, Double)] = [("loss", Double(lossTracker.result()))]
        var merged: [(String, Double)] = []
        for case let t? in outputLossTrackers { r.append((t.name, Double(t.result()))) }
        for list in metrics ?? [] {
            for m in list {
                for f in try m.figures() {
                    if f.key == m.name { r.append((f.key, Double(f.value))) } else { merged.append((f.key, Double(f.value))) }
                }
            }
        }
        var all = r + merged.sorted { $0.0 < $1.0 }
        for m in tracedMetrics {
            let value = try m.result()
            if let i = all.firstIndex(where: { $0.0 == m.name }) { all[i].1 = value } else { all.append((m.name, value)) }
        }
        return all
    }
}

/// One of `model.metrics` as Keras lists it after fit or evaluate: the loss tracker, each
/// output's loss tracker, then each compiled metric, with the variables of its state.
public struct CompiledMetricState: Sendable {
    public let name: String
    public let className: String
    public let variables: [MetricVariable]
    /// The loss tracker or an output's (Keras's `Mean` metrics before `compile_metrics`).
    public var isLossTracker = false
}

extension Model {
    /// The state of the compiled metrics as the last fit, evaluate or train/test step left it
    /// (Keras: the values of `model.metrics[i].variables`); empty before compile. The compiled
    /// metrics appear once the first batch resolved them.
    public var compiledMetricStates: [CompiledMetricState] {
        guard let c = compiled else { return [] }
        var out: [CompiledMetricState] = []
        for t in [c.lossTracker] + c.outputLossTrackers.compactMap({ $0 }) {
            out.append(CompiledMetricState(name: t.name, className: "Mean", variables: t.stateVariables, isLossTracker: true))
        }
        for list in c.metrics ?? [] {
            for m in list { out.append(CompiledMetricState(name: m.name, className: m.className, variables: m.stateVariables)) }
        }
        return out
    }
}
