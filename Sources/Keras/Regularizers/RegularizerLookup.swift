/// The built-in regularizers by every name Keras accepts for them, with Keras's defaults:
/// `"l1"`/`"L1"` (0.01), `"l2"`/`"L2"` (0.01), `"l1l2"`/`"L1L2"` (0, 0, as Keras 3), `"l1_l2"`
/// (0.01, 0.01, Keras 2's function), `"orthogonal_regularizer"`/`"OrthogonalRegularizer"`.
private let regularizersByName = NamedBuiltins<Regularizer>([
    (["l1", "L1"], { try L1() }),
    (["l2", "L2"], { try L2() }),
    (["l1l2", "L1L2"], { try L1L2() }),
    (["l1_l2"], { try L1L2(l1: 0.01, l2: 0.01) }),
    (["orthogonal_regularizer", "OrthogonalRegularizer"], { try OrthogonalRegularizer() }),
])

/// Every name ``regularizer(named:)`` accepts.
let builtinRegularizerNames = regularizersByName.names

/// The registry's builders of the built-in regularizers, one per accepted name.
let builtinRegularizers: [(String, KerasObject)] = builtinRegularizerNames.map { name in
    (name, .regularizer { config in try regularizersByName.make(name, config) { try builtinRegularizer(name, config: $0) } })
}

private func unknownRegularizer(_ name: String) -> KerasError {
    .unknownName("Unknown regularizer '\(name)'. Known: l1, l2, l1l2, l1_l2, orthogonal_regularizer and their class names")
}

/// A regularizer by Keras name or class name with Keras's defaults (``regularizersByName``),
/// from the registry (custom ones first).
public func regularizer(named name: String) throws -> Regularizer {
    guard case .regularizer(let make)? = ObjectRegistry.lookup(.regularizer, name) else { throw unknownRegularizer(name) }
    return try make(.object([]))
}

/// A regularizer from a Keras class name and config (`{"l2": 0.01}`), from the registry.
/// Keras: `regularizers.deserialize`.
public func regularizer(className: String, config: JSON) throws -> Regularizer {
    guard case .regularizer(let make)? = ObjectRegistry.lookup(.regularizer, className) else { throw unknownRegularizer(className) }
    return try make(config)
}

/// A built-in regularizer from its class name and a non-empty config.
private func builtinRegularizer(_ className: String, config: JSON) throws -> Regularizer {
    func f(_ key: String, _ d: Float) throws -> Float {
        guard let v = config[key], !v.isNull else { return d }
        guard let x = v.doubleValue else {
            throw KerasError.invalidArgument("\(className) config: '\(key)' must be a number, got \(v)")
        }
        return Float(x)
    }
    switch className {
    case "L1", "l1": return try L1(f("l1", 0.01))
    case "L2", "l2": return try L2(f("l2", 0.01))
    case "L1L2", "l1l2", "l1_l2": return try L1L2(l1: f("l1", 0), l2: f("l2", 0))
    case "OrthogonalRegularizer", "orthogonal_regularizer":
        return try OrthogonalRegularizer(factor: f("factor", 0.01), mode: config["mode"]?.stringValue ?? "rows")
    default:
        guard let made = try regularizersByName.make(className) else { throw unknownRegularizer(className) }
        return made
    }
}
