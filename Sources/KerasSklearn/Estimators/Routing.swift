/// A parameter value as a Keras config value.
func jsonValue(_ v: ParamValue, owner: String, key: String) throws -> JSON {
    switch v {
    case .int(let i): return .int(i)
    case .double(let d): return .double(d)
    case .string(let s): return .string(s)
    case .bool(let b): return .bool(b)
    case .none: return .null
    case .array(let a): return .array(try a.map { try jsonValue($0, owner: owner, key: key) })
    case .dict(let d): return .object(try d.keys.sorted().map { ($0, try jsonValue(d[$0]!, owner: owner, key: key)) })
    case .object(let o):
        throw KerasError.invalidArgument("\(owner): \(key) = <\(type(of: o))> cannot be passed to a Keras config")
    }
}

/// Routed `prefix__<name>` arguments as a Keras config object, keys sorted.
func routedConfig(_ kw: Params, prefix: String, owner: String) throws -> JSON {
    .object(try kw.keys.sorted().map { ($0, try jsonValue(kw[$0]!, owner: owner, key: prefix + $0)) })
}

/// Builds an optimizer from its Keras name and the routed `optimizer__<name>` arguments, as
/// SciKeras instantiates `optimizer(**optimizer__kwargs)`: unknown arguments are rejected.
enum OptimizerFactory {
    static func make(_ name: String, _ kw: Params, owner: String) throws -> Optimizer {
        do {
            return try Optimizer.from(className: name, config: routedConfig(kw, prefix: "optimizer__", owner: owner))
        } catch let e as KerasError {
            throw KerasError.invalidArgument("\(owner): optimizer '\(name)' with \(kw.isEmpty ? "no arguments" : "optimizer__ arguments \(kw.pythonDescription)"): \(e.message)")
        }
    }
}

/// Builds a loss from its Keras name and the routed `loss__<name>` arguments
/// (`loss__from_logits`, `loss__label_smoothing`).
enum LossFactory {
    static func make(_ name: String, _ kw: Params, owner: String) throws -> LossSpec {
        do {
            if kw.isEmpty {
                _ = try Loss.named(name)
                return .name(name)
            }
            return .instance(try Loss.from(className: name, config: routedConfig(kw, prefix: "loss__", owner: owner)))
        } catch let e as KerasError {
            throw KerasError.invalidArgument("\(owner): loss '\(name)'\(kw.isEmpty ? "" : " with loss__ arguments \(kw.pythonDescription)"): \(e.message)")
        }
    }

    /// The Keras function name for the crossentropy losses' names, class names and aliases.
    static func canonical(_ name: String) -> String {
        switch name {
        case "categorical_crossentropy", "CategoricalCrossentropy", "cce": return "categorical_crossentropy"
        case "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "scce": return "sparse_categorical_crossentropy"
        case "binary_crossentropy", "BinaryCrossentropy", "bce": return "binary_crossentropy"
        default: return name
        }
    }
}
