/// Builds a built-in callback from its Keras class name and constructor arguments, as the C ABI
/// and the Python shim pass them (`{"monitor": "val_loss", "patience": 4, "verbose": 1}`).
/// Callbacks made of code (LearningRateScheduler, LambdaCallback) are built in Swift instead.
///
/// ```swift
/// let early = try callback(className: "EarlyStopping", arguments: ["patience": 4, "verbose": 1])
/// ```
public func callback(className: String, arguments: JSON) throws -> Callback {
    guard case .callback(let make)? = ObjectRegistry.lookup(.callback, className) else {
        throw KerasError.unknownName("Unknown callback '\(className)'. Built from arguments: \(builtinCallbackClassNames.joined(separator: ", "))")
    }
    return try make(arguments)
}

/// The constructor arguments a built-in callback class reads, in order, with their defaults, as
/// the code below reads them; required ones are marked. For the catalogue.
final class CallbackArgumentProbe {
    private(set) var arguments: [(String, JSON?)] = []
    func record(_ key: String, _ d: JSON?) {
        if !arguments.contains(where: { $0.0 == key }) { arguments.append((key, d)) }
    }
}

/// The built-in callback classes that ``callback(className:arguments:)`` builds.
let builtinCallbackClassNames = ["EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "CSVLogger", "TerminateOnNaN", "PlotHistory",
                                  "TensorBoard", "SwapEMAWeights", "RemoteMonitor", "BackupAndRestore"]

/// The registry's builders of the built-in callbacks.
let builtinCallbacks: [(String, KerasObject)] = builtinCallbackClassNames.map { name in
    (name, .callback { arguments in try callback(className: name, arguments: arguments, probe: nil) })
}

