import Keras

/// A Keras model config with named holes that an estimator's `model__<name>` parameters fill, so
/// that a grid or randomized search can vary the model itself (`model__hidden: [8, 16, 32]`)
/// where no Swift builder function can be passed: from C, Python or a JSON file.
///
/// A hole is a JSON object `{"$param": "hidden"}` (required) or
/// `{"$param": "hidden", "default": 16}` anywhere in the config; each fit replaces it with the
/// value of `model__hidden` (any JSON value: a number, a string, a list of layer configs...).
/// ```swift
/// let t = try ModelTemplate("""
///   {"class_name": "Sequential", "config": {"layers": [
///     {"class_name": "InputLayer", "config": {"batch_shape": [null, 4]}},
///     {"class_name": "Dense", "config": {"units": {"$param": "hidden", "default": 8}, "activation": "relu"}},
///     {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}}
///   """)
/// let clf = KerasClassifier(modelTemplate: t, params: ["loss": "sparse_categorical_crossentropy"])
/// let search = GridSearchCV(clf, ["model__hidden": [4, 8, 16]], cv: 3)
/// ```
public struct ModelTemplate: @unchecked Sendable {
    /// The template's text, as given.
    public let text: String
    /// The parsed template.
    public let json: JSON
    /// Each hole's name and default (nil: required).
    public let parameters: [(name: String, default: JSON?)]

    public init(_ text: String) throws {
        let json = try JSONParser.parse(text)
        var found: [(name: String, default: JSON?)] = []
        try ModelTemplate.collect(json, into: &found)
        guard !found.isEmpty else {
            throw KerasError.invalidArgument("model template: no {\"$param\": name} placeholder; use a plain model config instead")
        }
        self.text = text
        self.json = json
        self.parameters = found
    }

    /// Whether `j` holds a `{"$param": ...}` placeholder anywhere.
    public static func hasPlaceholders(_ j: JSON) -> Bool {
        switch j {
        case .object(let pairs): return j["$param"] != nil || pairs.contains { hasPlaceholders($0.1) }
        case .array(let items): return items.contains(where: hasPlaceholders)
        default: return false
        }
    }

    private static func collect(_ j: JSON, into found: inout [(name: String, default: JSON?)]) throws {
        switch j {
        case .object(let pairs):
            if let p = j["$param"] {
                guard let name = p.stringValue, !name.isEmpty else {
                    throw KerasError.invalidArgument("model template: \"$param\" must be a parameter name, got \(p)")
                }
                if let bad = pairs.map(\.0).first(where: { $0 != "$param" && $0 != "default" }) {
                    throw KerasError.invalidArgument("model template: placeholder '\(name)' has an unknown key '\(bad)' (only \"$param\" and \"default\")")
                }
                let d = j["default"]
                if let i = found.firstIndex(where: { $0.name == name }) {
                    // The same hole may appear several times; a default given once applies to all.
                    if found[i].default == nil { found[i].default = d }
                } else {
                    found.append((name, d))
                }
                return
            }
            for (_, v) in pairs { try collect(v, into: &found) }
        case .array(let items):
            for v in items { try collect(v, into: &found) }
        default:
            return
        }
    }

    /// The model config with every hole filled from `values` (keys without `model__`), or from
    /// the hole's default.
    public func config(_ values: Params) throws -> JSON {
        let names = parameters.map(\.name)
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw KerasError.invalidArgument("model__\(unknown) is not a parameter of the model template (its parameters: \(names.joined(separator: ", ")))")
        }
        var filled: [String: JSON] = [:]
        for (name, d) in parameters {
            if let v = values[name] {
                filled[name] = try ModelTemplate.json(v, "model__\(name)")
            } else if let d {
                filled[name] = d
            } else {
                throw KerasError.invalidArgument("model template parameter '\(name)' has no default: set model__\(name)")
            }
        }
        return ModelTemplate.fill(json, filled)
    }

    private static func fill(_ j: JSON, _ values: [String: JSON]) -> JSON {
        switch j {
        case .object(let pairs):
            if let name = j["$param"]?.stringValue, let v = values[name] { return v }
            return .object(pairs.map { ($0.0, fill($0.1, values)) })
        case .array(let items): return .array(items.map { fill($0, values) })
        default: return j
        }
    }

    /// A parameter value as JSON (objects such as callbacks cannot go into a config).
    static func json(_ v: ParamValue, _ what: String) throws -> JSON {
        switch v {
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let a): return .array(try a.map { try json($0, what) })
        case .dict(let d): return .object(try d.keys.sorted().map { ($0, try json(d[$0] ?? .none, what)) })
        case .object(let o): throw KerasError.invalidArgument("\(what): a \(type(of: o)) cannot go into a model config")
        }
    }
}
