/// Builds a built-in callback from its Keras class name and constructor arguments, as the C ABI
/// and the Python shim pass them (`{"monitor": "val_loss", "patience": 4, "verbose": 1}`).
/// Callbacks made of code (LearningRateScheduler, LambdaCallback) are built in Swift instead.
///
/// ```swift
/// let early = try callback(className: "EarlyStopping", arguments: ["patience": 4, "verbose": 1])
/// ```
public func callback(className: String, arguments: JSON) throws -> Callback {
    guard let pairs = arguments.objectValue else {
        throw KerasError.invalidArgument("\(className): arguments must be a JSON object, got \(arguments)")
    }
    var used = Set<String>()
    func value(_ key: String) -> JSON? {
        used.insert(key)
        guard let v = arguments[key], !v.isNull else { return nil }
        return v
    }
    func double(_ key: String, _ d: Double) throws -> Double {
        guard let v = value(key) else { return d }
        guard let x = v.doubleValue else { throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be a number") }
        return x
    }
    func optionalDouble(_ key: String) throws -> Double? { value(key) == nil ? nil : try double(key, 0) }
    func int(_ key: String, _ d: Int) throws -> Int {
        guard let v = value(key) else { return d }
        if let b = v.boolValue { return b ? 1 : 0 }
        guard let x = v.intValue else { throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be an integer") }
        return x
    }
    func bool(_ key: String, _ d: Bool) throws -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v.boolValue ?? v.intValue.map({ $0 != 0 }) else {
            throw KerasError.invalidArgument("\(className)(\(key)=\(v)): must be true or false")
        }
        return b
    }
    func string(_ key: String, _ d: String) throws -> String {
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
        guard value("filename") != nil else { throw KerasError.invalidArgument("CSVLogger: filename is required") }
        made = try CSVLogger(string("filename", ""), separator: string("separator", ","), append: bool("append", false))
    case "ModelCheckpoint":
        guard value("filepath") != nil else { throw KerasError.invalidArgument("ModelCheckpoint: filepath is required") }
        var freq = ModelCheckpoint.SaveFrequency.epoch
        if let f = value("save_freq"), f.stringValue != "epoch" {
            guard let n = f.intValue else { throw KerasError.invalidArgument("ModelCheckpoint(save_freq=\(f)): must be 'epoch' or an integer") }
            freq = .batches(n)
        }
        made = try ModelCheckpoint(
            string("filepath", ""), monitor: string("monitor", "val_loss"), verbose: int("verbose", 0),
            saveBestOnly: bool("save_best_only", false), saveWeightsOnly: bool("save_weights_only", false),
            mode: MonitorCallback.Mode(keras: string("mode", "auto"), for: className), saveFreq: freq,
            initialValueThreshold: optionalDouble("initial_value_threshold"))
    case "TerminateOnNaN":
        made = TerminateOnNaN(raiseError: try bool("raise_error", false))
    case "PlotHistory":
        guard value("path") != nil else { throw KerasError.invalidArgument("PlotHistory: path is required") }
        made = try PlotHistory(string("path", ""), title: value("title")?.stringValue)
    default:
        throw KerasError.unknownName("Unknown callback '\(className)'. Built from arguments: EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, CSVLogger, TerminateOnNaN, PlotHistory")
    }
    if let extra = pairs.map(\.0).first(where: { !used.contains($0) }) {
        throw KerasError.invalidArgument("\(className): unexpected argument '\(extra)'")
    }
    return made
}
