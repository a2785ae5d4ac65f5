/// Reading the Keras config of small objects: activations, initializers, regularizers,
/// constraints, losses, metrics and optimizers. Each accepts what Keras 3 writes
/// (`{"module", "class_name", "config", "registered_name"}`), Keras 2's `{"class_name", "config"}`
/// and plain strings, and consults custom objects (scopes, then the global registry) first.

/// The class name and config of a serialized object, or the name when it is a string.
struct SerializedObject {
    let className: String
    let registeredName: String?
    let config: JSON

    init(_ j: JSON, what: String) throws {
        if let s = j.stringValue {
            className = s; registeredName = nil; config = .object([]); return
        }
        guard let cls = j["class_name"]?.stringValue else {
            throw KerasError.io("\(what): expected a name or an object with 'class_name', got \(j.description.prefix(80))")
        }
        className = cls
        registeredName = j["registered_name"]?.stringValue
        config = j["config"] ?? .object([])
    }

    /// Names to try in the registry, most specific first.
    var names: [String] {
        var out: [String] = []
        if let r = registeredName, r != "function", r != className { out.append(r) }
        out.append(className)
        return out
    }
}

/// An activation from a config value: `"relu"`, `{"class_name": "function", "config": "relu"}`, null.
public func deserializeActivation(_ j: JSON) throws -> ActivationFunction {
    if j.isNull { return .linear }
    if let s = j.stringValue { return try ActivationFunction.named(s) }
    let o = try SerializedObject(j, what: "activation")
    if o.className == "function", let name = o.config.stringValue {
        return try located(.activation, name, entry: j) { try ActivationFunction.named(name) }
    }
    for n in o.names { if case .activation(let a)? = ObjectRegistry.lookupCustom(.activation, n) { return a } }
    throw ObjectRegistry.unknown(.activation, o.registeredName ?? o.className)
}

/// `find()`'s object, the function a config's entry names; Keras's `Could not locate function`
/// where no object of that name is known (ObjectRegistry.notLocated), or where only a built-in
/// is and Keras finds none by that name (ObjectRegistry.builtinFunctionLocated: `mse`).
private func located<T>(_ kind: KerasObjectKind, _ name: String, entry: JSON, _ find: () throws -> T) throws -> T {
    guard ObjectRegistry.builtinFunctionLocated(kind, name, entry: entry) else {
        throw ObjectRegistry.notLocated(kind, name, entry: entry)
    }
    do {
        return try find()
    } catch let e as KerasError {
        guard case .unknownName = e else { throw e }
        throw ObjectRegistry.notLocated(kind, name, entry: entry)
    }
}

/// An initializer from a config value (`"glorot_uniform"` or a serialized object), from the
/// registry: custom initializers first, then the built-ins.
public func deserializeInitializer(_ j: JSON) throws -> Initializer {
    try deserialize(j, .initializer) { if case .initializer(let make) = $0 { make } else { nil } }
}

/// A regularizer from a config value (`"l2"` or `{"class_name": "L2", "config": {"l2": 0.01}}`).
/// An entry of module `keras.regularizers` with no registered name is the built-in class, as
/// Keras reads it, whatever custom class shares its name (a Python `OrthogonalRegularizer`).
public func deserializeRegularizer(_ j: JSON) throws -> Regularizer {
    if j["module"]?.stringValue == "keras.regularizers", j["registered_name"]?.stringValue == nil,
       let name = j["class_name"]?.stringValue, case .regularizer(let make)? = ObjectRegistry.builtin(.regularizer, name) {
        return try make(j["config"] ?? .object([]))
    }
    return try deserialize(j, .regularizer) { if case .regularizer(let make) = $0 { make } else { nil } }
}

/// A constraint from a config value (`"non_neg"` or a serialized object).
public func deserializeConstraint(_ j: JSON) throws -> Constraint {
    try deserialize(j, .constraint) { if case .constraint(let make) = $0 { make } else { nil } }
}

/// An object of `kind` from a name or a serialized object: the registry's builder for its
/// registered name or class name, given its config (empty for a name: Keras's defaults).
private func deserialize<T>(_ j: JSON, _ kind: KerasObjectKind,
                            _ builder: (KerasObject) -> ((JSON) throws -> T)?) throws -> T {
    let o = try SerializedObject(j, what: kind.rawValue)
    for n in o.names {
        if let object = ObjectRegistry.lookup(kind, n), let make = builder(object) { return try make(o.config) }
    }
    throw ObjectRegistry.unknown(kind, o.registeredName ?? o.className)
}

