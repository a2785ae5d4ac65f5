#if canImport(Glibc)
import Glibc
#endif

/// Connectionist temporal classification: `-log p(labels | logits)` summed over every alignment
/// of the labels to the time steps, per sample. Labels are integers, zero-padded to
/// `(batch, max_label_length)` (0 is the blank and the padding); predictions are logits
/// `(batch, time, classes)`, normalised here with a log-softmax.
/// Keras: `CTC(reduction="sum_over_batch_size", name="ctc")` / `keras.losses.ctc`.
public final class CTC: Loss, @unchecked Sendable {
    public init(reduction: Reduction = .sumOverBatchSize, name: String = "ctc") {
        super.init(name: name, reduction: reduction)
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        guard yTrue.rank == 2 else {
            throw KerasError.shapeMismatch("\(name): Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in integer format. Received: y_true.shape=\(yTrue.shape)")
        }
        guard yPred.rank == 3 else {
            throw KerasError.shapeMismatch("\(name): Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, num_classes)`. Received: y_pred.shape=\(yPred.shape)")
        }
        return try Ops.ctcLoss(labels: yTrue.detached, logits: yPred)
    }
}

extension Ops {
    /// The ``CTC`` loss's `ops.ctc_loss`: labels that must be class indices, each sample's label
    /// length its count of non-blank labels, every time step used, blank 0 (Keras's `ctc`).
    public static func ctcLoss(labels: Tensor, logits: Tensor) throws -> Tensor {
        guard logits.rank == 3, labels.rank == 2 else {
            throw KerasError.shapeMismatch("ctc: expects labels (batch, labels) and logits (batch, time, classes), got \(labels.shape) and \(logits.shape)")
        }
        let (b, steps, classes) = (logits.shape[0], logits.shape[1], logits.shape[2])
        let n = labels.shape[1]
        var counts = [Float](repeating: 0, count: b)
        for i in 0..<b * n {
            let v = labels.data[i]
            guard v.isFinite, v >= 0, v < Float(classes), v == v.rounded() else {
                throw KerasError.invalidData("ctc: label \(v) (sample \(i / n), position \(i % n)) is not a class index in [0, \(classes))")
            }
            if v != 0 { counts[i / n] += 1 }
        }
        return try ctcLoss(labels: labels, logits: logits, labelLengths: Tensor(shape: [b], scalars: counts),
                           logitLengths: Tensor(shape: [b], repeating: Float(steps)))
    }

