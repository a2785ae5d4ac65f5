/// A stateful measure accumulated over batches; the epoch figure is over every sample seen since
/// the last reset, as Keras reports it. Keras: `keras.metrics.Metric`.
///
/// Subclass it for a custom stateful metric: accumulate in ``update(_:_:sampleWeight:)``, report
/// in ``result()``, forget in ``reset()``.
open class Metric: @unchecked Sendable {
    /// Whether a larger figure is better; monitors (EarlyStopping, ReduceLROnPlateau) use it in
    /// `auto` mode. Keras: the metric's `_direction`.
    public enum Direction: String, Sendable { case up, down }

    /// The name shown in logs and history (`accuracy`, `val_loss` comes from `loss`).
    public var name: String

    public init(name: String) { self.name = name }

    /// The Keras class name (`AUC`, `MeanSquaredError`).
    open var className: String { String(describing: type(of: self)) }
    /// The name Keras writes this metric under when it is a function, not a Metric class (a
    /// compile config's `{"class_name": "function", "config": name}`); nil for a class.
    open var functionName: String? { nil }

    /// Up for accuracies, AUC, precision...; down for errors and losses; nil when unknown.
    open var direction: Direction? { nil }

    /// Adds a batch.
    open func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {}
    /// The current figure. Throws only where it runs code of its own (a plugin metric's
    /// `result` callback); the built-in metrics do not throw.
    open func result() throws -> Float { 0 }
    /// Every value of the current figure: one for most metrics, one per class for
    /// `F1Score(average: nil)`.
    open func resultValues() throws -> [Float] { [try result()] }
    /// Whether Keras reports ``resultValues()`` as the metric's value (an array in logs and
    /// results) rather than one number; the logs here carry the mean.
    open var reportsPerClass: Bool { false }
    /// Forgets everything accumulated (throws as ``result()`` does).
    open func reset() throws {}

    /// The state Keras keeps in the metric's variables (`metric.variables`: Mean's `total` and
    /// `count`, AUC's `true_positives`, ...), in Keras's order, with their current values.
    /// Empty for a metric whose state Keras makes at the first update (R2Score's, F1Score's)
    /// before one, and for a plugin metric.
    open var stateVariables: [MetricVariable] { [] }

    /// Sets the state from values of ``stateVariables`` by name (row-major), as Keras's
    /// `variable.assign` on a metric's variables and `stateless_result(metric_variables)` do;
    /// the names must be those ``stateVariables`` lists (for a metric that makes them at its
    /// first update, those it would make). Throws for a metric that keeps no such state.
    open func assignStateVariables(_ values: [String: [Double]]) throws {
        throw KerasError.invalidArgument("\(className) '\(name)': its state cannot be assigned (it keeps no variables)")
    }

    /// The values given for the state variable `variable`, `count` of them (nil: any number).
    public func assignedValues(_ values: [String: [Double]], _ variable: String, count: Int?) throws -> [Double] {
        guard let v = values[variable] else {
            throw KerasError.invalidArgument("\(className) '\(name)': no value given for its variable '\(variable)' (given: \(values.keys.sorted()))")
        }
        if let count, v.count != count {
            throw KerasError.shapeMismatch("\(className) '\(name)': variable '\(variable)' holds \(count) values, \(v.count) were given")
        }
        return v
    }

    /// What the logs carry for the metric: its name with ``result()`` (and, when it
    /// ``reportsPerClass``, each class's value); a metric whose result is a dict (a plugin's)
    /// lists each key of the dict instead, as Keras merges a dict result into the logs.
    open func figures() throws -> [MetricFigure] {
        [MetricFigure(key: name, value: try result(), perClass: reportsPerClass ? try resultValues() : nil)]
    }

    /// The Keras config (`get_config()`), keys in Keras's order.
    open var config: JSON { ["name": .string(name), "dtype": "float32"] }

    /// Keras's metric classes whose `name` defaults to None: Keras names each instance made
    /// without one per process (`auc`, `auc_1`, ...), as its base class does; the others have a
    /// fixed default (`Mean(name="mean")`). The catalogue marks them (`"auto_name": true`).
    public static let kerasNumbersNames: Set<String> = [
        "AUC", "Precision", "Recall", "TruePositives", "TrueNegatives", "FalsePositives", "FalseNegatives",
        "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
        "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
    ]

    /// The `module` of the serialized form: `keras.metrics` for Keras's classes, null for a
    /// custom class (Keras writes a registered class's module as null).
    open var module: String? { "keras.metrics" }

    /// The `registered_name` of the serialized form (`"Package>Name"` for a registered class).
    open var registeredName: String? { ObjectRegistry.registeredName(of: className, .metric) }

    /// `{"module", "class_name", "config", "registered_name"}`, as Keras's compile config lists
    /// the metric.
    public var serialized: JSON {
        ["module": module.map { .string($0) } ?? .null, "class_name": .string(className), "config": config,
         "registered_name": registeredName.map { .string($0) } ?? .null]
    }
}