/// A loss from a compile config value: a name, a serialized function or a serialized class.
public func deserializeLoss(_ j: JSON) throws -> Loss {
    let o = try SerializedObject(j, what: "loss")
    if o.className == "function", let name = o.config.stringValue {
        // (found by its module: made with the bare name it is written with)
        if case .loss(let make)? = ObjectRegistry.lookupFunction(.loss, name, module: j["module"]) { return try make(o.config) }
        return try located(.loss, name, entry: j) { try Loss.named(name) }
    }
    for n in o.names { if case .loss(let make)? = ObjectRegistry.lookupCustom(.loss, n) { return try make(o.config) } }
    do {
        return j.stringValue != nil ? try Loss.named(o.className) : try Loss.from(className: o.className, config: o.config)
    } catch let e as KerasError {
        guard case .unknownName = e else { throw e }
        throw ObjectRegistry.unknown(.loss, o.registeredName ?? o.className)
    }
}

/// The loss part of a compile config as `compile` takes it: one spec per output, nil for an
/// output without a loss (`null`).
func deserializeLossSpecs(_ j: JSON) throws -> [LossSpec?] {
    if let list = j.arrayValue { return try list.map(lossSpec) }
    if let obj = j.objectValue, j["class_name"] == nil { return try obj.map { try lossSpec($0.1) } }
    return [try lossSpec(j)]
}

private func lossSpec(_ j: JSON) throws -> LossSpec? {
    if j.isNull { return nil }
    if let s = j.stringValue { _ = try Loss.named(s); return .name(s) }
    return .instance(try deserializeLoss(j))
}

/// The metrics part of a compile config: one list per output.
func deserializeMetricSpecs(_ j: JSON?) throws -> [[MetricSpec]] {
    guard let j, !j.isNull else { return [] }
    guard let list = j.arrayValue else {
        if let obj = j.objectValue { return try obj.map { try deserializeMetricSpecs($0.1).first ?? [] } }
        return [[try metricSpec(j)]]
    }
    if list.contains(where: { $0.arrayValue != nil }) {
        return try list.map { item in try (item.arrayValue ?? [item]).filter { !$0.isNull }.map(metricSpec) }
    }
    return [try list.map(metricSpec)]
}

/// One metric from its entry in a compile config (a name, or a Keras `{"class_name", "config"}`
/// object: a built-in class or a registered custom one, a Python or C plugin), made as compile
/// makes it; a name is resolved with its default arguments.
public func deserializeMetric(_ j: JSON) throws -> Metric {
    switch try metricSpec(j) {
    case .instance(let m): return m
    case .name(let n): return try Metric.named(n)
    case .function(let n, let f): return MeanMetricWrapper(name: n, f)
    }
}

private func metricSpec(_ j: JSON) throws -> MetricSpec {
    if let s = j.stringValue {
        if case .metric(let make)? = ObjectRegistry.lookupCustom(.metric, s) { return .instance(try make(.object([]))) }
        return .name(s)
    }
    let o = try SerializedObject(j, what: "metric")
    if o.className == "function", let name = o.config.stringValue {
        // A registered function (a C or Python metric) is the metric it makes, written back so;
        // one found by its module is made with the bare name it is written with.
        if case .metric(let make)? = ObjectRegistry.lookupFunction(.metric, name, module: j["module"]) {
            return .instance(try make(o.config))
        }
        if case .metric(let make)? = ObjectRegistry.lookupCustom(.metric, name) { return .instance(try make(.object([]))) }
        let lower = name.lowercased()
        try located(.metric, name, entry: j) { if lower != "accuracy", lower != "acc" { _ = try Metric.named(name) } }
        return .name(name)
    }
    if case .metric(let make)? = ObjectRegistry.lookupClass(.metric, o.className, registeredName: o.registeredName,
                                                             module: j["module"]) {
        return .instance(try make(o.config))
    }
    do {
        let m = try Metric.from(className: o.className, config: o.config)
        return .instance(m)
    } catch let e as KerasError {
        guard case .unknownName = e else { throw e }
        throw ObjectRegistry.unknown(.metric, o.registeredName ?? o.className)
    }
}

/// An optimizer from `{"class_name": "Adam", "config": {...}}` (or its name); Keras 2's `lr` and
/// `decay` are accepted.
public func deserializeOptimizer(_ j: JSON) throws -> Optimizer {
    let o = try SerializedObject(j, what: "optimizer")
    for n in o.names { if case .optimizer(let make)? = ObjectRegistry.lookupCustom(.optimizer, n) { return try make(o.config) } }
    do {
        return try Optimizer.from(className: o.className, config: o.config)
    } catch let e as KerasError {
        if case .unknownName = e { throw ObjectRegistry.unknown(.optimizer, o.registeredName ?? o.className) }
        throw e
    }
}

extension Optional {
    func orThrow(_ e: @autoclosure () -> Error) throws -> Wrapped {
        guard let v = self else { throw e() }
        return v
    }
}
