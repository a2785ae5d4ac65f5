#if canImport(Glibc)
import Glibc
#endif

/// Prints progress as Keras 3 does: a bar per epoch (verbose 1) or one line per epoch (verbose 2).
/// Keras: `ProgbarLogger`. Attached by `fit`, `evaluate` and `predict` when verbose > 0.
public final class ProgbarLogger: Callback, @unchecked Sendable {
    let verbose: Int
    let output: (String) -> Void
    private var bar: Progbar?
    private var epochs = 1
    private var steps: Int?

    public init(verbose: Int = 1, output: @escaping (String) -> Void = writeStdout) {
        self.verbose = verbose
        self.output = output
    }

    public override var wantsBatchLogs: Bool { verbose == 1 }

    public override func onTrainBegin(logs: Logs) throws {
        epochs = params["epochs"] ?? 1
        steps = params["steps"]
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws {
        if epochs > 1 { output("Epoch \(epoch + 1)/\(epochs)\n") }
        bar = Progbar(target: steps, verbose: verbose, output: output)
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        bar?.update(batch + 1, logs: logs, finalize: false)
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        bar?.update(steps ?? bar?.seen ?? 0, logs: logs, finalize: true)
        bar = nil
    }

    public override func onTestBegin(logs: Logs) throws {
        if model?.isFitting == true { return }
        bar = Progbar(target: params["steps"], verbose: verbose, output: output)
    }

    public override func onTestBatchEnd(_ batch: Int, logs: Logs) throws {
        if model?.isFitting == true { return }
        bar?.update(batch + 1, logs: logs, finalize: false)
    }

    public override func onTestEnd(logs: Logs) throws {
        if model?.isFitting == true { return }
        bar?.update(params["steps"] ?? bar?.seen ?? 0, logs: logs, finalize: true)
        bar = nil
    }

    public override func onPredictBegin(logs: Logs) throws {
        bar = Progbar(target: params["steps"], verbose: verbose, output: output)
    }

    public override func onPredictBatchEnd(_ batch: Int, logs: Logs) throws {
        bar?.update(batch + 1, logs: [:], finalize: false)
    }

    public override func onPredictEnd(logs: Logs) throws {
        bar?.update(params["steps"] ?? bar?.seen ?? 0, logs: [:], finalize: true)
        bar = nil
    }
}

/// Writes to standard output without buffering surprises, or to the print hook when one is set.
public func writeStdout(_ s: String) {
    if let hook = PrintHook.current {
        hook.write(s)
        return
    }
    fputs(s, stdout)
    fflush(stdout)
}

/// Where progress bars, callback messages and printed summaries go instead of standard output,
/// for the whole process: a host that captures output (Python's sys.stdout, a GUI log) sets it.
/// `dynamic` says whether the destination redraws a line on `\r` (a terminal, Jupyter), so that
/// progress bars animate; otherwise they print each epoch's final line only.
public struct PrintHook: @unchecked Sendable {
    public let write: (String) -> Void
    public let dynamic: Bool

    public init(dynamic: Bool, _ write: @escaping (String) -> Void) {
        self.write = write
        self.dynamic = dynamic
    }

    private static let mutex = Mutex()
    nonisolated(unsafe) private static var installed: PrintHook?

    /// The hook in use, nil for standard output.
    public static var current: PrintHook? { mutex.withLock { installed } }

    /// Installs `hook` (nil: back to standard output).
    public static func set(_ hook: PrintHook?) { mutex.withLock { installed = hook } }
}

/// Keras 3's progress bar (`keras/src/utils/progbar.py`): `3/5 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.1234`.
/// On a terminal it redraws in place; elsewhere it prints only the final line of each epoch.
public struct Progbar {
    let target: Int?
    let verbose: Int
    let output: (String) -> Void
    let start = monotonicSeconds()
    var lastDraw: Double = 0
    var previousWidth = 0
    var timeAfterFirstStep: Double?
    private(set) var seen = 0
    /// Redraws in place on a terminal; elsewhere prints only each epoch's final line, without
    /// colour codes, so logs stay readable.
    var dynamic = PrintHook.current?.dynamic ?? (isatty(STDOUT_FILENO) != 0)

    public init(target: Int?, verbose: Int = 1, output: @escaping (String) -> Void = writeStdout) {
        self.target = target
        self.verbose = verbose
        self.output = output
    }

    /// Keras's estimate: the first step (compilation, warm-up) is left out once there are others.
    mutating func stepDuration(_ current: Int, _ now: Double) -> Double {
        guard current > 0 else { return 0 }
        let perStep: Double
        if let after = timeAfterFirstStep, current > 1 {
            perStep = (now - after) / Double(current - 1)
        } else {
            perStep = (now - start) / Double(current)
        }
        if current == 1 { timeAfterFirstStep = now }
        return perStep
    }

