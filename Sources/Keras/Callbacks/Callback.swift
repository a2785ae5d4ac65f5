/// Named figures passed to callbacks (`loss`, `accuracy`, `val_loss`, ...).
public typealias Logs = [String: Double]

/// Hooks into training, evaluation and prediction. Keras: `keras.callbacks.Callback`.
///
/// Override any hook; throwing from a hook stops the loop and the error reaches the caller.
/// Set `model?.stopTraining = true` to end `fit` cleanly.
open class Callback: @unchecked Sendable {
    /// The model being trained; set before `onTrainBegin`.
    public weak var model: Model?
    /// `epochs`, `steps` and `verbose` of the running loop.
    public var params: [String: Int] = [:]

    public init() {}

    open func onTrainBegin(logs: Logs) throws {}
    open func onTrainEnd(logs: Logs) throws {}
    open func onEpochBegin(_ epoch: Int, logs: Logs) throws {}
    open func onEpochEnd(_ epoch: Int, logs: Logs) throws {}
    /// The end of an epoch, with the logs that later callbacks and the History will see: a
    /// callback that reports something (the learning rate) adds it here, as Keras callbacks add
    /// keys to the `logs` dict. By default calls ``onEpochEnd(_:logs:)``.
    open func onEpochEnd(_ epoch: Int, updating logs: inout Logs) throws { try onEpochEnd(epoch, logs: logs) }
    open func onTrainBatchBegin(_ batch: Int, logs: Logs) throws {}
    open func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {}
    open func onTestBegin(logs: Logs) throws {}
    open func onTestEnd(logs: Logs) throws {}
    open func onTestBatchBegin(_ batch: Int, logs: Logs) throws {}
    open func onTestBatchEnd(_ batch: Int, logs: Logs) throws {}
    open func onPredictBegin(logs: Logs) throws {}
    open func onPredictEnd(logs: Logs) throws {}
    open func onPredictBatchBegin(_ batch: Int, logs: Logs) throws {}
    open func onPredictBatchEnd(_ batch: Int, logs: Logs) throws {}
    /// The end of a predict batch with the batch's predictions, one per model output (Keras's
    /// `logs["outputs"]`). By default calls ``onPredictBatchEnd(_:logs:)``.
    open func onPredictBatchEnd(_ batch: Int, logs: Logs, outputs: [Tensor]) throws { try onPredictBatchEnd(batch, logs: logs) }

    /// Whether this callback needs per-batch logs (lets the loop skip building them).
    open var wantsBatchLogs: Bool { true }

    /// The attributes Keras's callback of this class exposes after (or during) a fit, by Keras's
    /// names (EarlyStopping's `stopped_epoch`, `best`, ...); empty for a callback with none.
    open var state: [(String, JSON)] { [] }
}

/// Records the epoch logs of `fit`. Always attached. Keras: `History`.
public final class History: Callback, @unchecked Sendable {
    /// Epoch indices seen.
    public private(set) var epoch: [Int] = []
    /// Each figure per epoch: `history["loss"]`.
    public private(set) var history: [String: [Double]] = [:]
    /// The class values per epoch of each metric that reports one per class
    /// (F1Score(average=None)), whose ``history`` holds their mean. Keras's history holds the arrays.
    public private(set) var perClass: [String: [[Double]]] = [:]

    func recordPerClass(_ values: [String: [Double]]) {
        for (k, v) in values { perClass[k, default: []].append(v) }
    }

    public override func onTrainBegin(logs: Logs) throws {}

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        self.epoch.append(epoch)
        for (k, v) in logs { history[k, default: []].append(v) }
    }

    public override var wantsBatchLogs: Bool { false }
}

/// Orders log keys as Keras prints them: alphabetical, validation figures last.
func orderedLogKeys(_ logs: Logs) -> [String] {
    logs.keys.sorted { a, b in
        let va = a.hasPrefix("val_"), vb = b.hasPrefix("val_")
        return va == vb ? a < b : !va
    }
}
