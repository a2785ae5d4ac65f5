/// Reads the arguments of a Keras config (`{"learning_rate": 0.01, ...}`) with type checks,
/// and rejects keys nobody asked for, as Keras's `cls(**config)` does.
struct ConfigArguments {
    /// The object being built, for messages (`Adam`).
    let owner: String
    private var pairs: [(String, JSON)]
    private var used: Set<String> = []

    init(_ owner: String, _ config: JSON) throws {
        guard let object = config.objectValue else {
            throw KerasError.invalidArgument("\(owner): the config must be a JSON object, got \(config)")
        }
        self.owner = owner
        self.pairs = object
    }

    /// The raw value of `key`, or nil when absent or null.
    mutating func raw(_ key: String) -> JSON? {
        used.insert(key)
        guard let v = pairs.first(where: { $0.0 == key })?.1, !v.isNull else { return nil }
        return v
    }

    mutating func contains(_ key: String) -> Bool { pairs.contains { $0.0 == key } }

    mutating func double(_ key: String) throws -> Double? {
        guard let v = raw(key) else { return nil }
        if case .bool = v { throw typeError(key, v, "a number") }
        guard let d = v.doubleValue else { throw typeError(key, v, "a number") }
        return d
    }

    mutating func double(_ key: String, default value: Double) throws -> Double {
        try double(key) ?? value
    }

    mutating func int(_ key: String) throws -> Int? {
        guard let v = raw(key) else { return nil }
        guard let i = v.intValue else { throw typeError(key, v, "an integer") }
        return i
    }

    mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let v = raw(key) else { return value }
        guard let b = v.boolValue else { throw typeError(key, v, "true or false") }
        return b
    }

    mutating func string(_ key: String) throws -> String? {
        guard let v = raw(key) else { return nil }
        guard let s = v.stringValue else { throw typeError(key, v, "a string") }
        return s
    }

    mutating func doubles(_ key: String) throws -> [Double]? {
        guard let v = raw(key) else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, v, "a list of numbers") }
        return try a.map { e in
            guard let d = e.doubleValue else { throw typeError(key, v, "a list of numbers") }
            return d
        }
    }

    mutating func strings(_ key: String) throws -> [String]? {
        guard let v = raw(key) else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, v, "a list of strings") }
        return try a.map { e in
            guard let s = e.stringValue else { throw typeError(key, v, "a list of strings") }
            return s
        }
    }

    /// Throws when the config holds keys that were never read.
    func finish() throws {
        let unknown = pairs.map(\.0).filter { !used.contains($0) }
        guard unknown.isEmpty else {
            throw KerasError.invalidArgument("\(owner): argument(s) not recognized: \(unknown.joined(separator: ", "))")
        }
    }

    private func typeError(_ key: String, _ v: JSON, _ expected: String) -> KerasError {
        KerasError.invalidArgument("\(owner)(\(key): \(v)): \(key) must be \(expected)")
    }
}

extension JSON {
    /// A Keras number: an integer when it has no fraction (as Python prints `10`), else a double.
    static func number(_ v: Double) -> JSON {
        v == v.rounded() && Swift.abs(v) < 9e15 ? .int(Int(v)) : .double(v)
    }

    /// `nil` becomes JSON null.
    static func optional(_ v: Double?) -> JSON { v.map { .double($0) } ?? .null }
    static func optional(_ v: Int?) -> JSON { v.map { .int($0) } ?? .null }
    /// `nil` and non-finite values become JSON null (which has no NaN or infinity).
    static func finiteOrNull(_ v: Double?) -> JSON { v.flatMap { $0.isFinite ? .double($0) : nil } ?? .null }
}
