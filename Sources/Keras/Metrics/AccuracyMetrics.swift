/// How often predictions equal targets exactly. Keras: `keras.metrics.Accuracy`.
public final class Accuracy: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "accuracy") { super.init(name: name, direction: .up, accuracy) }
}

/// How often `yPred > threshold` agrees with the binary target. Keras: `BinaryAccuracy(threshold=0.5)`.
public final class BinaryAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public let threshold: Float
    public init(name: String = "binary_accuracy", threshold: Float = 0.5) {
        self.threshold = threshold
        super.init(name: name, direction: .up) { yt, yp in try binaryAccuracy(yt, yp, threshold: threshold) }
    }
    public override var config: JSON {
        ["name": .string(name), "dtype": "float32", "threshold": .double(Double(threshold))]
    }
}

/// How often the arg-max of the prediction is the arg-max of the one-hot target.
/// Keras: `CategoricalAccuracy`.
public final class CategoricalAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "categorical_accuracy") { super.init(name: name, direction: .up, categoricalAccuracy) }

    /// Unweighted updates of same-shaped targets count the hits in place (no tensors, so a warm
    /// training step allocates nothing); the same figures as ``categoricalAccuracy(_:_:)``.
    public override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        guard sampleWeight == nil, let k = lastAxis(yPred), k > 0, sameShape(yTrue, yPred) else {
            return try super.update(yTrue, yPred, sampleWeight: sampleWeight)
        }
        let targets = yTrue.data
        addArgmaxHits(yPred, classes: k) { r in
            var label: Float = 0
            Kernels.argmax(targets + r * k, into: &label, outer: 1, n: k, inner: 1)
            return label
        }
    }
}

/// How often the arg-max of the prediction is the integer label. Keras: `SparseCategoricalAccuracy`.
public final class SparseCategoricalAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public init(name: String = "sparse_categorical_accuracy") {
        super.init(name: name, direction: .up, sparseCategoricalAccuracy)
    }

    /// Unweighted updates with one label per row count the hits in place (no tensors, so a warm
    /// training step allocates nothing); the same figures as ``sparseCategoricalAccuracy(_:_:)``.
    public override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        guard sampleWeight == nil, let k = lastAxis(yPred), k > 0, yTrue.count == yPred.count / k else {
            return try super.update(yTrue, yPred, sampleWeight: sampleWeight)
        }
        let labels = yTrue.data
        addArgmaxHits(yPred, classes: k) { labels[$0] }
    }
}

/// The length of the last axis, nil for a scalar (by index: in a debug build, `shape.last` and
/// other generic collection calls allocate, and these run in every training step).
private func lastAxis(_ t: Tensor) -> Int? { t.rank > 0 ? t.shape[t.rank - 1] : nil }

/// `a.shape == b.shape`, by index for the same reason.
private func sameShape(_ a: Tensor, _ b: Tensor) -> Bool {
    guard a.rank == b.rank else { return false }
    for i in 0..<a.rank where a.shape[i] != b.shape[i] { return false }
    return true
}

extension Mean {
    /// Adds 1 for each row of `yPred` (`classes` wide) whose arg-max is `label(row)`, else 0:
    /// what adding `Ops.equal(labels, Ops.argmax(yPred))` adds, without making tensors.
    func addArgmaxHits(_ yPred: Tensor, classes k: Int, label: (Int) -> Float) {
        let rows = yPred.count / k
        var predicted: Float = 0
        for r in 0..<rows {
            Kernels.argmax(yPred.data + r * k, into: &predicted, outer: 1, n: k, inner: 1)
            total += label(r) == predicted ? 1 : 0
        }
        count += Double(rows)
    }
}

/// How often the one-hot target is among the `k` largest predictions.
/// Keras: `TopKCategoricalAccuracy(k=5)`.
public final class TopKCategoricalAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public let k: Int
    public init(k: Int = 5, name: String = "top_k_categorical_accuracy") {
        self.k = k
        super.init(name: name, direction: .up) { yt, yp in try topKCategoricalAccuracy(yt, yp, k: k) }
    }
    public override var config: JSON { ["name": .string(name), "dtype": "float32", "k": .int(k)] }
}

/// How often the integer label is among the `k` largest predictions.
/// Keras: `SparseTopKCategoricalAccuracy(k=5)`.
public final class SparseTopKCategoricalAccuracy: MeanMetricWrapper, @unchecked Sendable {
    public let k: Int
    public init(k: Int = 5, name: String = "sparse_top_k_categorical_accuracy") {
        self.k = k
        super.init(name: name, direction: .up) { yt, yp in try sparseTopKCategoricalAccuracy(yt, yp, k: k) }
    }
    public override var config: JSON { ["name": .string(name), "dtype": "float32", "k": .int(k)] }
}

/// 1 where `yPred` equals `yTrue` exactly.
public func accuracy(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
    let t = try checkSameShape("accuracy", yTrue, yPred)
    return Kernels.zipMap(t, yPred, shape: yPred.shape) { $0 == $1 ? 1 : 0 }
}

/// 1 where `yPred > threshold` equals `yTrue > threshold`, averaged over the last axis.
public func binaryAccuracy(_ yTrue: Tensor, _ yPred: Tensor, threshold: Float = 0.5) throws -> Tensor {
    let t = try checkSameShape("binary_accuracy", yTrue, yPred)
    let hits = Kernels.zipMap(t, yPred, shape: yPred.shape) { yt, yp in
        (yp > threshold ? 1 : 0) == yt ? 1 : 0
    }
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

/// 1 where the one-hot target's class is among the `k` largest predictions.
public func topKCategoricalAccuracy(_ yTrue: Tensor, _ yPred: Tensor, k: Int = 5) throws -> Tensor {
    let t = try checkSameShape("top_k_categorical_accuracy", yTrue, yPred)
    return try inTopK(Ops.argmax(t), yPred, k: k, what: "top_k_categorical_accuracy")
}

/// 1 where the integer label is among the `k` largest predictions.
public func sparseTopKCategoricalAccuracy(_ yTrue: Tensor, _ yPred: Tensor, k: Int = 5) throws -> Tensor {
    try inTopK(yTrue, yPred, k: k, what: "sparse_top_k_categorical_accuracy")
}

/// Keras's `in_top_k`: the target's rank is one plus the number of strictly larger predictions
/// (ties count in the target's favour); NaN predictions rank last.
func inTopK(_ labels: Tensor, _ yPred: Tensor, k: Int, what: String) throws -> Tensor {
    guard k > 0 else { throw KerasError.invalidArgument("\(what): k must be positive, got \(k)") }
    guard yPred.rank >= 1, let classes = yPred.shape.last, classes > 0 else {
        throw KerasError.shapeMismatch("\(what): predictions need a class axis, got shape \(yPred.shape)")
    }
    let rows = yPred.count / classes
    guard labels.count == rows else {
        throw KerasError.shapeMismatch("\(what): \(labels.count) labels for \(rows) predictions of shape \(yPred.shape)")
    }
    let out = Tensor.uninitialized(Array(yPred.shape.dropLast()))
    let p = yPred.data
    for r in 0..<rows {
        let label = labels.data[r]
        guard label >= 0, label < Float(classes), label == label.rounded() else {
            throw KerasError.invalidData("\(what): label \(label) at row \(r) is not a class index in 0..<\(classes)")
        }
        var target = p[r * classes + Int(label)]
        if target.isNaN { target = -.infinity }
        var larger = 0
        for j in 0..<classes where p[r * classes + j] > target { larger += 1 }
        out.data[r] = larger + 1 <= k ? 1 : 0
    }
    return out
}