/// One figure a metric logs: its key, the value the logs carry, and the class values of a figure
/// reported per class (`F1Score(average=None)`), whose logged value is their mean.
public struct MetricFigure: Sendable {
    public var key: String
    public var value: Float
    public var perClass: [Float]?

    public init(key: String, value: Float, perClass: [Float]? = nil) {
        self.key = key
        self.value = value
        self.perClass = perClass
    }
}

/// One variable of a metric's state: Keras's name (`total`, `true_positives`), shape, dtype
/// (`float32`, or `int32` for the IoU confusion matrix) and row-major values.
public struct MetricVariable: Sendable {
    public let name: String
    public let shape: [Int]
    public let dtype: String
    public let values: [Double]

    public init(_ name: String, shape: [Int] = [], dtype: String = "float32", _ values: [Double]) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    /// `{"name": ..., "shape": [...], "dtype": ..., "value": [...]}` (non-finite values as null).
    public var json: JSON {
        ["name": .string(name), "shape": .array(shape.map { .int($0) }), "dtype": .string(dtype),
         "value": .array(values.map { .finiteOrNull($0) })]
    }
}

/// A weighted running mean. Keras: `keras.metrics.Mean`.
open class Mean: Metric, @unchecked Sendable {
    var total: Double = 0
    var count: Double = 0

    public override init(name: String = "mean") { super.init(name: name) }

    /// Adds values (weighted per row by `sampleWeight` when given).
    public func add(_ values: Tensor, sampleWeight: Tensor? = nil) {
        let n = values.count
        if let w = sampleWeight, w.count > 0 {
            let per = Swift.max(1, n / w.count)
            for i in 0..<n {
                let wi = Double(w.data[Swift.min(i / per, w.count - 1)])
                total += Double(values.data[i]) * wi
                count += wi
            }
        } else {
            for i in 0..<n { total += Double(values.data[i]) }
            count += Double(n)
        }
    }

    /// Adds one value with a weight (the batch loss weighted by its sample count).
    public func add(_ value: Float, weight: Double = 1) {
        total += Double(value) * weight
        count += weight
    }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        add(yPred, sampleWeight: sampleWeight)
    }

    open override func result() -> Float { count == 0 ? 0 : Float(total / count) }
    open override func reset() { total = 0; count = 0 }
    open override var stateVariables: [MetricVariable] {
        [MetricVariable("total", [total]), MetricVariable("count", [count])]
    }
    open override func assignStateVariables(_ values: [String: [Double]]) throws {
        let t = try assignedValues(values, "total", count: 1), c = try assignedValues(values, "count", count: 1)
        total = t[0]; count = c[0]
    }
}

/// A running sum. Keras: `keras.metrics.Sum`.
open class Sum: Metric, @unchecked Sendable {
    var total: Double = 0
    public override init(name: String = "sum") { super.init(name: name) }
    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let n = yPred.count
        let w = sampleWeight
        let per = Swift.max(1, n / Swift.max(w?.count ?? 1, 1))
        for i in 0..<n {
            let wi = w.map { Double($0.data[Swift.min(i / per, $0.count - 1)]) } ?? 1
            total += Double(yPred.data[i]) * wi
        }
    }
    open override func result() -> Float { Float(total) }
    open override func reset() { total = 0 }
    open override var stateVariables: [MetricVariable] { [MetricVariable("total", [total])] }
    open override func assignStateVariables(_ values: [String: [Double]]) throws {
        total = try assignedValues(values, "total", count: 1)[0]
    }
}

/// A metric from a function giving per-sample values, averaged over samples.
/// Keras: `MeanMetricWrapper`; how plain functions like `mean_pred` become metrics.
///
/// ```swift
/// let meanPred = MeanMetricWrapper(name: "mean_pred") { _, yPred in try Ops.mean(yPred, axis: -1) }
/// try model.compile(loss: "mse", metrics: ["accuracy", .instance(meanPred)])
/// // or: metrics: [.function("mean_pred") { _, yPred in try Ops.mean(yPred) }]
/// ```
open class MeanMetricWrapper: Mean, @unchecked Sendable {
    let fn: (Tensor, Tensor) throws -> Tensor
    let fnDirection: Direction?

    public init(name: String, direction: Direction? = nil, _ fn: @escaping (Tensor, Tensor) throws -> Tensor) {
        self.fn = fn
        self.fnDirection = direction
        super.init(name: name)
    }

    open override var direction: Direction? { fnDirection }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let values: Tensor
        do {
            values = try fn(yTrue, yPred)
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError.callbackFailed("Metric '\(name)': the metric function failed: \(error)")
        }
        if let w = sampleWeight, values.count > 0, w.count > 0, values.count % w.count != 0, w.count % values.count != 0 {
            throw KerasError.shapeMismatch("Metric '\(name)': \(w.count) sample weights for \(values.count) values")
        }
        add(values, sampleWeight: sampleWeight)
    }
}
