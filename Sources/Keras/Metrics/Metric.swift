/// A stateful measure accumulated over batches; the epoch figure is over every sample seen since
/// the last reset, as Keras reports it. Keras: `keras.metrics.Metric`.
open class Metric: @unchecked Sendable {
    /// The name shown in logs and history (`accuracy`, `val_loss` comes from `loss`).
    public var name: String

    public init(name: String) { self.name = name }

    open var className: String { String(describing: type(of: self)) }

    /// Adds a batch.
    open func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {}
    /// The current figure.
    open func result() -> Float { 0 }
    /// Forgets everything accumulated.
    open func reset() {}

    open var config: JSON { ["name": .string(name), "dtype": "float32"] }
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

    open override func result() -> Float { count == 0 ? 0 : Float(total / count) }
    open override func reset() { total = 0; count = 0 }
}

/// A metric from a function giving per-sample values, averaged over samples.
/// Keras: `MeanMetricWrapper`; how plain functions like `mean_pred` become metrics.
open class MeanMetricWrapper: Mean, @unchecked Sendable {
    let fn: (Tensor, Tensor) throws -> Tensor

    public init(name: String, _ fn: @escaping (Tensor, Tensor) throws -> Tensor) {
        self.fn = fn
        super.init(name: name)
    }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        add(try fn(yTrue, yPred), sampleWeight: sampleWeight)
    }
}

public final class BinaryAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public let threshold: Float
    public init(name: String = "binary_accuracy", threshold: Float = 0.5) {
        self.threshold = threshold
        super.init(name: name) { yt, yp in try binaryAccuracy(yt, yp, threshold: threshold) }
    }
}

public final class CategoricalAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "categorical_accuracy") { super.init(name: name, categoricalAccuracy) }
}

public final class SparseCategoricalAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "sparse_categorical_accuracy") { super.init(name: name, sparseCategoricalAccuracy) }
}

/// 1 where `yPred > threshold` equals `yTrue`, averaged over the last axis.
public func binaryAccuracy(_ yTrue: Tensor, _ yPred: Tensor, threshold: Float = 0.5) throws -> Tensor {
    let t = try checkSameShape("binary_accuracy", yTrue, yPred)
    let hits = Kernels.zipMap(t, yPred, shape: yPred.shape) { ($1 > threshold ? 1 : 0) == ($0 > threshold ? 1 : 0) ? 1 : 0 }
    return try Ops.mean(hits, axis: -1)
}

/// 1 where the arg-max of `yPred` equals the arg-max of `yTrue`.
public func categoricalAccuracy(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
    let t = try checkSameShape("categorical_accuracy", yTrue, yPred)
    return try Ops.equal(Ops.argmax(t), Ops.argmax(yPred))
}

/// 1 where the arg-max of `yPred` equals the integer label.
public func sparseCategoricalAccuracy(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
    let predicted = try Ops.argmax(yPred)
    guard yTrue.count == predicted.count else {
        throw KerasError.shapeMismatch("sparse_categorical_accuracy: \(yTrue.count) labels for predictions of shape \(yPred.shape)")
    }
    return try Ops.equal(yTrue.detached.viewing(predicted.shape), predicted)
}

extension Metric {
    /// Resolves a metric name the way Keras's `compile` does; `"accuracy"` becomes binary,
    /// categorical or sparse categorical accuracy from the shapes of targets and predictions.
    public static func named(_ name: String, yTrueShape: [Int], yPredShape: [Int], loss: Loss?) throws -> Metric {
        if case .metric(let make)? = ObjectRegistry.lookupCustom(.metric, name) { return try make(.object([])) }
        switch name {
        case "accuracy", "acc":
            let binary = yPredShape.last == 1 || loss is BinaryCrossentropy
            let sparse = yTrueShape.count < yPredShape.count || (yTrueShape.last == 1 && !binary)
            if binary { return BinaryAccuracy(name: name == "acc" ? "acc" : "accuracy") }
            if sparse { return SparseCategoricalAccuracy(name: name == "acc" ? "acc" : "accuracy") }
            return CategoricalAccuracy(name: name == "acc" ? "acc" : "accuracy")
        case "binary_accuracy": return BinaryAccuracy()
        case "categorical_accuracy": return CategoricalAccuracy()
        case "sparse_categorical_accuracy": return SparseCategoricalAccuracy()
        default:
            if let make = Metric.builtins[name] { return make() }
            if let l = try? Loss.named(name) {
                return MeanMetricWrapper(name: name) { yt, yp in try l.perSample(yt, yp) }
            }
            throw KerasError.unknownName("Unknown metric '\(name)'")
        }
    }

    nonisolated(unsafe) static var builtins: [String: () -> Metric] = [:]
}
