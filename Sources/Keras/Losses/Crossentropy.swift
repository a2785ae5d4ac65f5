
/// Keras's clipping constant for probabilities (`keras.config.epsilon()`).
public let kerasEpsilon: Float = 1e-7

/// Checks a label-smoothing amount.
func checkLabelSmoothing(_ owner: String, _ v: Double) throws {
    guard v >= 0, v <= 1 else {
        throw KerasError.invalidArgument("\(owner)(label_smoothing: \(v)): label_smoothing must be in [0, 1]")
    }
}

/// The cross-entropies over probabilities or logits with label smoothing along `axis`:
/// ``CategoricalCrossentropy`` and ``BinaryCrossentropy``, which share their arguments, checks
/// and config and differ in ``perSample(_:_:)``.
/// Keras: `(from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size", name=...)`.
public class SmoothedCrossentropy: Loss, @unchecked Sendable {
    public let fromLogits: Bool
    public let labelSmoothing: Double
    public let axis: Int

    /// Keras's default `name`.
    class var defaultName: String { "crossentropy" }

    public init(fromLogits: Bool = false, labelSmoothing: Double = 0, axis: Int = -1,
                reduction: Reduction = .sumOverBatchSize, name: String? = nil) {
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        self.axis = axis
        super.init(name: name ?? Self.defaultName, reduction: reduction)
    }

    convenience init(config: JSON) throws {
        let owner = String(describing: Self.self)
        var a = try ConfigArguments(owner, config)
        let (reduction, name) = try lossBaseArguments(&a)
        let (fromLogits, smoothing, axis) = try Self.smoothingArguments(&a)
        try a.finish()
        self.init(fromLogits: fromLogits, labelSmoothing: smoothing, axis: axis, reduction: reduction, name: name)
    }

    /// Reads `from_logits`, `label_smoothing` (checked) and `axis`.
    static func smoothingArguments(_ a: inout ConfigArguments) throws -> (fromLogits: Bool, labelSmoothing: Double, axis: Int) {
        let fromLogits = try a.bool("from_logits", default: false)
        let smoothing = try a.double("label_smoothing", default: 0)
        let axis = try a.int("axis") ?? -1
        try checkLabelSmoothing(a.owner, smoothing)
        return (fromLogits, smoothing, axis)
    }

    /// Binary targets (smoothed towards 0.5) and predictions of the same shape.
    func binaryTargets(_ owner: String, _ yTrue: Tensor, _ yPred: Tensor) throws -> (Tensor, Tensor) {
        try checkLabelSmoothing(className, labelSmoothing)
        var (t, p) = try LossReduction.prepare(yTrue, yPred)
        guard t.shape == p.shape else {
            throw KerasError.shapeMismatch("\(owner): targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
        }
        if labelSmoothing > 0 {
            let s = Float(labelSmoothing)
            t = Kernels.map(t) { $0 * (1 - s) + 0.5 * s }
        }
        return (t, p)
    }

    public override var config: JSON {
        var c = super.config
        c.set("from_logits", .bool(fromLogits)); c.set("label_smoothing", .double(labelSmoothing))
        c.set("axis", .int(axis))
        return c
    }
}

/// Cross-entropy between one-hot (or soft) targets and class probabilities (or logits) along
/// `axis`. Keras: `CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1)`.
public final class CategoricalCrossentropy: SmoothedCrossentropy, @unchecked Sendable {
    override class var defaultName: String { "categorical_crossentropy" }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        try checkLabelSmoothing("CategoricalCrossentropy", labelSmoothing)
        var (t, p) = try LossReduction.prepare(yTrue, yPred)
        if labelSmoothing > 0, let k = t.shape.last {
            let s = Float(labelSmoothing)
            t = Kernels.map(t) { $0 * (1 - s) + s / Float(k) }
        }
        return try Ops.categoricalCrossentropy(t, p, fromLogits: fromLogits, axis: axis)
    }
}

/// Cross-entropy with integer class labels; labels equal to `ignoreClass` count for nothing
/// (nor in the mean). Keras: `SparseCategoricalCrossentropy(from_logits=False, ignore_class=None)`.
public final class SparseCategoricalCrossentropy: Loss, @unchecked Sendable {
    public let fromLogits: Bool
    public let ignoreClass: Int?
    public let axis: Int