    public mutating func update(_ current: Int, logs: Logs, finalize: Bool) {
        seen = current
        let now = monotonicSeconds()
        let perStep = stepDuration(current, now)
        if verbose == 2 {
            guard finalize else { return }
            output(Progbar.epochLine(current: current, target: target ?? current, elapsed: now - start,
                                     perStep: perStep, logs: logs))
            return
        }
        if !finalize && (!dynamic || now - lastDraw < 0.05) { return }
        lastDraw = now
        let line = Progbar.barLine(current: current, target: target ?? current, elapsed: now - start,
                                   perStep: perStep, logs: logs, finalize: finalize, colored: dynamic)
        if dynamic {
            let visible = line.visibleCount
            let pad = String(repeating: " ", count: Swift.max(0, previousWidth - visible))
            output("\r" + line + pad + (finalize ? "\n" : ""))
            previousWidth = visible
        } else if finalize {
            output(line + "\n")
        }
    }

    /// `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 75ms/step - accuracy: 0.4100 - loss: 0.7324` (verbose 1).
    static func barLine(current: Int, target t: Int, elapsed: Double, perStep: Double, logs: Logs,
                        finalize: Bool, colored: Bool) -> String {
        let digits = String(Swift.max(t, 1)).count
        let count = String(repeating: " ", count: Swift.max(0, digits - String(current).count)) + "\(current)/\(t)"
        let done = t > 0 ? Swift.min(20, Int(20 * Double(current) / Double(t))) : 20
        let green = String(repeating: "━", count: done), white = String(repeating: "━", count: 20 - done)
        let time = finalize ? "\(pythonRoundedInt(elapsed))s" : formatETA(perStep * Double(t - current))
        if colored {
            return "\u{1b}[1m\(count)\u{1b}[0m " + (done > 0 ? "\u{1b}[32m\(green)\u{1b}[0m" : "") + "\u{1b}[37m\(white)\u{1b}[0m"
                + " \u{1b}[1m\(time)\u{1b}[0m " + formatPerStep(perStep) + formatLogs(logs)
        }
        return "\(count) \(green)\(white) \(time) \(formatPerStep(perStep))\(formatLogs(logs))"
    }

    /// `8/8 - 0s - 399us/step - accuracy: 0.4375 - loss: 0.7275` (verbose 2).
    static func epochLine(current: Int, target: Int, elapsed: Double, perStep: Double, logs: Logs) -> String {
        "\(current)/\(target) - \(pythonRoundedInt(elapsed))s - \(formatPerStep(perStep))\(formatLogs(logs, signedThreshold: true))\n"
    }

    static func formatLogs(_ logs: Logs, signedThreshold: Bool = false) -> String {
        orderedLogKeys(logs).map { k in " - \(k): \(formatLogValue(logs[k] ?? .nan, signedThreshold: signedThreshold))" }.joined()
    }

    /// `{:.4f}` when `|v| > 1e-3`, else `{:.4e}`, as Keras prints log values (verbose 2 compares
    /// `v > 1e-3` without the absolute value, as Keras does).
    static func formatLogValue(_ v: Double, signedThreshold: Bool = false) -> String {
        if v.isNaN { return "nan" }
        let large = signedThreshold ? v > 1e-3 : abs(v) > 1e-3
        return cFormat(large ? "%.4f" : "%.4e", v)
    }

    /// ` 2s/step`, `75ms/step`, `791us/step` (`0s/step` for zero).
    static func formatPerStep(_ seconds: Double) -> String {
        if seconds >= 1 || seconds == 0 { return "\(pythonRoundedInt(seconds))s/step" }
        if seconds >= 1e-3 { return "\(pythonRoundedInt(seconds * 1e3))ms/step" }
        return "\(pythonRoundedInt(seconds * 1e6))us/step"
    }

    /// `12s`, `3:05`, `1:02:03`: whole seconds, truncated as Keras's `%d` does.
    static func formatETA(_ seconds: Double) -> String {
        let s = pythonRoundedInt(Swift.max(0, seconds.rounded(.down)))
        if seconds > 3600 { return cFormat("%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60) }
        if seconds > 60 { return cFormat("%d:%02d", s / 60, s % 60) }
        return "\(s)s"
    }
}

/// Python's `f"{x:.0f}"`: round half to even.
func pythonRoundedInt(_ x: Double) -> Int {
    guard x.isFinite else { return 0 }
    // Clamped: an ETA for steps_per_epoch near 2^63 must not overflow the conversion.
    return Int(Swift.min(Swift.max(x, -1e18), 1e18).rounded(.toNearestOrEven))
}

extension String {
    /// Characters shown on a terminal, not counting ANSI colour codes.
    var visibleCount: Int {
        var n = 0
        var inEscape = false
        for c in unicodeScalars {
            if inEscape { if c == "m" { inEscape = false }; continue }
            if c == "\u{1b}" { inEscape = true; continue }
            n += 1
        }
        return n
    }
}

/// `String(format:)` without Foundation.
func cFormat(_ format: String, _ args: CVarArg...) -> String {
    withVaList(args) { va in
        var buf = [CChar](repeating: 0, count: 128)
        let n = vsnprintf(&buf, buf.count, format, va)
        if n >= buf.count {
            buf = [CChar](repeating: 0, count: Int(n) + 1)
            return withVaList(args) { va2 in
                _ = vsnprintf(&buf, buf.count, format, va2)
                return String(cString: buf)
            }
        }
        return String(cString: buf)
    }
}

/// Seconds from a monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
