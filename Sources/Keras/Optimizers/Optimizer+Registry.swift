extension Optimizer {
    /// The optimizer classes of this library by lowercased class name, as ``ObjectRegistry`` loads them.
    static let builtinClasses: [String: (JSON) throws -> Optimizer] = [
        "sgd": SGD.init(config:), "rmsprop": RMSprop.init(config:), "adagrad": Adagrad.init(config:),
        "adadelta": Adadelta.init(config:), "adam": Adam.init(config:), "adamax": Adamax.init(config:),
        "nadam": Nadam.init(config:), "adamw": AdamW.init(config:), "lion": Lion.init(config:),
        "adafactor": Adafactor.init(config:), "ftrl": Ftrl.init(config:), "lamb": Lamb.init(config:),
        "muon": Muon.init(config:), "schedulefreeadamw": ScheduleFreeAdamW.init(config:),
        "lossscaleoptimizer": LossScaleOptimizer.init(config:), "multioptimizer": MultiOptimizer.init(config:),
    ]

    /// An optimizer with Keras's defaults from its name, in any case (`"adam"`, `"SGD"`,
    /// `"rmsprop"`). Keras: `keras.optimizers.get("adam")`.
    public static func named(_ name: String) throws -> Optimizer {
        try from(className: name, config: [:])
    }

    /// An optimizer from its Keras class name (any case) and config; Keras 2's `lr` and `decay`
    /// are accepted. Keras: `keras.optimizers.deserialize({"class_name": ..., "config": ...})`.
    public static func from(className: String, config: JSON) throws -> Optimizer {
        if case .optimizer(let make)? = ObjectRegistry.lookupCustom(.optimizer, className) { return try make(config) }
        guard case .optimizer(let make)? = ObjectRegistry.builtin(.optimizer, className.lowercased()) else {
            throw KerasError.unknownName("Unknown optimizer '\(className)'. Known: \(ObjectRegistry.builtinNames(.optimizer).joined(separator: ", "))")
        }
        return try make(config)
    }

    /// An optimizer from a name or Keras's serialized form (`{"class_name": "Adam", "config": {...}}`).
    public static func deserialize(_ json: JSON) throws -> Optimizer {
        if let name = json.stringValue { return try named(name) }
        guard let className = json["class_name"]?.stringValue else {
            throw KerasError.invalidArgument("optimizer: expected a name or {\"class_name\": ..., \"config\": ...}, got \(json)")
        }
        return try from(className: className, config: json["config"] ?? [:])
    }

    /// Keras's serialized form: `{"module": "keras.optimizers", "class_name": ..., "config": ..., "registered_name": null}`.
    public var serialized: JSON {
        ["module": "keras.optimizers", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// Throws unless `value` lies in `range`.
func checkRange(_ owner: String, _ key: String, _ value: Double, _ range: ClosedRange<Double>) throws {
    guard range.contains(value) else {
        throw KerasError.invalidArgument("\(owner)(\(key): \(value)): \(key) must be in [\(range.lowerBound), \(range.upperBound)]")
    }
}

/// Throws unless `0 <= value < 1` (a decay rate whose powers must not reach 1).
func checkBeta(_ owner: String, _ key: String, _ value: Double) throws {
    guard value >= 0, value < 1 else {
        throw KerasError.invalidArgument("\(owner)(\(key): \(value)): \(key) must be in [0, 1)")
    }
}

/// Throws unless `value` is a finite number >= 0.
func checkNonNegative(_ owner: String, _ key: String, _ value: Double) throws {
    guard value >= 0, value.isFinite else {
        throw KerasError.invalidArgument("\(owner)(\(key): \(value)): \(key) must be a finite number >= 0")
    }
}
