/// The reduction axes of ``Dice`` and ``Tversky``: none (every axis, one value for the batch),
/// one axis or a list, kept as given for the config.
public struct OverlapAxes: Equatable, Sendable {
    /// nil: every axis.
    public let axes: [Int]?
    let asList: Bool

    public init(_ axes: [Int]?) { self.init(axes: axes, asList: (axes?.count ?? 0) != 1) }
    public init(_ axis: Int) { self.init(axes: [axis], asList: false) }
    private init(axes: [Int]?, asList: Bool) { self.axes = axes; self.asList = asList }

    init(config: JSON?, owner: String) throws {
        guard let j = config, !j.isNull else { self.init(nil); return }
        if let i = j.intValue { self.init(i); return }
        guard let list = j.arrayValue, let ints = Optional(list.compactMap(\.intValue)), ints.count == list.count else {
            throw KerasError.invalidArgument("\(owner)(axis: \(j)): axis must be null, an integer or a list of integers")
        }
        self.init(axes: ints, asList: true)
    }

    var config: JSON {
        guard let axes else { return .null }
        return asList ? .array(axes.map { .int($0) }) : .int(axes[0])
    }

    func sum(_ x: Tensor) throws -> Tensor { try Ops.sum(x, axes: axes) }
}

/// The soft overlap losses: `1 - overlap(y, ŷ)` summed over `axis`.
public class OverlapLoss: Loss, @unchecked Sendable {
    public let axis: OverlapAxes

    init(axis: OverlapAxes, reduction: Reduction, name: String) {
        self.axis = axis
        super.init(name: name, reduction: reduction)
    }

    /// `1 - score(intersection, Σ y (1 - ŷ), Σ (1 - y) ŷ, Σ y, Σ ŷ)`.
    func overlap(_ yTrue: Tensor, _ yPred: Tensor,
                 _ score: (_ tp: Tensor, _ t: Tensor, _ p: Tensor) throws -> Tensor) throws -> Tensor {
        let (t, p) = try LossReduction.prepare(yTrue, yPred)
        guard Kernels.broadcastShape(t.shape, p.shape) != nil else {
            throw KerasError.shapeMismatch("\(name): targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
        }
        return 1 - (try score(axis.sum(t * p), t, p))
    }

    /// The subclass's config entries, which Keras writes before `axis`.
    var arguments: [(String, JSON)] { [] }

    public override var config: JSON {
        var c = super.config
        for (k, v) in arguments { c.set(k, v) }
        c.set("axis", axis.config)
        return c
    }
}

/// `1 - 2 Σ y ŷ / (Σ y + Σ ŷ + ε)`. Keras: `Dice(reduction=..., name="dice", axis=None)` / `"dice"`.
public final class Dice: OverlapLoss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "dice", axis: OverlapAxes = OverlapAxes(nil)) {
        super.init(axis: axis, reduction: reduction, name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Dice", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let axis = try OverlapAxes(config: a.raw("axis"), owner: "Dice")
        try a.finish()
        self.init(reduction: reduction, name: name ?? "dice", axis: axis)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        try overlap(yTrue, yPred) { tp, t, p in
            try Ops.divide(tp * 2, try axis.sum(t) + axis.sum(p) + kerasEpsilon)
        }
    }
}

/// `1 - TP / (TP + alpha FP + beta FN + ε)` with soft counts.
/// Keras: `Tversky(alpha=0.5, beta=0.5, reduction=..., name="tversky", axis=None)` / `"tversky"`.
public final class Tversky: OverlapLoss, @unchecked Sendable {
    public let alpha: Double
    public let beta: Double

    public init(alpha: Double = 0.5, beta: Double = 0.5, reduction: Reduction = .sumOverBatchSize,
                name: String = "tversky", axis: OverlapAxes = OverlapAxes(nil)) {
        self.alpha = alpha
        self.beta = beta
        super.init(axis: axis, reduction: reduction, name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Tversky", config)
        let (reduction, name) = try lossBaseArguments(&a)
        let alpha = try a.double("alpha", default: 0.5), beta = try a.double("beta", default: 0.5)
        let axis = try OverlapAxes(config: a.raw("axis"), owner: "Tversky")
        try a.finish()
        self.init(alpha: alpha, beta: beta, reduction: reduction, name: name ?? "tversky", axis: axis)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        try overlap(yTrue, yPred) { tp, t, p in
            let fp = try axis.sum(t * (1 - p)), fn = try axis.sum(p * (1 - t))
            return try Ops.divide(tp, try tp + fp * Float(alpha) + fn * Float(beta) + kerasEpsilon)
        }
    }

    override var arguments: [(String, JSON)] { [("alpha", .double(alpha)), ("beta", .double(beta))] }
}
