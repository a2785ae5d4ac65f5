/// Multiplies the learning rate by `factor` when the monitored figure has not improved for
/// `patience` epochs. Keras: `ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10,
/// verbose=0, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0)`.
///
/// Adds `learning_rate` to the epoch logs, as Keras does.
public final class ReduceLROnPlateau: MonitorCallback, @unchecked Sendable {
    public let factor: Double
    public let patience: Int
    public let verbose: Int
    /// Epochs to wait after a reduction before counting again.
    public let cooldown: Int
    /// The learning rate is never reduced below this.
    public let minLR: Double
    public var output: (String) -> Void
    private var cooldownCounter = 0
    private var wait = 0

    public init(monitor: String = "val_loss", factor: Double = 0.1, patience: Int = 10, verbose: Int = 0,
                mode: Mode = .auto, minDelta: Double = 1e-4, cooldown: Int = 0, minLR: Double = 0,
                output: @escaping (String) -> Void = writeStdout) throws {
        guard factor < 1, factor >= 0 else {
            throw KerasError.invalidArgument("ReduceLROnPlateau does not support a factor >= 1.0 (or < 0). Received factor=\(factor)")
        }
        guard patience >= 0 else { throw KerasError.invalidArgument("ReduceLROnPlateau(patience: \(patience)): patience must be >= 0") }
        guard cooldown >= 0 else { throw KerasError.invalidArgument("ReduceLROnPlateau(cooldown: \(cooldown)): cooldown must be >= 0") }
        guard minLR >= 0, minLR.isFinite else { throw KerasError.invalidArgument("ReduceLROnPlateau(min_lr: \(minLR)): must be >= 0") }
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.minLR = minLR
        self.output = output
        try super.init(owner: "ReduceLROnPlateau", monitor: monitor, mode: mode, baseline: nil, minDelta: minDelta)
    }

    public override var wantsBatchLogs: Bool { false }

    /// Keras's `wait`, `best` and `cooldown_counter`.
    public override var state: [(String, JSON)] {
        [("wait", .int(wait)), ("best", .finiteOrNull(best)), ("cooldown_counter", .int(cooldownCounter))]
    }

    public override func onTrainBegin(logs: Logs) throws {
        best = nil
        cooldownCounter = 0
        wait = 0
    }

    public override func onEpochEnd(_ epoch: Int, updating logs: inout Logs) throws {
        _ = try resolveDirection()
        guard let optimizer = model?.optimizer else {
            throw KerasError.invalidState("ReduceLROnPlateau: the model has no optimizer (compile it first)")
        }
        logs["learning_rate"] = Double(optimizer.learningRate)
        guard let current = monitoredValue(logs, "Learning rate reduction") else { return }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if try isImprovement(current, over: best) {
            best = current
            wait = 0
        } else if cooldownCounter <= 0 {
            wait += 1
            if wait >= patience {
                let old = Double(optimizer.learningRate)
                if old > Double(Float(minLR)) {
                    let new = Swift.max(old * factor, minLR)
                    try optimizer.setLearningRate(Float(new))
                    if verbose > 0 { output("\nEpoch \(epoch + 1): ReduceLROnPlateau reducing learning rate to \(new).\n") }
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
    }
}
