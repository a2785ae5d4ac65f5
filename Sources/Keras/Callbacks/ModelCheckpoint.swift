import Foundation

/// Saves the model (or its weights) during training. Keras: `keras.callbacks.ModelCheckpoint`.
///
/// The path may hold Python format fields filled from the epoch (counted from 1), the batch
/// and the logs: `"weights.{epoch:02d}-{val_loss:.2f}.h5"`. The format is chosen from the name
/// as ``Model/save(_:overwrite:)`` and ``Model/saveWeights(_:overwrite:)`` choose it.
///
/// ```swift
/// let best = try ModelCheckpoint("best_model.h5", saveBestOnly: true)
/// try model.fit(x, y, validationData: (xv, yv), epochs: 20, callbacks: [best])
/// ```
public final class ModelCheckpoint: MonitorCallback, @unchecked Sendable {
    /// When to save: after each epoch, or every N training batches.
    public enum SaveFrequency: Sendable, Equatable {
        case epoch
        case batches(Int)
    }

    public let filepath: String
    public let verbose: Int
    public let saveBestOnly: Bool
    public let saveWeightsOnly: Bool
    public let saveFreq: SaveFrequency
    /// Where messages go (Keras prints them); standard output by default.
    public var output: (String) -> Void = { print($0) }
    private var batchesSinceSave = 0
    private var currentEpoch = 0

    public init(_ filepath: String, monitor: String = "val_loss", verbose: Int = 0, saveBestOnly: Bool = false,
                saveWeightsOnly: Bool = false, mode: Mode = .auto, saveFreq: SaveFrequency = .epoch,
                initialValueThreshold: Double? = nil) throws {
        guard !filepath.isEmpty else { throw KerasError.invalidArgument("ModelCheckpoint: filepath must not be empty") }
        if case .batches(let n) = saveFreq, n <= 0 {
            throw KerasError.invalidArgument("ModelCheckpoint(save_freq: \(n)): must be 'epoch' or a positive integer")
        }
        let lower = filepath.lowercased()
        if saveWeightsOnly {
            guard lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") else {
                throw KerasError.invalidArgument("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in `.weights.h5` (Keras weights format) or `.h5`. Received: filepath=\(filepath)")
            }
        } else {
            guard lower.hasSuffix(".keras") || lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") else {
                throw KerasError.invalidArgument("The filepath provided must end in `.keras` (Keras model format) or `.h5`. Received: filepath=\(filepath)")
            }
        }
        _ = try ModelCheckpoint.format(filepath, epoch: 1, batch: nil, logs: [:], checkOnly: true)
        self.filepath = filepath
        self.verbose = verbose
        self.saveBestOnly = saveBestOnly
        self.saveWeightsOnly = saveWeightsOnly
        self.saveFreq = saveFreq
        try super.init(owner: "ModelCheckpoint", monitor: monitor, mode: mode, baseline: initialValueThreshold, minDelta: 0)
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws { currentEpoch = epoch }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard case .batches(let n) = saveFreq else { return }
        batchesSinceSave += 1
        if batchesSinceSave >= n {
            batchesSinceSave = 0
            try save(epoch: currentEpoch, batch: batch, logs: logs)
        }
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        if saveFreq == .epoch { try save(epoch: epoch, batch: nil, logs: logs) }
    }

    public override var wantsBatchLogs: Bool { saveFreq != .epoch }

    private func save(epoch: Int, batch: Int?, logs: Logs) throws {
        guard let model else { return }
        let path = try ModelCheckpoint.format(filepath, epoch: epoch + 1, batch: batch, logs: logs)
        if saveBestOnly {
            guard let current = monitoredValue(logs, "Can save best model only with \(monitor) available.") else { return }
            guard try isImprovement(current, over: best) else {
                if verbose > 0 { output("\nEpoch \(epoch + 1): \(monitor) did not improve from \(fmt5(best))") }
                return
            }
            if verbose > 0 { output("\nEpoch \(epoch + 1): \(monitor) improved from \(fmt5(best)) to \(fmt5(current)), saving model to \(path)") }
            best = current
        } else if verbose > 0 {
            output("\nEpoch \(epoch + 1): saving model to \(path)")
        }
        if saveWeightsOnly { try model.saveWeights(path) } else { try model.save(path) }
    }

    private func fmt5(_ v: Double?) -> String {
        guard let v else { return (try? resolveDirection()) == false ? "-inf" : "inf" }
        return String(format: "%.5f", v)
    }

    /// Python's `filepath.format(epoch=..., batch=..., **logs)` for the fields Keras users write:
    /// `{name}`, `{name:02d}`, `{name:d}`, `{name:.2f}`, `{name:.3e}`, `{name:g}`.
    static func format(_ pattern: String, epoch: Int, batch: Int?, logs: Logs, checkOnly: Bool = false) throws -> String {
        var out = ""
        var chars = Substring(pattern)
        while let c = chars.first {
            chars.removeFirst()
            if c == "}" {
                guard chars.first == "}" else { throw KerasError.invalidArgument("ModelCheckpoint filepath '\(pattern)': single '}' in the format") }
                chars.removeFirst(); out.append("}"); continue
            }
            guard c == "{" else { out.append(c); continue }
            if chars.first == "{" { chars.removeFirst(); out.append("{"); continue }
            guard let end = chars.firstIndex(of: "}") else {
                throw KerasError.invalidArgument("ModelCheckpoint filepath '\(pattern)': unclosed '{'")
            }
            let field = chars[..<end]
            chars = chars[chars.index(after: end)...]
            let parts = field.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]), spec = parts.count > 1 ? String(parts[1]) : ""
            if checkOnly { _ = try render(1.5, spec: spec, pattern: pattern); continue }
            let value: Double
            if name == "epoch" { value = Double(epoch) } else if name == "batch", let batch { value = Double(batch) } else if let v = logs[name] { value = v } else {
                throw KerasError.invalidArgument("Failed to format this callback filepath: \"\(pattern)\". Reason: '\(name)' is not in the logs (available: \(orderedLogKeys(logs).joined(separator: ", ")))")
            }
            out += try render(value, spec: spec, pattern: pattern, isInt: name == "epoch" || name == "batch")
        }
        return out
    }

    private static func render(_ v: Double, spec: String, pattern: String, isInt: Bool = false) throws -> String {
        if spec.isEmpty { return isInt ? String(Int(v)) : JSON.pythonRepr(v) }
        guard let kind = spec.last, "dfeEgG%".contains(kind) else {
            throw KerasError.invalidArgument("ModelCheckpoint filepath '\(pattern)': unsupported format spec '\(spec)'")
        }
        let body = String(spec.dropLast())
        guard body.allSatisfy({ $0.isNumber || $0 == "." || $0 == "0" || $0 == "+" || $0 == "-" }), body.count <= 6 else {
            throw KerasError.invalidArgument("ModelCheckpoint filepath '\(pattern)': unsupported format spec '\(spec)'")
        }
        switch kind {
        case "d": return String(format: "%\(body)ld", Int(v.rounded(.towardZero)))
        case "%": return String(format: "%\(body)f%%", v * 100)
        default: return String(format: "%\(body)\(kind)", v)
        }
    }
}
