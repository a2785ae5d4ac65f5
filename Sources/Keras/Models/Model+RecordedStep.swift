/// Keras's gradient-tape `train_step` (the guide's `with tape: y_pred = self(x, training=True);
/// loss = self.compute_loss(y=y, y_pred=y_pred)`, then `optimizer.apply(tape.gradient(...))`)
/// as two halves of one training step: ``recordTrainingForward(_:)`` is the block's call, the
/// forward pass in training mode recorded on a tape, its outputs handed back (the block's
/// `y_pred`); ``trainRecordedStep(id:ys:sampleWeight:resetMetrics:)`` is the optimizer's apply,
/// the loss of those same outputs, its gradients through that same forward and the update. One
/// forward per batch, as Keras's: Dropout draws and BatchNormalization's statistics move once,
/// and the gradients are those of the outputs the caller saw.

/// A training forward pass kept for the step that finishes it.
final class RecordedForward {
    let id: Int
    let xs: [Tensor]
    let preds: [Tensor]
    let masks: [Tensor?]?

    init(id: Int, xs: [Tensor], preds: [Tensor], masks: [Tensor?]?) {
        self.id = id
        self.xs = xs
        self.preds = preds
        self.masks = masks
    }
}

extension Model {
    /// The forward pass of a training step on all of `xs`, in training mode and recorded for
    /// ``trainRecordedStep(id:ys:sampleWeight:resetMetrics:)`` (a later call replaces it): its
    /// outputs with their Keras masks (nil when none carries one), the activity penalties and
    /// `add_loss` values it collected (as ``callCollectingLosses(_:training:)`` lists them) and
    /// the id the step names it by.
    public func recordTrainingForward(_ xs: [Tensor]) throws -> (outputs: [Tensor], masks: [Tensor?]?, losses: [LayerLoss], id: Int) {
        try checkInputs(xs, "call")
        try ensureBuilt(for: xs)
        fitState.recorded = nil
        let tape = fitState.recordingTape
        tape.reset()
        clearAllLosses()
        let (preds, masks) = try tape.record { try forward(xs, masks: nil, training: true) }
        fitState.recordedCount += 1
        let id = fitState.recordedCount
        fitState.recorded = RecordedForward(id: id, xs: xs, preds: preds, masks: masks)
        return (preds.map(\.detached), masks?.map { $0?.detached }, collectedCallLosses(), id)
    }

    /// The training step whose forward pass ``recordTrainingForward(_:)`` recorded as `id`: the
    /// total loss of its outputs against `ys` (penalties and added losses included, as every
    /// step's), the optimizer's update along its gradients, the metrics (running on from the
    /// previous step unless `resetMetrics`). Returns the figures after the step as
    /// ``trainStepContinuing(_:_:sampleWeight:resetMetrics:)`` does.
    public func trainRecordedStep(id: Int, ys: [Tensor], sampleWeight sw: Tensor?,
                                  resetMetrics: Bool) throws -> (results: [(String, Double)], perClass: [String: [Double]]) {
        let c = try requireCompiled("training the model")
        guard let step = fitState.recorded, step.id == id else {
            throw KerasError.invalidState("Model '\(name)': the forward pass \(id) of this training step is not the model's last training call (a later call, or a step that took it, replaced it); call the model once in the tape's block before applying its gradients")
        }
        fitState.recorded = nil
        try checkBatch(step.xs, ys, sw)
        if resetMetrics { try c.resetMetrics() }
        let tape = fitState.recordingTape
        defer { tape.reset() }
        let (total, perOutput) = try tape.record { try totalLoss(ys, step.preds, step.masks, sw, c) }
        // The variables the forward read were watched as it read them (the tape's own rule).
        try descend(total, tape, trainableWeights, c)
        let value = Double(total.scalar ?? .nan)
        try updateMetrics(ys, step.preds, sw, c, total: value, perOutput: perOutput,
                          batch: step.xs[0].shape[0], masks: step.masks)
        try updateTracedMetrics(c)
        return (try c.orderedResults(), try c.perClassLogs())
    }
}
