/// Sets the learning rate at the start of each epoch from `schedule(epoch, currentRate)`.
/// Keras: `LearningRateScheduler(schedule, verbose=0)`.
///
/// ```swift
/// let decay = LearningRateScheduler { epoch, lr in epoch < 10 ? lr : lr * 0.9 }
/// ```
/// Adds `learning_rate` to the epoch logs, as Keras does.
public final class LearningRateScheduler: Callback, @unchecked Sendable {
    public let schedule: (Int, Double) throws -> Double
    public let verbose: Int
    public var output: (String) -> Void

    public init(verbose: Int = 0, output: @escaping (String) -> Void = writeStdout,
                _ schedule: @escaping (Int, Double) throws -> Double) {
        self.schedule = schedule
        self.verbose = verbose
        self.output = output
    }

    public override var wantsBatchLogs: Bool { false }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws {
        guard let optimizer = model?.optimizer else {
            throw KerasError.invalidState("LearningRateScheduler: the model has no optimizer (compile it first)")
        }
        let lr: Double
        do {
            lr = try schedule(epoch, Double(optimizer.learningRate))
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError.callbackFailed("LearningRateScheduler: the schedule failed at epoch \(epoch): \(error)")
        }
        guard lr.isFinite, lr >= 0 else {
            throw KerasError.invalidArgument("LearningRateScheduler: the schedule returned \(lr) at epoch \(epoch); a learning rate must be a finite number >= 0")
        }
        try optimizer.setLearningRate(Float(lr))
        if verbose > 0 { output("\nEpoch \(epoch + 1): LearningRateScheduler setting learning rate to \(lr).\n") }
    }

    public override func onEpochEnd(_ epoch: Int, updating logs: inout Logs) throws {
        if let optimizer = model?.optimizer { logs["learning_rate"] = Double(optimizer.learningRate) }
    }
}
