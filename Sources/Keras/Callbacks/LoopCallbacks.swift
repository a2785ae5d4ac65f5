/// The library's callbacks fired by a training loop the caller writes: a loop that takes one
/// step per batch itself (``Model/trainStepContinuing(_:_:sampleWeight:resetMetrics:)``, or a
/// Python `train_step` override through the C ABI) and calls these hooks with the logs it
/// computed, as Keras's `fit` calls its `CallbackList`. The callbacks act as in `fit`: they set
/// `model.stopTraining`, change the learning rate, restore or save weights, write files, add
/// figures to an epoch's logs, and may ask the loop to resume from a later epoch
/// (BackupAndRestore).
///
/// ```swift
/// let loop = LoopCallbacks(model: model, callbacks: [try EarlyStopping(monitor: "loss")],
///                          params: ["epochs": 10, "steps": 4])
/// let start = try loop.trainBegin() ?? 0
/// for epoch in start..<10 {
///     try loop.callbacks.onEpochBegin(epoch, logs: [:])
///     // ... steps ...
///     var logs: Logs = ["loss": loss]
///     try loop.callbacks.onEpochEnd(epoch, updating: &logs)
///     if model.stopTraining { break }
/// }
/// model.finalizeVariableValues()
/// try loop.trainEnd(logs: logs)
/// ```
public final class LoopCallbacks: @unchecked Sendable {
    /// The callbacks, in order, bound to the model and the loop's parameters.
    public let callbacks: CallbackList
    private let model: Model

    /// `params`: the loop's `epochs`, `steps` and `verbose`, as `fit` gives them. Clears
    /// `model.stopTraining`, as `fit` does before its first hook.
    public init(model: Model, callbacks: [Callback], params: [String: Int] = [:]) {
        self.model = model
        self.callbacks = CallbackList(callbacks, model: model, params: params)
        model.stopTraining = false
    }

    /// Fires `on_train_begin`; returns the epoch a callback asks the loop to start from (Keras's
    /// `model._initial_epoch`, which BackupAndRestore sets after a restore), nil when none does.
    public func trainBegin(logs: Logs = [:]) throws -> Int? {
        try model.beginTraining(callbacks, logs: logs)
    }

    /// Fires `on_train_end`. `fit` first calls ``Model/finalizeVariableValues()`` (when epochs > 0):
    /// a loop that mirrors it does the same.
    public func trainEnd(logs: Logs) throws {
        try callbacks.onTrainEnd(logs: logs)
    }
}

extension Model {
    /// `on_train_begin` of a training loop's callbacks, and the epoch one of them asks the loop
    /// to resume from (positive), else nil.
    func beginTraining(_ callbacks: CallbackList, logs: Logs = [:]) throws -> Int? {
        fitState.resumeEpoch = nil
        defer { fitState.resumeEpoch = nil }
        try callbacks.each { try $0.onTrainBegin(logs: logs) }
        return fitState.resumeEpoch.flatMap { $0 > 0 ? $0 : nil }
    }

    /// What `fit` does once its epochs are over (when epochs > 0), before `on_train_end`: with
    /// `use_ema` the weights become their moving averages; nothing without. Keras:
    /// `optimizer.finalize_variable_values(model.trainable_weights)`.
    public func finalizeVariableValues() {
        optimizer?.finalizeVariableValues(trainableWeights)
    }
}
