/// Stops training at the first batch whose loss is NaN or infinite. Keras: `TerminateOnNaN(raise_error=False)`.
public final class TerminateOnNaN: Callback, @unchecked Sendable {
    /// Throw instead of stopping cleanly (other callbacks' `onTrainEnd` then does not run).
    public let raiseError: Bool
    public var output: (String) -> Void

    public init(raiseError: Bool = false, output: @escaping (String) -> Void = writeStdout) {
        self.raiseError = raiseError
        self.output = output
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard let loss = logs["loss"], !loss.isFinite else { return }
        if raiseError {
            throw KerasError.invalidData("NaN or Inf loss encountered at batch \(batch). Loss value: \(loss). Terminating training immediately.")
        }
        output("Batch \(batch): Invalid loss, terminating training\n")
        model?.stopTraining = true
    }
}
