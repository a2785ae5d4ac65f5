/// Projects a weight after each optimizer update. Keras: `keras.constraints`.
///
/// Conform a type for a custom constraint, or wrap a closure in ``ConstraintFunction``.
public protocol Constraint {
    var className: String { get }
    var config: JSON { get }
    /// Rewrites the weight in place.
    func apply(_ w: Variable)
}

extension Constraint {
    public var serialized: JSON {
        ["module": "keras.constraints", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// Clips weights below zero. Keras: `NonNeg`.
public struct NonNeg: Constraint {
    public init() {}
    public var className: String { "NonNeg" }
    public var config: JSON { [:] }
    public func apply(_ w: Variable) {
        let p = w.mutableData
        for i in 0..<w.storedValue.count where p[i] < 0 { p[i] = 0 }
    }
}

/// Scales each column (norms along `axis`) so its norm is at most `maxValue`. Keras: `MaxNorm`.
public struct MaxNorm: Constraint {
    public var maxValue: Float, axis: Int
    /// Whether the config writes `max_value` as an int (`2`) or a float (`2.0`): Keras writes the
    /// Python number it was given (its default is the int 2). Nil: an int where it is whole.
    public var maxValueIsInt: Bool?
    public init(maxValue: Float = 2, axis: Int = 0, maxValueIsInt: Bool? = nil) throws {
        guard maxValue >= 0 else { throw KerasError.invalidArgument("MaxNorm(maxValue: \(maxValue)): must not be negative") }
        self.maxValue = maxValue; self.axis = axis; self.maxValueIsInt = maxValueIsInt
    }
    public var className: String { "MaxNorm" }
    /// Keras keeps the number given, and its default is the int 2: a whole number is written as
    /// one unless it was given (or read) as a float.
    public var config: JSON {
        let whole = maxValue.rounded() == maxValue && abs(maxValue) < 1e9 && maxValueIsInt != false
        return ["max_value": whole ? .int(Int(maxValue)) : .double(Double(maxValue)), "axis": .int(axis)]
    }
    public func apply(_ w: Variable) {
        rescaleNorms(w, axis: axis) { n in Swift.min(Swift.max(n, 0), maxValue) / (1e-7 + n) }
    }
}

/// Scales norms along `axis` by `factor(norm)` (the shared body of the norm constraints).
func rescaleNorms(_ w: Variable, axis: Int, _ factor: (Float) -> Float) {
    let t = w.storedValue
    guard t.rank > 0 else { return }
    let a = axis < 0 ? axis + t.rank : axis
    guard a >= 0 && a < t.rank else { return }
    let outer = t.shape[..<a].reduce(1, *), n = t.shape[a], inner = t.shape[(a + 1)...].reduce(1, *)
    let p = w.mutableData
    for o in 0..<outer {
        for i in 0..<inner {
            var s: Float = 0
            for k in 0..<n { let v = p[(o * n + k) * inner + i]; s += v * v }
            let f = factor(s.squareRoot())
            for k in 0..<n { p[(o * n + k) * inner + i] *= f }
        }
    }
}

/// Scales each column (norms along `axis`) to norm 1. Keras: `UnitNorm(axis=0)`.
public struct UnitNorm: Constraint {
    public var axis: Int
    public init(axis: Int = 0) { self.axis = axis }
    public var className: String { "UnitNorm" }
    public var config: JSON { ["axis": .int(axis)] }
    public func apply(_ w: Variable) {
        rescaleNorms(w, axis: axis) { n in 1 / (kerasEpsilon + n) }
    }
}

/// Keeps each column's norm within `[minValue, maxValue]`, moving it there at `rate` per step.
/// Keras: `MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)`.
public struct MinMaxNorm: Constraint {
    public var minValue: Float, maxValue: Float, rate: Float, axis: Int
    public init(minValue: Float = 0, maxValue: Float = 1, rate: Float = 1, axis: Int = 0) throws {
        guard minValue >= 0, maxValue >= minValue, minValue.isFinite, maxValue.isFinite else {
            throw KerasError.invalidArgument("MinMaxNorm(min_value: \(minValue), max_value: \(maxValue)): need 0 <= min_value <= max_value")
        }
        guard rate >= 0, rate <= 1 else {
            throw KerasError.invalidArgument("MinMaxNorm(rate: \(rate)): rate must be in [0, 1]")
        }
        self.minValue = minValue; self.maxValue = maxValue; self.rate = rate; self.axis = axis
    }
    public var className: String { "MinMaxNorm" }
    public var config: JSON {
        ["min_value": .double(Double(minValue)), "max_value": .double(Double(maxValue)), "rate": .double(Double(rate)), "axis": .int(axis)]
    }
    public func apply(_ w: Variable) {
        rescaleNorms(w, axis: axis) { n in
            let desired = rate * Swift.min(Swift.max(n, minValue), maxValue) + (1 - rate) * n
            return desired / (kerasEpsilon + n)
        }
    }
}

/// A custom constraint from a closure that maps the weight's value to its projected value.
///
/// ```swift
/// let clip = ConstraintFunction("clip") { w in Ops.clip(w, -1, 1) }
/// ```
public struct ConstraintFunction: Constraint {
    public let name: String
    let body: (Tensor) throws -> Tensor
    public init(_ name: String, _ body: @escaping (Tensor) throws -> Tensor) { self.name = name; self.body = body }
    public var className: String { name }
    public var config: JSON { [:] }
    /// Replaces the weight with the closure's result; a result of the wrong shape, or a closure
    /// that throws, leaves the weight unchanged (constraints run inside the optimizer step, which
    /// cannot fail half-way).
    public func apply(_ w: Variable) {
        guard let v = try? GradientTape.withoutRecording({ try body(w.storedValue) }), v.shape == w.shape else { return }
        try? w.assign(v)
    }
}

/// The built-in constraints by every name Keras accepts for them, with Keras's defaults.
private let constraintsByName = NamedBuiltins<Constraint>([
    (["max_norm", "MaxNorm", "maxnorm", "max_norm_constraint"], { try MaxNorm() }),
    (["non_neg", "NonNeg", "nonneg"], { NonNeg() }),
    (["unit_norm", "UnitNorm", "unitnorm"], { UnitNorm() }),
    (["min_max_norm", "MinMaxNorm"], { try MinMaxNorm() }),
])

/// Every name ``constraint(named:)`` accepts.
let builtinConstraintNames = constraintsByName.names

/// The registry's builders of the built-in constraints, one per accepted name.
let builtinConstraints: [(String, KerasObject)] = builtinConstraintNames.map { name in
    (name, .constraint { config in try constraintsByName.make(name, config) { try builtinConstraint(name, config: $0) } })
}

private func unknownConstraint(_ name: String) -> KerasError {
    .unknownName("Unknown constraint '\(name)'. Known: max_norm, non_neg, unit_norm, min_max_norm and their class names")
}

/// A constraint by Keras name or class name with Keras's defaults (`"max_norm"`, `"NonNeg"`,
/// `"unit_norm"`, `"min_max_norm"`), from the registry (custom ones first).
public func constraint(named name: String) throws -> Constraint {
    guard case .constraint(let make)? = ObjectRegistry.lookup(.constraint, name) else { throw unknownConstraint(name) }
    return try make(.object([]))
}

/// A constraint from a Keras class name and config, from the registry. Keras: `constraints.deserialize`.
public func constraint(className: String, config: JSON) throws -> Constraint {
    guard case .constraint(let make)? = ObjectRegistry.lookup(.constraint, className) else { throw unknownConstraint(className) }
    return try make(config)
}

/// A built-in constraint from its class name and a non-empty config.
private func builtinConstraint(_ className: String, config: JSON) throws -> Constraint {
    func f(_ key: String, _ d: Float) throws -> Float {
        guard let v = config[key], !v.isNull else { return d }
        guard let x = v.doubleValue else {
            throw KerasError.invalidArgument("\(className) config: '\(key)' must be a number, got \(v)")
        }
        return Float(x)
    }
    let axis = config["axis"]?.intValue ?? 0
    switch className {
    case "MaxNorm", "max_norm":
        var isInt: Bool?   // as given: `2.0` stays a float in the config written back
        if case .double? = config["max_value"] { isInt = false } else if case .int? = config["max_value"] { isInt = true }
        return try MaxNorm(maxValue: f("max_value", 2), axis: axis, maxValueIsInt: isInt)
    case "UnitNorm", "unit_norm": return UnitNorm(axis: axis)
    case "MinMaxNorm", "min_max_norm":
        return try MinMaxNorm(minValue: f("min_value", 0), maxValue: f("max_value", 1), rate: f("rate", 1), axis: axis)
    default:
        guard let made = try constraintsByName.make(className) else { throw unknownConstraint(className) }
        return made
    }
}
