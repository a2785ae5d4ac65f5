/// The Keras config of a built-in loss, metric, optimizer, learning-rate schedule, initializer,
/// regularizer or constraint made from the arguments a user gave: what Keras's `get_config()`
/// returns for the same object, every key in Keras's order with its default filled in (the
/// Python binding's `get_config`, through `keras_object_config`).
///
/// - Parameters:
///   - kind: the object's family.
///   - className: a built-in class name (`"Adam"`, `"CategoricalCrossentropy"`).
///   - config: the constructor arguments given, as Keras config JSON (`{"from_logits": true}`).
/// - Returns: `{"module", "class_name", "config", "registered_name"}`, as Keras serializes it.
public func builtinObjectSerialized(kind: KerasObjectKind, className: String, config: JSON) throws -> JSON {
    let given = config.isNull ? JSON.object([]) : config
    guard given.objectValue != nil else {
        throw KerasError.invalidArgument("\(className) config must be a JSON object, got \(config)")
    }
    switch kind {
    case .loss: return serializedLoss(try Loss.from(className: className, config: given))
    case .metric: return pythonFloats(try Metric.from(className: className, config: given).serialized)
    case .optimizer: return serializeOptimizer(try Optimizer.from(className: className, config: given))
    case .schedule: return pythonFloats(try LearningRateSchedule.from(className: className, config: given).serialized)
    case .initializer, .regularizer, .constraint: break
    case .layer, .activation, .callback, .function:
        throw KerasError.invalidArgument("\(kind.rawValue) objects have no config of this kind: losses, metrics, "
            + "optimizers, schedules, initializers, regularizers and constraints do")
    }
    switch ObjectRegistry.builtin(kind, className) {
    case .initializer(let make)?: return pythonFloats(try make(given).serialized)
    case .constraint(let make)?: return pythonFloats(try make(given).serialized)
    case .regularizer(let make)?: return serializedRegularizer(try make(given))
    default:
        throw KerasError.unknownName("Unknown \(kind.rawValue) class '\(className)': not a built-in \(kind.rawValue) of this library")
    }
}

/// A regularizer as Keras's `get_config` writes it: ``pythonFloats(_:)`` keeps the float32 values
/// Keras keeps (`L1`'s `l1`, `OrthogonalRegularizer`'s `factor`).
func serializedRegularizer(_ r: Regularizer) -> JSON { pythonFloats(r.serialized) }