func callback(className: String, arguments: JSON, probe: CallbackArgumentProbe?) throws -> Callback {
    guard let pairs = arguments.objectValue else {
        throw KerasError.invalidArgument("\(className): arguments must be a JSON object, got \(arguments)")
    }
    var used = Set<String>()
    func value(_ key: String) -> JSON? {
        used.insert(key)
        guard let v = arguments[key], !v.isNull else { return nil }
        return v
    }
    /// A required argument: present, or recorded as required by the probe.
    func required(_ key: String) -> Bool {
        if let probe { probe.record(key, nil); return true }
        return value(key) != nil
    }
    func double(_ key: String, _ d: Double) throws -> Double {
        probe?.record(key, .double(d))
        guard let v = value(key) else { return d }
        guard let x = v.doubleValue else { throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be a number") }
        return x
    }
    func optionalDouble(_ key: String) throws -> Double? {
        probe?.record(key, .null)
        return value(key) == nil ? nil : try double(key, 0)
    }
    func int(_ key: String, _ d: Int) throws -> Int {
        probe?.record(key, .int(d))
        guard let v = value(key) else { return d }
        if let b = v.boolValue { return b ? 1 : 0 }
        guard let x = v.intValue else { throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be an integer") }
        return x
    }
    func bool(_ key: String, _ d: Bool) throws -> Bool {
        probe?.record(key, .bool(d))
        guard let v = value(key) else { return d }
        guard let b = v.boolValue ?? v.intValue.map({ $0 != 0 }) else {
            throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be true or false")
        }
        return b
    }
    func string(_ key: String, _ d: String) throws -> String {
        probe?.record(key, .string(d))
        guard let v = value(key) else { return d }
        guard let s = v.stringValue else { throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be a string") }
        return s
    }

    let made: Callback
    switch className {
    case "EarlyStopping":
        made = try EarlyStopping(
            monitor: string("monitor", "val_loss"), minDelta: double("min_delta", 0), patience: int("patience", 0),
            verbose: int("verbose", 0), mode: MonitorCallback.Mode(keras: string("mode", "auto"), for: className),
            baseline: optionalDouble("baseline"), restoreBestWeights: bool("restore_best_weights", false),
            startFromEpoch: int("start_from_epoch", 0))
    case "ReduceLROnPlateau":
        made = try ReduceLROnPlateau(
            monitor: string("monitor", "val_loss"), factor: double("factor", 0.1), patience: int("patience", 10),
            verbose: int("verbose", 0), mode: MonitorCallback.Mode(keras: string("mode", "auto"), for: className),
            minDelta: double("min_delta", 1e-4), cooldown: int("cooldown", 0), minLR: double("min_lr", 0))
    case "CSVLogger":
        guard required("filename") else { throw KerasError.invalidArgument("CSVLogger: filename is required") }
        made = try CSVLogger(string("filename", ""), separator: string("separator", ","), append: bool("append", false))
    case "ModelCheckpoint":
        guard required("filepath") else { throw KerasError.invalidArgument("ModelCheckpoint: filepath is required") }
        let freq = try saveFrequency(value("save_freq"), className)
        made = try ModelCheckpoint(
            string("filepath", ""), monitor: string("monitor", "val_loss"), verbose: int("verbose", 0),
            saveBestOnly: bool("save_best_only", false), saveWeightsOnly: bool("save_weights_only", false),
            mode: MonitorCallback.Mode(keras: string("mode", "auto"), for: className), saveFreq: { probe?.record("save_freq", "epoch"); return freq }(),
            initialValueThreshold: optionalDouble("initial_value_threshold"))
    case "TerminateOnNaN":
        made = TerminateOnNaN(raiseError: try bool("raise_error", false))
    case "PlotHistory":
        guard required("path") else { throw KerasError.invalidArgument("PlotHistory: path is required") }
        probe?.record("title", .null)
        made = try PlotHistory(string("path", ""), title: value("title")?.stringValue)
    case "TensorBoard":
        made = try TensorBoard(
            logDir: string("log_dir", "logs"), histogramFreq: int("histogram_freq", 0), writeGraph: bool("write_graph", true),
            writeImages: bool("write_images", false), writeStepsPerSecond: bool("write_steps_per_second", false),
            updateFreq: { probe?.record("update_freq", "epoch"); return try tensorBoardUpdateFrequency(value("update_freq")) }(),
            profileBatch: { probe?.record("profile_batch", 0); return try tensorBoardProfileBatch(value("profile_batch")) }(),
            embeddingsFreq: int("embeddings_freq", 0),
            embeddingsMetadata: { probe?.record("embeddings_metadata", .null); return try tensorBoardEmbeddingsMetadata(value("embeddings_metadata")) }())
    case "BackupAndRestore":
        guard required("backup_dir") else { throw KerasError.invalidArgument("BackupAndRestore: backup_dir is required") }
        made = try BackupAndRestore(
            backupDir: string("backup_dir", ""), saveFreq: { probe?.record("save_freq", "epoch"); return try saveFrequency(value("save_freq"), className) }(),
            doubleCheckpoint: bool("double_checkpoint", false), deleteCheckpoint: bool("delete_checkpoint", true))
    case "SwapEMAWeights":
        made = SwapEMAWeights(swapOnEpoch: try bool("swap_on_epoch", false))
    case "RemoteMonitor":
        made = try RemoteMonitor(
            root: string("root", "http://localhost:9000"), path: string("path", "/publish/epoch/end/"), field: string("field", "data"),
            headers: { probe?.record("headers", .null); return try stringPairs(value("headers"), "RemoteMonitor(headers=...)") }(),
            sendAsJSON: bool("send_as_json", false))
    default:
        throw KerasError.unknownName("Unknown callback '\(className)'. Built from arguments: \(builtinCallbackClassNames.joined(separator: ", "))")
    }
    if let extra = pairs.map(\.0).first(where: { !used.contains($0) }) {
        throw KerasError.invalidArgument("\(className): unexpected argument '\(extra)'")
    }
    return made
}

/// Keras's `save_freq`: `"epoch"` or a number of batches.
private func saveFrequency(_ v: JSON?, _ className: String) throws -> ModelCheckpoint.SaveFrequency {
    guard let v, v.stringValue != "epoch" else { return .epoch }
    guard let n = v.intValue, v.boolValue == nil else {
        throw KerasError.invalidArgument("\(className)(save_freq=\(v)): must be 'epoch' or an integer")
    }
    return .batches(n)
}

/// Keras's `update_freq`: `"epoch"`, `"batch"` (every batch) or a number of batches.
private func tensorBoardUpdateFrequency(_ v: JSON?) throws -> TensorBoard.UpdateFrequency {
    guard let v else { return .epoch }
    switch v.stringValue {
    case "epoch": return .epoch
    case "batch": return .batches(1)
    default:
        guard let n = v.intValue, v.boolValue == nil else {
            throw KerasError.invalidArgument("TensorBoard(update_freq=\(v)): must be 'epoch', 'batch' or a positive integer")
        }
        return .batches(n)
    }
}

/// Keras's `profile_batch`: a batch, a pair `[start, stop]` or the string `"start,stop"`.
private func tensorBoardProfileBatch(_ v: JSON?) throws -> (start: Int, stop: Int) {
    guard let v else { return (0, 0) }
    // As Keras: an integer, or a list (or "start,stop" string) of exactly two.
    let parts: [Int?]
    if let s = v.stringValue {
        parts = s.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingSpaces) }
    } else if let a = v.arrayValue {
        parts = a.map(\.intValue)
    } else {
        parts = [v.boolValue == nil ? v.intValue : nil]
    }
    let numbers = parts.compactMap { $0 }
    guard numbers.count == parts.count, numbers.count == (v.stringValue != nil || v.arrayValue != nil ? 2 : 1) else {
        throw KerasError.invalidArgument("TensorBoard(profile_batch=\(v)): profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive integers signifies a range of batches to profile.")
    }
    return (numbers[0], numbers[numbers.count - 1])
}

/// Keras's `embeddings_metadata`: one file name, or a file name per Embedding layer name.
private func tensorBoardEmbeddingsMetadata(_ v: JSON?) throws -> TensorBoard.EmbeddingsMetadata? {
    guard let v else { return nil }
    if let s = v.stringValue { return .file(s) }
    return .byLayer(Dictionary(try stringPairs(v, "TensorBoard(embeddings_metadata=...)"), uniquingKeysWith: { _, b in b }))
}

/// A JSON object of strings as pairs (none for null).
private func stringPairs(_ v: JSON?, _ what: String) throws -> [(String, String)] {
    guard let v else { return [] }
    guard let pairs = v.objectValue else { throw KerasError.invalidArgument("\(what): must be a dict of strings, got \(v)") }
    return try pairs.map { k, x in
        guard let s = x.stringValue else { throw KerasError.invalidArgument("\(what): the value of '\(k)' must be a string, got \(x)") }
        return (k, s)
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