    /// Keras's `ops.ctc_loss(target, output, target_length, output_length, mask_index)` as its
    /// JAX backend computes it (optax's recursion over blank and label states, with `-1e5` for
    /// log 0, so impossible alignments give a large finite loss): per sample, the labels before
    /// its `labelLengths` entry and the time steps before its `logitLengths` entry (each clamped
    /// to the tensor's size; a length is truncated to an integer, as Keras's int32 cast); a
    /// label that is no class index emits with log-probability 0 (jax's one-hot row of zeros).
    /// The gradient, to the logits only, is the recursion's reverse-mode derivative, as
    /// `jax.grad` takes it.
    public static func ctcLoss(labels: Tensor, logits: Tensor, labelLengths: Tensor, logitLengths: Tensor,
                               maskIndex: Int = 0) throws -> Tensor {
        guard logits.rank == 3, labels.rank == 2, labels.shape[0] == logits.shape[0] else {
            throw KerasError.shapeMismatch("ctc_loss: expects target (batch, labels) and output (batch, time, classes) of one batch, got \(labels.shape) and \(logits.shape)")
        }
        let (b, steps, classes) = (logits.shape[0], logits.shape[1], logits.shape[2])
        for (name, lengths) in [("target_length", labelLengths), ("output_length", logitLengths)] where lengths.shape != [b] {
            throw KerasError.shapeMismatch("ctc_loss: \(name) must have shape (\(b),) (one length per sample), got \(lengths.shape)")
        }
        guard (0..<classes).contains(maskIndex) else {
            throw KerasError.invalidArgument("ctc_loss: mask_index \(maskIndex) is not a class of \(classes)")
        }
        let n = labels.shape[1]
        let ids = (0..<b * n).map { i -> Int in
            let v = labels.data[i]
            return v.isFinite && v > -1 && v < Float(classes) ? Int(v) : -1
        }
        func clamped(_ v: Float, _ top: Int) -> Int { v.isNaN ? 0 : Int(Swift.min(Swift.max(v, 0), Float(top))) }
        let out = Tensor.uninitialized([b])
        var logProbs = [Float](repeating: 0, count: steps * classes)
        var grads: [[Float]] = []
        let wantsGradient = recording(logits) != nil
        for s in 0..<b {
            let x = UnsafeBufferPointer(start: logits.data + s * steps * classes, count: steps * classes)
            logSoftmaxRows(x, rows: steps, cols: classes, into: &logProbs)
            var run = CTCRecursion(labels: Array(ids[s * n..<(s + 1) * n]), labelLength: clamped(labelLengths.data[s], n),
                                   logProbs: logProbs, steps: clamped(logitLengths.data[s], steps), classes: classes,
                                   blank: maskIndex)
            out.data[s] = run.forward()
            if wantsGradient { grads.append(run.logitGradient()) }
        }
        guard let tape = recording(logits) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor(shape: logits.shape, repeating: 0)
            for s in 0..<b {
                let w = g.data[s]
                for j in 0..<grads[s].count { dx.data[s * steps * classes + j] = w * grads[s][j] }
            }
            t.accumulate(logits, dx)
        }
    }

    /// `x - logsumexp(x)` of each row.
    private static func logSoftmaxRows(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, into out: inout [Float]) {
        for r in 0..<rows {
            var top = -Float.infinity
            for c in 0..<cols { top = Swift.max(top, x[r * cols + c]) }
            var sum: Float = 0
            for c in 0..<cols { sum += expf(x[r * cols + c] - top) }
            let logSum = logf(sum)
            for c in 0..<cols { out[r * cols + c] = (x[r * cols + c] - top) - logSum }
        }
    }
}

/// The CTC recursion of one sample (Keras's JAX `ctc_loss`): `phi[0...N]` (blank states) and
/// `emit[0..<N]` (label states) in log space, stepped through the sample's time steps (past
/// them Keras holds the states, so they end there), kept for the backward pass.
private struct CTCRecursion {
    static let logEpsilon: Float = -1e5
    /// Class indices; -1 for a label that is none (it emits with log-probability 0).
    let labels: [Int]
    let logProbs: [Float]
    /// The time steps used (of the rows of `logProbs`), the classes and the blank's index.
    let steps: Int, classes: Int, blank: Int
    let labelLength: Int
    /// `repeat[n]`: 1 when label n equals label n + 1.
    let repeats: [Float]
    /// The states before each step (index t) and after the last (index steps).
    var phi: [[Float]] = []
    var emit: [[Float]] = []
    var last: [Float] = []

    init(labels: [Int], labelLength: Int, logProbs: [Float], steps: Int, classes: Int, blank: Int) {
        self.labels = labels
        self.labelLength = labelLength
        self.logProbs = logProbs
        self.steps = steps
        self.classes = classes
        self.blank = blank
        repeats = labels.indices.map { $0 + 1 < labels.count && labels[$0] == labels[$0 + 1] ? 1 : 0 }
    }

    /// The log-probability of label `k` at step `t`.
    private func emitted(_ t: Int, _ k: Int) -> Float { labels[k] < 0 ? 0 : logProbs[t * classes + labels[k]] }

    /// jax's `logaddexp`.
    static func lae(_ a: Float, _ b: Float) -> Float {
        let top = Swift.max(a, b)
        return top + log1pf(expf(-Swift.abs(a - b)))
    }

    /// The first update of a step: blank states take the label states before them
    /// (not across a repeated label).
    private func entered(_ p: [Float], _ m: [Float]) -> [Float] {
        var a = p
        for k in 0..<labels.count { a[k + 1] = Self.lae(p[k + 1], m[k] + Self.logEpsilon * repeats[k]) }
        return a
    }

