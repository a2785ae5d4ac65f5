/// Keras's `model(x)` called with `training=None`: a functional model's layer calls recorded with
/// a `training=` argument (`base(x, training=False)`) run with it. Keras's `Functional.call` passes
/// its own `training` to each layer only when it is not None, so fit, evaluate, predict and
/// `model(x, training=True)` override the recorded flags, and a direct `model(x)` keeps them.
extension Model {
    /// The outputs (and masks) of `xs` with `training=None`.
    public func forwardWithRecordedTraining(_ xs: [Tensor], masks: [Tensor?]? = nil) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        guard recordsTraining else { return try forward(xs, masks: masks, training: false) }
        guard let sequential = self as? Sequential else {
            guard xs.count == inputs.count else {
                throw KerasError.invalidArgument("Model '\(name)' expects \(inputs.count) input(s), got \(xs.count)")
            }
            return try runGraph(xs, masks: masks, training: nil)
        }
        // Keras's Sequential passes None on too: only its nested functional models see a flag.
        try sequential.ensureBuilt(for: xs)
        var values = xs, current = masks
        for layer in sequential.layers {
            (values, current) = try layer.callWithRecordedTraining(values, masks: current, nil)
        }
        return (values, current)
    }

    /// Whether a call of this model (or of a model nested in it) records a `training=` argument.
    var recordsTraining: Bool {
        if self is Sequential { return layers.contains { ($0 as? Model)?.recordsTraining == true } }
        return executionOrder.contains { $0.training != nil || ($0.layer as? Model)?.recordsTraining == true }
    }
}

extension Layer {
    /// This layer's call in a graph run with `training=None`: with the flag its call recorded
    /// (layers called inside inherit it), else a nested model keeps its own recorded flags and
    /// any other layer runs in inference.
    func callWithRecordedTraining(_ inputs: [Tensor], masks: [Tensor?]?, _ recorded: Bool?) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        if let recorded {
            return try CallContext.with(training: recorded) { try callWithMasks(inputs, masks: masks, training: recorded) }
        }
        if let model = self as? Model, model.recordsTraining {
            return try model.forwardWithRecordedTraining(inputs, masks: masks)
        }
        return try CallContext.with(training: false) { try callWithMasks(inputs, masks: masks, training: false) }
    }
}
