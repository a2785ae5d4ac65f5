#if canImport(Glibc)
import Glibc
#endif

/// The base of callbacks that watch one logged figure for improvement (EarlyStopping,
/// ReduceLROnPlateau). Keras: `keras.callbacks.MonitorCallback`.
open class MonitorCallback: Callback, @unchecked Sendable {
    /// Which way is better.
    public enum Mode: String, Sendable {
        /// Decided from the monitored name: `loss` is minimized, metrics follow their direction.
        case auto
        case min, max

        /// A mode from its Keras spelling; unknown ones throw (Keras warns and uses `auto`).
        public init(keras name: String, for owner: String) throws {
            guard let m = Mode(rawValue: name) else {
                throw KerasError.invalidArgument("\(owner)(mode: '\(name)'): mode must be 'auto', 'min' or 'max'")
            }
            self = m
        }
    }

    /// The logged figure watched (`val_loss`, `accuracy`).
    public let monitor: String
    public let mode: Mode
    /// The smallest change that counts as an improvement (its absolute value).
    public let minDelta: Double
    /// The best figure so far (or the baseline before the first epoch).
    public internal(set) var best: Double?
    /// Where warnings go (Keras's `warnings.warn`); standard error by default.
    public var warn: (String) -> Void = { fputs("UserWarning: " + $0 + "\n", stderr) }
    var lowerIsBetter: Bool?

    public init(owner: String, monitor: String, mode: Mode, baseline: Double?, minDelta: Double) throws {
        guard minDelta.isFinite else {
            throw KerasError.invalidArgument("\(owner)(min_delta: \(minDelta)): must be a finite number")
        }
        if let baseline, !baseline.isFinite {
            throw KerasError.invalidArgument("\(owner)(baseline: \(baseline)): must be a finite number")
        }
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.minDelta = Swift.abs(minDelta)
        super.init()
    }

    /// Decides the direction once the model's metrics exist (the first epoch end).
    func resolveDirection() throws -> Bool {
        if let lowerIsBetter { return lowerIsBetter }
        var lower: Bool?
        switch mode {
        case .min: lower = true
        case .max: lower = false
        case .auto:
            let name = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
            if name == "loss" || name.hasSuffix("_loss") { lower = true }
            for m in (model?.compiled?.metrics ?? []).joined() where m.name == name {
                if let d = m.direction { lower = d == .down }
            }
        }
        guard let lower else {
            throw KerasError.invalidArgument("\(type(of: self)) callback received monitor=\(monitor), but Keras isn't able to automatically determine whether that metric should be maximized or minimized. Pass mode: .max in order to monitor based on the highest metric value, or mode: .min in order to use the lowest value.")
        }
        lowerIsBetter = lower
        return lower
    }

    /// Keras's `_is_improvement`: beats `reference` by more than `minDelta` (anything beats nil).
    func isImprovement(_ value: Double, over reference: Double?) throws -> Bool {
        guard let reference else { return true }
        return try resolveDirection() ? value - (-minDelta) < reference : value - minDelta > reference
    }

    /// The monitored figure, or nil with Keras's warning when the logs lack it.
    func monitoredValue(_ logs: Logs, _ what: String) -> Double? {
        if let v = logs[monitor] { return v }
        warn("\(what) conditioned on metric `\(monitor)` which is not available. Available metrics are: \(orderedLogKeys(logs).joined(separator: ","))")
        return nil
    }
}
