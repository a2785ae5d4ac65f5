#if canImport(Glibc)
import Glibc
#endif

/// Writes the epoch logs to a CSV file, one row per epoch: `epoch` then the figures in sorted
/// order (validation columns added when the first epoch has none), as Keras's `csv` writer does
/// (`\r\n` line ends, values as Python prints floats, `NA` for a missing figure).
/// Keras: `CSVLogger(filename, separator=",", append=False)`.
public final class CSVLogger: Callback, @unchecked Sendable {
    public let filename: String
    public let separator: String
    /// Adds to an existing file (no second header) instead of replacing it.
    public let append: Bool
    private var file: UnsafeMutablePointer<FILE>?
    private var keys: [String]?
    private var writeHeader = true

    public init(_ filename: String, separator: String = ",", append: Bool = false) throws {
        guard !filename.isEmpty else { throw KerasError.invalidArgument("CSVLogger(filename: \"\"): a file name is required") }
        guard !separator.isEmpty, !separator.contains("\n"), !separator.contains("\r"), !separator.contains("\"") else {
            throw KerasError.invalidArgument("CSVLogger(separator: \(separator.debugDescription)): must be a non-empty string without quotes or line breaks")
        }
        self.filename = filename
        self.separator = separator
        self.append = append
    }

    deinit { if let file { fclose(file) } }

    public override var wantsBatchLogs: Bool { false }

    public override func onTrainBegin(logs: Logs) throws {
        if let file { fclose(file) }
        writeHeader = true
        if append, let existing = fopen(filename, "r") {
            let first = fgetc(existing)
            writeHeader = first == EOF || first == 10 || first == 13
            fclose(existing)
        }
        guard let f = fopen(filename, append ? "a" : "w") else {
            throw KerasError.io("CSVLogger: cannot open '\(filename)' for writing: \(String(cString: strerror(errno)))")
        }
        file = f
        keys = nil
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        guard let file else { return }
        if keys == nil {
            var k = logs.keys.sorted()
            if !k.isEmpty && !k.contains(where: { $0.hasPrefix("val_") }) { k += k.map { "val_" + $0 } }
            keys = k
        }
        let columns = keys ?? []
        var text = ""
        if writeHeader {
            text += (["epoch"] + columns).map(quoted).joined(separator: separator) + "\r\n"
            writeHeader = false
        }
        text += ([String(epoch)] + columns.map { logs[$0].map(pythonFloat) ?? "NA" }).map(quoted).joined(separator: separator) + "\r\n"
        guard fputs(text, file) >= 0, fflush(file) == 0 else {
            throw KerasError.io("CSVLogger: cannot write to '\(filename)': \(String(cString: strerror(errno)))")
        }
    }

    public override func onTrainEnd(logs: Logs) throws {
        if let file { fclose(file) }
        file = nil
    }

    /// Quotes a field as Python's `csv` module does when it holds the separator, a quote or a line break.
    private func quoted(_ field: String) -> String {
        guard field.contains(separator) || field.contains("\"") || field.contains("\n") || field.contains("\r") else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }
}

/// A float as Python's `repr` writes it (`0.5`, `1e-05`, `nan`, `inf`).
func pythonFloat(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    return "\(v)"
}

extension String {
    /// Replaces every occurrence of `target` (no Foundation needed).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = "", rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
