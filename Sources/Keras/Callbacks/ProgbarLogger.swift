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

/// Writes to standard output without buffering surprises.
public func writeStdout(_ s: String) {
    fputs(s, stdout)
    fflush(stdout)
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
    private(set) var seen = 0
    let dynamic = isatty(STDOUT_FILENO) != 0

    public init(target: Int?, verbose: Int = 1, output: @escaping (String) -> Void = writeStdout) {
        self.target = target
        self.verbose = verbose
        self.output = output
    }

    public mutating func update(_ current: Int, logs: Logs, finalize: Bool) {
        seen = current
        let now = monotonicSeconds()
        let elapsed = now - start
        if verbose == 2 {
            guard finalize else { return }
            let perStep = current > 0 ? elapsed / Double(current) : 0
            output("\(current)/\(target ?? current) - \(Int(elapsed.rounded()))s - \(Progbar.formatPerStep(perStep))\(Progbar.formatLogs(logs))\n")
            return
        }
        if !finalize && (!dynamic || now - lastDraw < 0.05) { return }
        lastDraw = now
        let t = target ?? current
        let digits = String(t).count
        var line = String(repeating: " ", count: Swift.max(0, digits - String(current).count)) + "\(current)/\(t) "
        let done = t > 0 ? Int(Double(20 * current) / Double(t)) : 20
        let bar = String(repeating: "━", count: Swift.min(done, 20)) + String(repeating: "━", count: Swift.max(0, 20 - done))
        line += dynamic ? "\u{1b}[32m" + String(bar.prefix(done)) + "\u{1b}[0m\u{1b}[37m" + String(bar.dropFirst(done)) + "\u{1b}[0m" : bar
        let perStep = current > 0 ? elapsed / Double(current) : 0
        if finalize {
            line += " \(Int(elapsed.rounded()))s \(Progbar.formatPerStep(perStep))"
        } else {
            let eta = perStep * Double(t - current)
            line += " \(Progbar.formatETA(eta)) \(Progbar.formatPerStep(perStep))"
        }
        line += Progbar.formatLogs(logs)
        if dynamic {
            let pad = String(repeating: " ", count: Swift.max(0, previousWidth - line.count))
            output("\r" + line + pad + (finalize ? "\n" : ""))
            previousWidth = line.count
        } else if finalize {
            output(line + "\n")
        }
    }

    static func formatLogs(_ logs: Logs) -> String {
        orderedLogKeys(logs).map { k in " - \(k): \(formatLogValue(logs[k]!))" }.joined()
    }

    /// `{:.4f}`, or `{:.4e}` for small magnitudes, as Keras prints log values.
    static func formatLogValue(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if abs(v) > 1e-3 || v == 0 { return cFormat("%.4f", v) }
        return cFormat("%.4e", v)
    }

    static func formatPerStep(_ seconds: Double) -> String {
        if seconds >= 1 { return "\(Int(seconds.rounded()))s/step" }
        if seconds >= 1e-3 { return "\(Int((seconds * 1e3).rounded()))ms/step" }
        return "\(Int((seconds * 1e6).rounded()))us/step"
    }

    static func formatETA(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return cFormat("%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60) }
        if s >= 60 { return cFormat("%d:%02d", s / 60, s % 60) }
        return "\(s)s"
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
