#if canImport(Glibc)
import Glibc
#endif

/// Saves the model (or its weights) during training: every epoch, every `saveFreq` batches, or
/// only when the monitored figure improves. Keras: `ModelCheckpoint(filepath, monitor="val_loss",
/// verbose=0, save_best_only=False, save_weights_only=False, mode="auto", save_freq="epoch",
/// initial_value_threshold=None)`.
///
/// `filepath` may hold Python format fields filled from the epoch (1-based) and the logs:
/// `"weights.{epoch:02d}-{val_loss:.2f}.weights.h5"`.
///
/// ```swift
/// let best = try ModelCheckpoint("best_model.h5", saveBestOnly: true)   // seeds/004
/// ```
public final class ModelCheckpoint: MonitorCallback, @unchecked Sendable {
    /// When to save: at each epoch end, or every so many batches.
    public enum SaveFrequency: Equatable, Sendable { case epoch, batches(Int) }

    public let filepath: String
    public let verbose: Int
    public let saveBestOnly: Bool
    public let saveWeightsOnly: Bool
    public let saveFreq: SaveFrequency
    public var output: (String) -> Void
    private var currentEpoch = 0
    private var batchesSinceSave = 0
    private var lastBatch: Int?

    public init(_ filepath: String, monitor: String = "val_loss", verbose: Int = 0, saveBestOnly: Bool = false,
                saveWeightsOnly: Bool = false, mode: Mode = .auto, saveFreq: SaveFrequency = .epoch,
                initialValueThreshold: Double? = nil, output: @escaping (String) -> Void = writeStdout) throws {
        if saveWeightsOnly {
            guard filepath.hasSuffix(".weights.h5") else {
                throw KerasError.invalidArgument("ModelCheckpoint(filepath: \(filepath)): when using save_weights_only=True, the filepath must end in `.weights.h5`")
            }
        } else {
            guard filepath.hasSuffix(".keras") || filepath.hasSuffix(".h5") else {
                throw KerasError.invalidArgument("ModelCheckpoint(filepath: \(filepath)): the filepath must end in `.keras` (or `.h5`)")
            }
        }
        if case .batches(let n) = saveFreq, n <= 0 {
            throw KerasError.invalidArgument("ModelCheckpoint(save_freq: \(n)): must be 'epoch' or a positive number of batches")
        }
        _ = try formatCheckpointPath(filepath, epoch: 1, batch: nil, logs: nil)
        self.filepath = filepath
        self.verbose = verbose
        self.saveBestOnly = saveBestOnly
        self.saveWeightsOnly = saveWeightsOnly
        self.saveFreq = saveFreq
        self.output = output
        try super.init(owner: "ModelCheckpoint", monitor: monitor, mode: mode, baseline: initialValueThreshold, minDelta: 0)
    }

    public override var wantsBatchLogs: Bool { saveFreq != .epoch }

    /// Keras's `best` (None until a monitored figure was seen).
    public override var state: [(String, JSON)] { [("best", .finiteOrNull(best))] }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws { currentEpoch = epoch }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard case .batches(let every) = saveFreq else { return }
        batchesSinceSave += lastBatch.map { batch <= $0 ? batch + 1 : batch - $0 } ?? batch + 1
        lastBatch = batch
        guard batchesSinceSave >= every else { return }
        batchesSinceSave = 0
        try save(epoch: currentEpoch, batch: batch, logs: logs)
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        if saveBestOnly { _ = try resolveDirection() }
        if saveFreq == .epoch { try save(epoch: epoch, batch: nil, logs: logs) }
    }

    private func save(epoch: Int, batch: Int?, logs: Logs) throws {
        guard let model else { return }
        let path = try formatCheckpointPath(filepath, epoch: epoch + 1, batch: batch.map { $0 + 1 }, logs: logs)
        if saveBestOnly {
            guard let current = logs[monitor] else {
                warn("Can save best model only with \(monitor) available.")
                return try write(model, path, epoch)
            }
            let bestText = best.map { cFormat("%.5f", $0) } ?? "None"
            guard try isImprovement(current, over: best) else {
                if verbose > 0 { output("\nEpoch \(epoch + 1): \(monitor) did not improve from \(bestText)\n") }
                return
            }
            if verbose > 0 {
                output("\nEpoch \(epoch + 1): \(monitor) improved from \(bestText) to \(cFormat("%.5f", current)), saving model to \(path)\n")
            }
            best = current
        } else if verbose > 0 {
            output("\nEpoch \(epoch + 1): saving model to \(path)\n")
        }
        try write(model, path, epoch)
    }

    private func write(_ model: Model, _ path: String, _ epoch: Int) throws {
        try makeParentDirectories(of: path)
        if saveWeightsOnly { try model.saveWeights(path, overwrite: true) } else { try model.save(path, overwrite: true) }
        if verbose > 0 { output("\nEpoch \(epoch + 1): finished saving model to \(path)\n") }
    }
}