    /// The loss: `-log p`, from the forward recursion.
    mutating func forward() -> Float {
        let nl = labels.count, e = Self.logEpsilon
        var p = [Float](repeating: e, count: nl + 1), m = [Float](repeating: e, count: nl)
        p[0] = 0
        phi = [p]; emit = [m]
        for t in 0..<steps {
            let blank = logProbs[t * classes + self.blank]
            let a = entered(p, m)
            var nextEmit = m, nextPhi = a
            for k in 0..<nl {
                let lp = emitted(t, k)
                nextEmit[k] = Self.lae(a[k] + lp, m[k] + lp)
            }
            for k in 0...nl { nextPhi[k] = a[k] + blank }
            for k in 0..<nl { nextPhi[k + 1] = Self.lae(nextPhi[k + 1], m[k] + blank + e * (1 - repeats[k])) }
            p = nextPhi; m = nextEmit
            phi.append(p); emit.append(m)
        }
        last = p
        for k in 0..<nl { last[k + 1] = Self.lae(p[k + 1], m[k]) }
        return -last[labelLength]
    }

    /// d loss / d logits (row-major `[steps, classes]`), by reverse-mode through ``forward()``.
    func logitGradient() -> [Float] {
        let nl = labels.count, e = Self.logEpsilon
        var gP = [Float](repeating: 0, count: nl + 1), gM = [Float](repeating: 0, count: nl)
        let pT = phi[steps], mT = emit[steps]
        if labelLength == 0 {
            gP[0] = -1
        } else {
            let r = last[labelLength]
            gP[labelLength] = -expf(pT[labelLength] - r)
            gM[labelLength - 1] = -expf(mT[labelLength - 1] - r)
        }
        var gLogProbs = [Float](repeating: 0, count: steps * classes)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let p = phi[t], m = emit[t], nextPhi = phi[t + 1], nextEmit = emit[t + 1]
            let blank = logProbs[t * classes + self.blank]
            let a = entered(p, m)
            var gA = [Float](repeating: 0, count: nl + 1), gPrevP = [Float](repeating: 0, count: nl + 1)
            var gPrevM = [Float](repeating: 0, count: nl)
            var gBlank: Float = 0
            // nextPhi[k + 1] = lae(a[k + 1] + blank, m[k] + blank + e (1 - repeat[k])); nextPhi[0] = a[0] + blank.
            gA[0] = gP[0]
            for k in 0..<nl {
                let r = nextPhi[k + 1], g = gP[k + 1]
                let fromLabel = expf(m[k] + blank + e * (1 - repeats[k]) - r)
                gA[k + 1] = g * expf(a[k + 1] + blank - r)
                gPrevM[k] += g * fromLabel
                gBlank += g * fromLabel
            }
            for k in 0...nl { gBlank += gA[k] }
            // nextEmit[k] = lae(a[k] + lp, m[k] + lp).
            for k in 0..<nl {
                let lp = emitted(t, k), r = nextEmit[k], g = gM[k]
                let w1 = expf(a[k] + lp - r), w2 = expf(m[k] + lp - r)
                gA[k] += g * w1
                gPrevM[k] += g * w2
                if labels[k] >= 0 { gLogProbs[t * classes + labels[k]] += g * (w1 + w2) }
            }
            // a[k + 1] = lae(p[k + 1], m[k] + e repeat[k]); a[0] = p[0].
            gPrevP[0] += gA[0]
            for k in 0..<nl {
                let r = a[k + 1], g = gA[k + 1]
                gPrevP[k + 1] += g * expf(p[k + 1] - r)
                gPrevM[k] += g * expf(m[k] + e * repeats[k] - r)
            }
            gLogProbs[t * classes + self.blank] += gBlank
            gP = gPrevP; gM = gPrevM
        }
        // Through the log-softmax: g - softmax * Σ g, row by row.
        var out = [Float](repeating: 0, count: steps * classes)
        for t in 0..<steps {
            var total: Float = 0
            for c in 0..<classes { total += gLogProbs[t * classes + c] }
            for c in 0..<classes { out[t * classes + c] = gLogProbs[t * classes + c] - expf(logProbs[t * classes + c]) * total }
        }
        return out
    }
}
