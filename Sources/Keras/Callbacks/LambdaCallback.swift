/// A callback made of closures, for quick one-off hooks. Keras: `LambdaCallback(on_epoch_begin,
/// on_epoch_end, on_train_begin, on_train_end, on_train_batch_begin, on_train_batch_end)`; Keras 2's
/// `on_batch_begin`/`on_batch_end` are the training-batch hooks.
///
/// ```swift
/// let log = LambdaCallback(onEpochEnd: { epoch, logs in print(epoch, logs["loss"] ?? 0) })
/// ```
public final class LambdaCallback: Callback, @unchecked Sendable {
    public typealias EpochHook = (Int, Logs) throws -> Void
    public typealias TrainHook = (Logs) throws -> Void

    let epochBegin: EpochHook?, epochEnd: EpochHook?
    let trainBegin: TrainHook?, trainEnd: TrainHook?
    let batchBegin: EpochHook?, batchEnd: EpochHook?

    public init(onEpochBegin: EpochHook? = nil, onEpochEnd: EpochHook? = nil,
                onTrainBegin: TrainHook? = nil, onTrainEnd: TrainHook? = nil,
                onTrainBatchBegin: EpochHook? = nil, onTrainBatchEnd: EpochHook? = nil,
                onBatchBegin: EpochHook? = nil, onBatchEnd: EpochHook? = nil) {
        epochBegin = onEpochBegin; epochEnd = onEpochEnd
        trainBegin = onTrainBegin; trainEnd = onTrainEnd
        batchBegin = onTrainBatchBegin ?? onBatchBegin; batchEnd = onTrainBatchEnd ?? onBatchEnd
    }

    public override var wantsBatchLogs: Bool { batchBegin != nil || batchEnd != nil }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws { try run("on_epoch_begin") { try epochBegin?(epoch, logs) } }
    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws { try run("on_epoch_end") { try epochEnd?(epoch, logs) } }
    public override func onTrainBegin(logs: Logs) throws { try run("on_train_begin") { try trainBegin?(logs) } }
    public override func onTrainEnd(logs: Logs) throws { try run("on_train_end") { try trainEnd?(logs) } }
    public override func onTrainBatchBegin(_ batch: Int, logs: Logs) throws {
        try run("on_train_batch_begin") { try batchBegin?(batch, logs) }
    }
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        try run("on_train_batch_end") { try batchEnd?(batch, logs) }
    }

    /// Passes KerasErrors through and names the hook for anything else a closure throws.
    private func run(_ hook: String, _ body: () throws -> Void) throws {
        do { try body() } catch let e as KerasError { throw e } catch {
            throw KerasError.callbackFailed("LambdaCallback \(hook) failed: \(error)")
        }
    }
}
