/// Reads the focal arguments `alpha` and `gamma`, checked.
private func focalArguments(_ a: inout ConfigArguments) throws -> (alpha: Double, gamma: Double) {
    if let list = a.raw("alpha"), list.arrayValue != nil {
        throw KerasError.invalidArgument("\(a.owner)(alpha: \(list)): a per-class list of alphas is not supported; give one number")
    }
    let alpha = try a.double("alpha", default: 0.25), gamma = try a.double("gamma", default: 2.0)
    guard alpha.isFinite, gamma.isFinite, gamma >= 0 else {
        throw KerasError.invalidArgument("\(a.owner)(alpha: \(alpha), gamma: \(gamma)): alpha must be finite and gamma a finite number >= 0")
    }
    return (alpha, gamma)
}

/// Binary cross-entropy scaled by the focal factor `(1 - p_t)^gamma`, optionally weighted by
/// `alpha` for positives and `1 - alpha` for negatives, averaged over `axis`.
/// Keras: `BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25, gamma=2.0,
/// from_logits=False, label_smoothing=0.0, axis=-1)` / `"binary_focal_crossentropy"`.
public final class BinaryFocalCrossentropy: SmoothedCrossentropy, @unchecked Sendable {
    public let applyClassBalancing: Bool
    public let alpha: Double
    public let gamma: Double
    override class var defaultName: String { "binary_focal_crossentropy" }

