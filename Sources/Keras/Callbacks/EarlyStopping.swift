/// Stops training when the monitored figure has stopped improving.
/// Keras: `EarlyStopping(monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
/// baseline=None, restore_best_weights=False, start_from_epoch=0)`.
///
/// ```swift
/// let early = try EarlyStopping(monitor: "val_loss", patience: 4, verbose: 1)
/// try model.fit(x, y, epochs: 20, callbacks: [early], validationData: (xv, yv))
/// // prints "Epoch 9: early stopping" when it stops
/// ```
public final class EarlyStopping: MonitorCallback, @unchecked Sendable {
    /// Epochs without improvement before stopping.
    public let patience: Int
    public let verbose: Int
    /// A figure to beat; training stops if it is not beaten within `patience` epochs.
    public let baseline: Double?
    /// Puts back the weights of the best epoch when training ends.
    public let restoreBestWeights: Bool
    /// Epochs to wait before watching at all (warm-up).
    public let startFromEpoch: Int
    /// Where messages go (standard output by default).
    public var output: (String) -> Void

    /// Epochs since the last improvement.
    public private(set) var wait = 0
    /// The epoch (0-based) at which training was stopped; 0 when it was not.
    public private(set) var stoppedEpoch = 0
    /// The epoch (0-based) of the best figure.
    public private(set) var bestEpoch = 0
    private var bestWeights: [VariableFileValue]?   // (int32 counters exactly)

    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, verbose: Int = 0,
                mode: Mode = .auto, baseline: Double? = nil, restoreBestWeights: Bool = false,
                startFromEpoch: Int = 0, output: @escaping (String) -> Void = writeStdout) throws {
        guard patience >= 0 else { throw KerasError.invalidArgument("EarlyStopping(patience: \(patience)): patience must be >= 0") }
        guard startFromEpoch >= 0 else {
            throw KerasError.invalidArgument("EarlyStopping(start_from_epoch: \(startFromEpoch)): must be >= 0")
        }
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
        self.output = output
        try super.init(owner: "EarlyStopping", monitor: monitor, mode: mode, baseline: baseline, minDelta: minDelta)
    }

    /// The same with the mode spelled as in Keras (`"auto"`, `"min"`, `"max"`).
    public convenience init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, verbose: Int = 0,
                            mode: String, baseline: Double? = nil, restoreBestWeights: Bool = false,
                            startFromEpoch: Int = 0) throws {
        try self.init(monitor: monitor, minDelta: minDelta, patience: patience, verbose: verbose,
                      mode: try Mode(keras: mode, for: "EarlyStopping"), baseline: baseline,
                      restoreBestWeights: restoreBestWeights, startFromEpoch: startFromEpoch)
    }

    public override var wantsBatchLogs: Bool { false }

    /// Keras's `wait`, `stopped_epoch`, `best`, `best_epoch`; `has_best_weights` says whether
    /// `best_weights` were kept (restore_best_weights), which are then the model's weights after fit.
    public override var state: [(String, JSON)] {
        [("wait", .int(wait)), ("stopped_epoch", .int(stoppedEpoch)), ("best", .finiteOrNull(best)),
         ("best_epoch", .int(bestEpoch)), ("has_best_weights", .bool(bestWeights != nil))]
    }

    public override func onTrainBegin(logs: Logs) throws {
        wait = 0
        stoppedEpoch = 0
        best = nil
        bestWeights = nil
        bestEpoch = 0
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        _ = try resolveDirection()
        guard let current = monitoredValue(logs, "Early stopping"), epoch >= startFromEpoch else { return }
        if restoreBestWeights && bestWeights == nil {
            bestWeights = model?.exactWeights()
            bestEpoch = epoch
        }
        wait += 1
        if try isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = model?.exactWeights() }
            if try baseline == nil || isImprovement(current, over: baseline) { wait = 0 }
            return
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            model?.stopTraining = true
        }
    }

    public override func onTrainEnd(logs: Logs) throws {
        if stoppedEpoch > 0 && verbose > 0 { output("Epoch \(stoppedEpoch + 1): early stopping\n") }
        if restoreBestWeights, let bestWeights {
            if verbose > 0 { output("Restoring model weights from the end of the best epoch: \(bestEpoch + 1).\n") }
            try model?.setExactWeights(bestWeights)
        }
    }
}