    public init(fromLogits: Bool = false, ignoreClass: Int? = nil, reduction: Reduction = .sumOverBatchSize,
                axis: Int = -1, name: String = "sparse_categorical_crossentropy") {
        self.fromLogits = fromLogits
        self.ignoreClass = ignoreClass
        self.axis = axis
        super.init(name: name, reduction: reduction)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("SparseCategoricalCrossentropy", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let fromLogits = try a.bool("from_logits", default: false)
        let ignore = try a.int("ignore_class")
        let axis = try a.int("axis") ?? -1
        try a.finish()
        self.init(fromLogits: fromLogits, ignoreClass: ignore, reduction: reduction, axis: axis,
                  name: name ?? "sparse_categorical_crossentropy")
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        try maskedPerSample(yTrue, yPred).values
    }

    public override func maskedPerSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> (values: Tensor, mask: Tensor?) {
        guard yPred.rank >= 1, let k = yPred.shape.last, k > 0 else {
            throw KerasError.shapeMismatch("sparse_categorical_crossentropy: predictions need a class axis, got shape \(yPred.shape)")
        }
        guard axis == -1 || axis == yPred.rank - 1 else {
            throw KerasError.invalidArgument("SparseCategoricalCrossentropy(axis: \(axis)): only the last axis is supported for predictions of shape \(yPred.shape)")
        }
        var labels = yTrue.detached
        if labels.rank == yPred.rank, labels.shape.last == 1 { labels = labels.viewing(Array(labels.shape.dropLast())) }
        let rows = yPred.count / k
        guard labels.count == rows else {
            throw KerasError.shapeMismatch("sparse_categorical_crossentropy: \(labels.count) labels for \(rows) predictions of shape \(yPred.shape)")
        }
        let mask: Tensor? = ignoreClass == nil ? nil : Tensor(shape: Array(yPred.shape.dropLast()), repeating: 1)
        try Self.checkLabels(labels.data, rows: rows, classes: k, ignoreClass: ignoreClass, mask: mask?.data)
        if !fromLogits, let values = Ops.sparseCrossentropy(labels, probabilities: yPred, classes: k, mask: mask) {
            return (values, mask)
        }
        let oneHot = Tensor(shape: yPred.shape, repeating: 0)
        Kernels.oneHot(labels.data, mask: mask.map { UnsafePointer($0.data) }, into: oneHot.data, rows: rows, classes: k)
        let values = try Ops.categoricalCrossentropy(oneHot, yPred, fromLogits: fromLogits)
        return (values, mask)
    }

    /// Throws unless each label is a class index in `0..<k` or `ignoreClass`, whose rows get 0
    /// in `mask`.
    static func checkLabels(_ labels: UnsafePointer<Float>, rows: Int, classes k: Int, ignoreClass: Int?,
                            mask: UnsafeMutablePointer<Float>?) throws {
        for r in 0..<rows {
            let label = labels[r]
            if let ignore = ignoreClass, label == Float(ignore) {
                mask?[r] = 0
                continue
            }
            // An integer test without `rounded()`, a libm call per label on baseline x86-64:
            // a label in 0..<k converts to Int exactly when it is whole.
            guard label >= 0, label < Float(k), label == Float(Int(label)) else {
                throw KerasError.invalidData("sparse_categorical_crossentropy: label \(label) at row \(r) is not a class index in 0..<\(k)")
            }
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("from_logits", .bool(fromLogits)); c.set("ignore_class", .optional(ignoreClass))
        return c
    }
}

/// Cross-entropy for independent binary targets, averaged over `axis`.
/// Keras: `BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1)`.
public final class BinaryCrossentropy: SmoothedCrossentropy, @unchecked Sendable {
    override class var defaultName: String { "binary_crossentropy" }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, p) = try binaryTargets("binary_crossentropy", yTrue, yPred)
        if fromLogits {
            // -t log σ(x) - (1 - t) log σ(-x) = softplus(x) - t x
            return try Ops.mean(Ops.activation(p, .softplus) - t * p, axis: axis)
        }
        let q = Ops.clip(p, kerasEpsilon, 1 - kerasEpsilon)
        let terms = try t * Ops.log(q) + (1 - t) * Ops.log(1 - q)
        return try Ops.mean(-terms, axis: axis)
    }
}