    public init(applyClassBalancing: Bool = false, alpha: Double = 0.25, gamma: Double = 2.0, fromLogits: Bool = false,
                labelSmoothing: Double = 0, axis: Int = -1, reduction: Reduction = .sumOverBatchSize, name: String? = nil) {
        self.applyClassBalancing = applyClassBalancing
        self.alpha = alpha
        self.gamma = gamma
        super.init(fromLogits: fromLogits, labelSmoothing: labelSmoothing, axis: axis, reduction: reduction, name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("BinaryFocalCrossentropy", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let balancing = try a.bool("apply_class_balancing", default: false)
        let (alpha, gamma) = try focalArguments(&a)
        let (fromLogits, smoothing, axis) = try Self.smoothingArguments(&a)
        try a.finish()
        self.init(applyClassBalancing: balancing, alpha: alpha, gamma: gamma, fromLogits: fromLogits,
                  labelSmoothing: smoothing, axis: axis, reduction: reduction, name: name)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let (t, raw) = try binaryTargets("binary_focal_crossentropy", yTrue, yPred)
        let p = fromLogits ? Ops.sigmoid(raw) : raw
        let q = Ops.clip(p, kerasEpsilon, 1 - kerasEpsilon)
        let bce = try -(t * Ops.log(q) + (1 - t) * Ops.log(1 - q))
        let pT = try t * p + (1 - t) * (1 - p)
        var focal = try Ops.pow(1 - pT, Float(gamma)) * bce
        if applyClassBalancing {
            let a = Float(alpha)
            focal = try focal * Kernels.map(t) { $0 * a + (1 - $0) * (1 - a) }
        }
        return try Ops.mean(focal, axis: axis)
    }

    public override var config: JSON {
        var c = super.config
        c.set("apply_class_balancing", .bool(applyClassBalancing))
        c.set("alpha", .double(alpha)); c.set("gamma", .double(gamma))
        return c
    }
}

/// Categorical cross-entropy scaled by `alpha * (1 - p)^gamma` per class, summed over `axis`;
/// predictions are renormalised to sum to one, as Keras does.
/// Keras: `CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False,
/// label_smoothing=0.0, axis=-1)` / `"categorical_focal_crossentropy"`.
public final class CategoricalFocalCrossentropy: SmoothedCrossentropy, @unchecked Sendable {
    public let alpha: Double
    public let gamma: Double
    override class var defaultName: String { "categorical_focal_crossentropy" }

    public init(alpha: Double = 0.25, gamma: Double = 2.0, fromLogits: Bool = false, labelSmoothing: Double = 0,
                axis: Int = -1, reduction: Reduction = .sumOverBatchSize, name: String? = nil) {
        self.alpha = alpha
        self.gamma = gamma
        super.init(fromLogits: fromLogits, labelSmoothing: labelSmoothing, axis: axis, reduction: reduction, name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("CategoricalFocalCrossentropy", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let (alpha, gamma) = try focalArguments(&a)
        let (fromLogits, smoothing, axis) = try Self.smoothingArguments(&a)
        try a.finish()
        self.init(alpha: alpha, gamma: gamma, fromLogits: fromLogits, labelSmoothing: smoothing, axis: axis,
                  reduction: reduction, name: name)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        var (t, p) = try LossReduction.prepare(yTrue, yPred)
        guard t.shape == p.shape, let k = t.shape.last else {
            throw KerasError.shapeMismatch("categorical_focal_crossentropy: targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
        }
        if labelSmoothing > 0 {
            let s = Float(labelSmoothing)
            t = Kernels.map(t) { $0 * (1 - s) + s / Float(k) }
        }
        if fromLogits { p = try Ops.softmax(p, axis: axis) }
        let normalised = try Ops.divide(p, Ops.sum(p, axis: axis, keepDims: true))
        let q = Ops.clip(normalised, kerasEpsilon, 1 - kerasEpsilon)
        let cce = try -(t * Ops.log(q))
        let focal = try Ops.pow(1 - q, Float(gamma)) * Float(alpha) * cce
        return try Ops.sum(focal, axis: axis)
    }

    public override var config: JSON {
        var c = super.config
        c.set("alpha", .double(alpha)); c.set("gamma", .double(gamma))
        return c
    }
}

/// Generalized cross-entropy with integer labels: `(1 - p_label^q) / q`, robust to noisy labels.
/// Keras: `CategoricalGeneralizedCrossEntropy(q=0.5)` / `"categorical_generalized_cross_entropy"`.
public final class CategoricalGeneralizedCrossEntropy: Loss, @unchecked Sendable {
    public let q: Double

    public init(q: Double = 0.5, reduction: Reduction = .sumOverBatchSize,
                name: String = "categorical_generalized_cross_entropy") throws {
        guard q > 0, q < 1 else {
            throw KerasError.invalidArgument("CategoricalGeneralizedCrossEntropy(q: \(q)): q must be in the interval (0, 1)")
        }
        self.q = q
        super.init(name: name, reduction: reduction)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("CategoricalGeneralizedCrossEntropy", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let q = try a.double("q", default: 0.5)
        try a.finish()
        try self.init(q: q, reduction: reduction, name: name ?? "categorical_generalized_cross_entropy")
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        guard yPred.rank >= 1, let k = yPred.shape.last, k > 0 else {
            throw KerasError.shapeMismatch("categorical_generalized_cross_entropy: predictions need a class axis, got shape \(yPred.shape)")
        }
        let labels = try classLabels("categorical_generalized_cross_entropy", yTrue, classes: k, rows: yPred.count / k)
        let oneHot = Tensor(shape: yPred.shape, repeating: 0)
        Kernels.oneHot(labels.data, mask: nil, into: oneHot.data, rows: labels.count, classes: k)
        let p = try Ops.sum(yPred * oneHot, axis: -1)
        return (1 - Ops.pow(p, Float(q))) * Float(1 / q)
    }

    public override var config: JSON {
        var c = super.config
        c.set("q", .double(q))
        return c
    }
}

/// Integer class labels, one per row of predictions (a trailing axis of 1 dropped), checked.
func classLabels(_ owner: String, _ yTrue: Tensor, classes k: Int, rows: Int) throws -> Tensor {
    var labels = yTrue.detached
    if labels.rank >= 1, labels.shape.last == 1 { labels = labels.viewing(Array(labels.shape.dropLast())) }
    guard labels.count == rows else {
        throw KerasError.shapeMismatch("\(owner): \(labels.count) labels for \(rows) rows of predictions")
    }
    for r in 0..<rows {
        let v = labels.data[r]
        guard v >= 0, v < Float(k), v == v.rounded() else {
            throw KerasError.invalidData("\(owner): label \(v) at row \(r) is not a class index in 0..<\(k)")
        }
    }
    return labels
}
