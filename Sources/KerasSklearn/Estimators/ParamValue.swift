import Keras

/// One hyperparameter value, as scikit-learn's `get_params()` holds it: a number, a string, a
/// flag, a list, a dictionary (`class_weight`), `none`, or an object such as a callback.
///
/// Literals make grids read like Python:
/// ```swift
/// let grid: [String: [ParamValue]] = ["model__hidden": [8, 16], "optimizer": ["adam", "sgd"]]
/// ```
public enum ParamValue: Equatable, CustomStringConvertible, @unchecked Sendable,
                        ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
                        ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case array([ParamValue])
    case dict([String: ParamValue])
    case object(AnyObject)
    case none

    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ParamValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .none }

    public static func == (a: ParamValue, b: ParamValue) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.dict(x), .dict(y)): return x == y
        case let (.object(x), .object(y)): return x === y
        case (.none, .none): return true
        default: return false
        }
    }

    /// Python-like text: `16`, `0.001`, `'adam'`, `[8, 16]`, `None`.
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .string(let v): return "'\(v)'"
        case .bool(let v): return v ? "True" : "False"
        case .array(let v): return "[" + v.map(\.description).joined(separator: ", ") + "]"
        case .dict(let v): return "{" + v.keys.sorted().map { "'\($0)': \(v[$0]!.description)" }.joined(separator: ", ") + "}"
        case .object(let o): return "<\(type(of: o))>"
        case .none: return "None"
        }
    }

    /// The value as an integer (a double with no fraction counts).
    public var intValue: Int? {
        switch self {
        case .int(let v): return v
        case .double(let v) where v.rounded() == v && abs(v) < 1e15: return Int(v)
        default: return nil
        }
    }

    /// The value as a double (integers convert).
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        default: return nil
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [ParamValue]? { if case .array(let a) = self { return a }; return nil }
    public var isNone: Bool { if case .none = self { return true }; return false }
}

/// Parameters by scikit-learn key (`epochs`, `model__hidden`, `optimizer__learning_rate`).
public typealias Params = [String: ParamValue]

extension Dictionary where Key == String, Value == ParamValue {
    /// Python-like text with sorted keys: `{'epochs': 50, 'model__hidden': 8}`.
    public var pythonDescription: String {
        "{" + keys.sorted().map { "'\($0)': \(self[$0]!.description)" }.joined(separator: ", ") + "}"
    }
}

/// Typed reads of parameters with errors that name the owner, the key and the value.
struct ParamReader {
    let owner: String
    let params: Params

    func int(_ key: String, default d: Int) throws -> Int {
        guard let v = params[key], !v.isNone else { return d }
        guard let i = v.intValue else { throw bad(key, v, "an integer") }
        return i
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = params[key], !v.isNone else { return nil }
        guard let i = v.intValue else { throw bad(key, v, "an integer or None") }
        return i
    }

    func double(_ key: String, default d: Double) throws -> Double {
        guard let v = params[key], !v.isNone else { return d }
        guard let x = v.doubleValue else { throw bad(key, v, "a number") }
        return x
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = params[key], !v.isNone else { return d }
        if let b = v.boolValue { return b }
        if let i = v.intValue, i == 0 || i == 1 { return i == 1 }
        throw bad(key, v, "True or False")
    }

    /// fit's `shuffle`: True, False or Keras's "batch" (rows shuffled within each batch).
    func shuffle(_ key: String, default d: Bool) throws -> Shuffle {
        guard let v = params[key], !v.isNone else { return Shuffle(d) }
        if v.stringValue == "batch" { return .batch }
        if let b = v.boolValue { return Shuffle(b) }
        if let i = v.intValue, i == 0 || i == 1 { return Shuffle(i == 1) }
        throw bad(key, v, "True, False or \"batch\"")
    }

    func string(_ key: String) throws -> String? {
        guard let v = params[key], !v.isNone else { return nil }
        guard let s = v.stringValue else { throw bad(key, v, "a string") }
        return s
    }

    func bad(_ key: String, _ v: ParamValue, _ expected: String) -> KerasError {
        .invalidArgument("\(owner): parameter '\(key)' must be \(expected), got \(v)")
    }
}