/// Creates the folders above `path` that do not exist yet (`os.makedirs(dirname)`).
func makeParentDirectories(of path: String) throws {
    var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
    guard !parts.isEmpty else { return }
    var current = path.hasPrefix("/") ? "" : "."
    if path.hasPrefix("/") { parts = parts.dropFirst() }
    for p in parts where !p.isEmpty {
        current += "/" + p
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw KerasError.io("cannot create the folder '\(current)': \(String(cString: strerror(errno)))")
        }
    }
}

/// Fills Python format fields (`{epoch:02d}`, `{val_loss:.2f}`, `{loss}`) from the epoch, batch
/// and logs, as Keras's `filepath.format(epoch=..., **logs)`; an unknown field or spec throws.
func formatCheckpointPath(_ pattern: String, epoch: Int, batch: Int?, logs: Logs?) throws -> String {
    var out = ""
    var rest = Substring(pattern)
    while let open = rest.firstIndex(of: "{") {
        out += String(rest[..<open]).replacingAll("}}", with: "}")
        let afterOpen = rest.index(after: open)
        if afterOpen < rest.endIndex, rest[afterOpen] == "{" {
            out += "{"
            rest = rest[rest.index(after: afterOpen)...]
            continue
        }
        guard let close = rest[afterOpen...].firstIndex(of: "}") else {
            throw KerasError.invalidArgument("ModelCheckpoint(filepath: \(pattern)): unmatched '{'")
        }
        let field = rest[afterOpen..<close]
        let parts = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0]), spec = parts.count > 1 ? String(parts[1]) : ""
        let value: Double?
        var isInt = false
        switch key {
        case "epoch": value = Double(epoch); isInt = true
        case "batch": value = batch.map(Double.init); isInt = true
        default: value = logs == nil ? 0 : logs?[key]
        }
        guard let value else {
            throw KerasError.invalidArgument("ModelCheckpoint: failed to format the filepath \"\(pattern)\": no value for '\(key)'")
        }
        out += try pythonFormat(value, spec: spec, isInt: isInt, pattern: pattern)
        rest = rest[rest.index(after: close)...]
    }
    return out + String(rest).replacingAll("}}", with: "}")
}

/// Python's format mini-language for the specs checkpoint names use: `d`, `02d`, `.2f`, `.3e`, `g`.
private func pythonFormat(_ v: Double, spec: String, isInt: Bool, pattern: String) throws -> String {
    if spec.isEmpty { return isInt ? String(Int(v)) : pythonFloat(v) }
    guard let kind = spec.last, "dfeg".contains(kind) else {
        throw KerasError.invalidArgument("ModelCheckpoint(filepath: \(pattern)): unsupported format spec '\(spec)'")
    }
    let flags = spec.dropLast()
    guard flags.allSatisfy({ $0.isNumber || $0 == "." || $0 == "0" || $0 == "+" || $0 == "-" }) else {
        throw KerasError.invalidArgument("ModelCheckpoint(filepath: \(pattern)): unsupported format spec '\(spec)'")
    }
    if kind == "d" {
        guard v.isFinite, Swift.abs(v) < 9e18, isInt || v == v.rounded() else {
            throw KerasError.invalidArgument("ModelCheckpoint(filepath: \(pattern)): format 'd' needs an integer, got \(v)")
        }
        return cFormat("%\(flags)lld", Int64(v))
    }
    return cFormat("%\(flags)\(kind)", v)
}
