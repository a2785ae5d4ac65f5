import Keras

/// Reads a JSON options object (`{"epochs": 10, "batch_size": 32}`), refusing unknown keys and
/// values of the wrong type, so that a typo is an error rather than a silently ignored option.
struct Options {
    let json: JSON
    let what: String
    private var allowed: Set<String>

    init(_ json: JSON, what: String, allowed: [String]) throws {
        guard let pairs = json.objectValue else {
            throw ABIError(.invalidArgument, "\(what) must be a JSON object, got \(json.description.prefix(80))")
        }
        self.json = json
        self.what = what
        self.allowed = Set(allowed)
        if let bad = pairs.map(\.0).first(where: { !self.allowed.contains($0) }) {
            throw ABIError(.invalidArgument, "\(what): unknown option '\(bad)'; known options are \(allowed.joined(separator: ", "))")
        }
    }

    private func value(_ key: String) -> JSON? {
        guard let v = json[key], !v.isNull else { return nil }
        return v
    }

    func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw ABIError(.invalidArgument, "\(what): '\(key)' must be an integer, got \(v)") }
        return i
    }

    func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue else { throw ABIError(.invalidArgument, "\(what): '\(key)' must be a number, got \(v)") }
        return d
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue ?? v.intValue.map({ $0 != 0 }) else {
            throw ABIError(.invalidArgument, "\(what): '\(key)' must be true or false, got \(v)")
        }
        return b
    }

    /// fit's `shuffle`: true, false or "batch" (Keras's values).
    func shuffle(_ key: String) throws -> Shuffle? {
        guard let v = value(key) else { return nil }
        if v.stringValue == "batch" { return .batch }
        guard let b = v.boolValue ?? v.intValue.map({ $0 != 0 }) else {
            throw ABIError(.invalidArgument, "\(what): '\(key)' must be true, false or \"batch\", got \(v)")
        }
        return Shuffle(b)
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw ABIError(.invalidArgument, "\(what): '\(key)' must be a string, got \(v)") }
        return s
    }

    /// `{"0": 1.0, "1": 5.0}`: class index to weight.
    func classWeight(_ key: String) throws -> [Int: Float]? {
        guard let v = value(key) else { return nil }
        guard let pairs = v.objectValue else { throw ABIError(.invalidArgument, "\(what): '\(key)' must be an object of class index to weight") }
        var out: [Int: Float] = [:]
        for (k, w) in pairs {
            guard let i = Int(k), let d = w.doubleValue else {
                throw ABIError(.invalidArgument, "\(what): '\(key)' entry \"\(k)\": \(w) is not class index → number")
            }
            out[i] = Float(d)
        }
        return out
    }
}

/// Figures as a JSON object of numbers, keys in the given order.
func jsonObject(_ pairs: [(String, Double)], perClass: [String: [Double]] = [:]) -> JSON {
    .object(pairs.map { k, v in (k, perClass[k].map(jsonNumbers) ?? (v.isFinite ? .double(v) : .null)) })
}

/// A History as `{"loss": [...], ...}`; a per-class metric (F1Score(average=None)) as one list
/// of class values per epoch, as Keras's history holds arrays.
func historyJSON(_ history: History) -> String {
    historyJSON(history.history, perClass: history.perClass, keys: orderedKeys(history.history.keys)).description
}

/// Per-epoch figures as `{"loss": [...], ...}` in the order of `keys`; a per-class metric as one
/// list of class values per epoch.
func historyJSON(_ h: [String: [Double]], perClass: [String: [[Double]]], keys: [String]) -> JSON {
    .object(keys.map { k in
        (k, perClass[k].map { .array($0.map(jsonNumbers)) } ?? jsonNumbers(h[k] ?? []))
    })
}

/// Numbers as JSON, the non-finite as null.
private func jsonNumbers(_ values: [Double]) -> JSON { .array(values.map { $0.isFinite ? .double($0) : .null }) }

/// Keras's order for log keys: alphabetical, validation figures last.
func orderedKeys(_ keys: some Sequence<String>) -> [String] {
    keys.sorted { a, b in
        let va = a.hasPrefix("val_"), vb = b.hasPrefix("val_")
        return va == vb ? a < b : !va
    }
}
