#if canImport(Glibc)
import Glibc
#endif

/// Keras's clipping constant for probabilities (`keras.config.epsilon()`).
public let kerasEpsilon: Float = 1e-7

/// Cross-entropy between one-hot (or soft) targets and class probabilities.
/// Keras: `CategoricalCrossentropy(from_logits, label_smoothing)`.
public final class CategoricalCrossentropy: Loss, @unchecked Sendable {
    public let fromLogits: Bool
    public let labelSmoothing: Float

    public init(fromLogits: Bool = false, labelSmoothing: Float = 0, reduction: Reduction = .sumOverBatchSize) {
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        super.init(name: "categorical_crossentropy", reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        var t = try checkSameShape(name, yTrue, yPred)
        if labelSmoothing > 0, let k = yPred.shape.last {
            t = Ops.affine(t, scale: 1 - labelSmoothing, offset: labelSmoothing / Float(k))
        }
        return try Ops.categoricalCrossentropy(t, yPred, fromLogits: fromLogits)
    }

    public override var config: JSON {
        var c = super.config
        c.set("from_logits", .bool(fromLogits)); c.set("label_smoothing", .double(Double(labelSmoothing)))
        return c
    }
}

/// Cross-entropy with integer class labels. Keras: `SparseCategoricalCrossentropy`.
public final class SparseCategoricalCrossentropy: Loss, @unchecked Sendable {
    public let fromLogits: Bool

    public init(fromLogits: Bool = false, reduction: Reduction = .sumOverBatchSize) {
        self.fromLogits = fromLogits
        super.init(name: "sparse_categorical_crossentropy", reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        guard let k = yPred.shape.last, yPred.rank >= 1 else {
            throw KerasError.shapeMismatch("sparse_categorical_crossentropy: predictions need a class axis, got shape \(yPred.shape)")
        }
        let rows = yPred.count / Swift.max(k, 1)
        guard yTrue.count == rows else {
            throw KerasError.shapeMismatch("sparse_categorical_crossentropy: \(yTrue.count) labels for \(rows) predictions of shape \(yPred.shape)")
        }
        let oneHot = Tensor(shape: yPred.shape, repeating: 0)
        for r in 0..<rows {
            let label = yTrue.data[r]
            guard label >= 0, label < Float(k), label == label.rounded() else {
                throw KerasError.invalidData("sparse_categorical_crossentropy: label \(label) at row \(r) is not a class index in 0..<\(k)")
            }
            oneHot.data[r * k + Int(label)] = 1
        }
        return try Ops.categoricalCrossentropy(oneHot, yPred, fromLogits: fromLogits)
    }

    public override var config: JSON {
        var c = super.config
        c.set("from_logits", .bool(fromLogits)); c.set("ignore_class", .null)
        return c
    }
}

/// Cross-entropy for independent binary targets. Keras: `BinaryCrossentropy`.
public final class BinaryCrossentropy: Loss, @unchecked Sendable {
    public let fromLogits: Bool
    public let labelSmoothing: Float

    public init(fromLogits: Bool = false, labelSmoothing: Float = 0, reduction: Reduction = .sumOverBatchSize) {
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        super.init(name: "binary_crossentropy", reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        var t = try checkSameShape(name, yTrue, yPred)
        if labelSmoothing > 0 { t = Ops.affine(t, scale: 1 - labelSmoothing, offset: labelSmoothing / 2) }
        if fromLogits {
            // max(x, 0) - x*y + log(1 + exp(-|x|))
            let x = yPred
            let terms = try Ops.maximum(x, Tensor(0)) - x * t + Ops.log1p(Ops.exp(-Ops.abs(x)))
            return try Ops.mean(terms, axis: -1)
        }
        let p = Ops.clip(yPred, kerasEpsilon, 1 - kerasEpsilon)
        let terms = try t * Ops.log(p) + (1 - t) * Ops.log(1 - p)
        return try Ops.mean(-terms, axis: -1)
    }

    public override var config: JSON {
        var c = super.config
        c.set("from_logits", .bool(fromLogits)); c.set("label_smoothing", .double(Double(labelSmoothing)))
        c.set("axis", -1)
        return c
    }
}

extension Ops {
    /// Per-sample categorical cross-entropy over the last axis, as Keras computes it: probabilities
    /// are renormalised and clipped to `[eps, 1 - eps]`. When `yPred` comes straight from a
    /// softmax on the tape, the gradient goes to the logits in one fused step
    /// (`softmax(z) * sum(y) - y`), skipping the softmax Jacobian.
    public static func categoricalCrossentropy(_ yTrue: Tensor, _ yPred: Tensor, fromLogits: Bool = false) throws -> Tensor {
        guard yTrue.shape == yPred.shape, let k = yPred.shape.last else {
            throw KerasError.shapeMismatch("categorical_crossentropy: targets of shape \(yTrue.shape) do not match predictions of shape \(yPred.shape)")
        }
        if fromLogits {
            return try negative(sum(yTrue * logSoftmax(yPred), axis: -1))
        }
        let tape = recording(yPred)
        if let tape, tape.kind(of: yPred) == .softmax, let logits = tape.source(of: yPred) {
            return softmaxCrossentropy(yTrue, probabilities: yPred, logits: logits, classes: k, tape: tape)
        }
        let normalized = try yPred / sum(yPred, axis: -1, keepDims: true)
        let clipped = clip(normalized, kerasEpsilon, 1 - kerasEpsilon)
        return try negative(sum(yTrue * log(clipped), axis: -1))
    }

    /// The fused softmax + cross-entropy node.
    static func softmaxCrossentropy(_ y: Tensor, probabilities p: Tensor, logits: Tensor, classes k: Int,
                                    tape: GradientTape) -> Tensor {
        let rows = p.count / k
        let out = Tensor.uninitialized(Array(p.shape.dropLast()))
        let pp = p.data, py = y.data
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<k {
                let q = Swift.min(Swift.max(pp[r * k + j], kerasEpsilon), 1 - kerasEpsilon)
                s -= py[r * k + j] * logf(q)
            }
            out.data[r] = s
        }
        return tape.record(out) { g, t in
            let dz = Tensor.uninitialized(logits.shape)
            let pd = dz.data, pg = g.data
            for r in 0..<rows {
                var ysum: Float = 0
                for j in 0..<k { ysum += py[r * k + j] }
                let gr = pg[r]
                for j in 0..<k { pd[r * k + j] = gr * (pp[r * k + j] * ysum - py[r * k + j]) }
            }
            t.accumulate(logits, dz)
        }
    }
}
