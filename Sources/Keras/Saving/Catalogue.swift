/// Every object a config or a string argument can name, built-in and custom, with constructor
/// arguments in Keras's order and Keras's defaults: what the C ABI's `keras_catalog_json` returns
/// and what the Python binding makes its classes from (DESIGN: one source of truth).
///
/// Everything here is read from the library's own lookups and objects: layer defaults from
/// `getConfig()` of an instance, initializer/regularizer/constraint/metric defaults from the
/// `config` of the object each name resolves to, callback arguments as their builder reads them,
/// and custom objects from the registry (global, and the calling thread's scopes).
public enum Catalogue {
    /// `{"version": "0.1.0", "layers": {...}, "activations": [...], "losses": {...},
    /// "metrics": {...}, "optimizers": {...}, "schedules": {...}, "initializers": {...},
    /// "regularizers": {...}, "constraints": {...}, "callbacks": {...}, "builtin_functions": [...]}`.
    public static var json: JSON {
        [
            "version": .string(version),
            "layers": ObjectRegistry.layerCatalogue,
            "activations": activations,
            "losses": losses,
            "metrics": metrics,
            "optimizers": optimizers,
            "schedules": LearningRateSchedule.catalogue,
            "initializers": family("keras.initializers", builtinInitializerNames, .initializer,
                                   named: { try initializer(named: $0) },
                                   byClass: { try initializer(className: $0, config: [:]) }, \.className,
                                   { initializerConstructorOrder($0.config) }),
            "regularizers": family("keras.regularizers", builtinRegularizerNames, .regularizer,
                                   named: { try regularizer(named: $0) },
                                   byClass: { try regularizer(className: $0, config: [:]) }, \.className, \.config),
            "constraints": family("keras.constraints", builtinConstraintNames, .constraint,
                                  named: { try constraint(named: $0) },
                                  byClass: { try constraint(className: $0, config: [:]) }, \.className, \.config),
            "callbacks": callbacks,
            "builtin_functions": .array(ObjectRegistry.kerasFunctionNames.sorted().map { .string($0) }),
        ]
    }

    /// Sorted names: built-in (with aliases), then custom ones visible on this thread.
    static var activations: JSON {
        let names = Set(ActivationFunction.builtins.keys).union(ObjectRegistry.customNames(.activation))
        return .array(names.sorted().map { .string($0) })
    }

    static var losses: JSON {
        var out = Loss.catalogue.objectValue ?? []
        for name in ObjectRegistry.customNames(.loss) where !out.contains(where: { $0.0 == name }) {
            out.append((name, custom(name, names: [name])))
        }
        return .object(out)
    }

    static var optimizers: JSON {
        var out = Optimizer.catalogue.objectValue ?? []
        for name in ObjectRegistry.customNames(.optimizer) { out.append((name, custom(name))) }
        return .object(out)
    }

    /// Metric classes with the names `compile(metrics=[...])` accepts for them and the arguments
    /// of their config; `"accuracy"` also picks binary/categorical/sparse accuracy from the shapes,
    /// and every loss name is accepted as a metric too.
    static var metrics: JSON {
        var byClass: [String: (names: [String], config: JSON)] = [:]
        var order: [String] = []
        for name in Metric.builtinMetrics.keys.sorted() {
            guard let make = Metric.builtinMetrics[name], let m = try? make() else { continue }
            if byClass[m.className] == nil { order.append(m.className); byClass[m.className] = ([], m.config) }
            byClass[m.className]?.names.append(name)
        }
        var out: [(String, JSON)] = order.sorted().map { cls in
            let e = byClass[cls] ?? ([], [:])
            return (cls, ["module": "keras.metrics", "args": arguments(of: e.config, dropping: ["name", "dtype"]),
                          "names": .array(e.names.map { .string($0) })])
        }
        // Classes with required arguments, and the metric twins of losses, which no name finds.
        for (cls, required) in Metric.classesByConfigOnly where byClass[cls] == nil {
            guard let m = try? Metric.from(className: cls, config: .object(required)) else { continue }
            let rest = arguments(of: m.config, dropping: Set(["name", "dtype"] + required.map(\.0))).arrayValue ?? []
            let args = required.map { ["name": .string($0.0), "required": true] as JSON } + rest
            out.append((cls, ["module": "keras.metrics", "args": .array(args), "names": []]))
        }
        out.sort { $0.0 < $1.0 }
        out = out.map { cls, entry in
            guard Metric.kerasNumbersNames.contains(cls) else { return (cls, entry) }
            var numbered = entry
            numbered.set("auto_name", true)
            return (cls, numbered)
        }
        for name in ObjectRegistry.customNames(.metric)
        where !out.contains(where: { $0.0 == name }) {
            out.append((name, custom(name, names: [name])))
        }
        return .object(out)
    }

    static var callbacks: JSON {
        var out: [(String, JSON)] = builtinCallbackClassNames.map { cls in
            let probe = CallbackArgumentProbe()
            _ = try? callback(className: cls, arguments: [:], probe: probe)
            let args: [JSON] = probe.arguments.map { name, d in
                d.map { ["name": .string(name), "default": $0] } ?? ["name": .string(name), "required": true]
            }
            return (cls, ["module": "keras.callbacks", "args": .array(args)])
        }
        for name in ObjectRegistry.customNames(.callback) { out.append((name, custom(name))) }
        return .object(out)
    }

    /// Classes of one family with their names and default config, from the family's lookups.
    private static func family<T>(_ module: String, _ names: [String], _ kind: KerasObjectKind,
                                  named: (String) throws -> T, byClass: (String) throws -> T,
                                  _ className: (T) -> String, _ config: (T) -> JSON) -> JSON {
        var classes: [String] = []
        var aliases: [String: [String]] = [:]
        for n in names {
            guard let object = try? named(n) else { continue }
            let cls = className(object)
            if aliases[cls] == nil { classes.append(cls) }
            aliases[cls, default: []].append(n)
        }
        var out: [(String, JSON)] = classes.sorted().map { cls in
            let defaults = (try? byClass(cls)).map(config) ?? [:]
            return (cls, ["module": .string(module), "args": arguments(of: defaults, dropping: []),
                          "names": .array((aliases[cls] ?? []).map { .string($0) })])
        }
        for name in ObjectRegistry.customNames(kind) where !out.contains(where: { $0.0 == name }) {
            out.append((name, custom(name, names: [name])))
        }
        return .object(out)
    }

    /// An initializer's config in Keras's constructor order: Keras's get_config() puts the base
    /// class's `seed` first, its constructors take it after their own arguments
    /// (`RandomNormal(mean, stddev, seed)`), before `input_axes`/`output_axes`.
    static func initializerConstructorOrder(_ config: JSON) -> JSON {
        let pairs = config.objectValue ?? []
        let trailing: Set<String> = ["seed", "input_axes", "output_axes"]
        let own = pairs.filter { !trailing.contains($0.0) }
        let rest = ["seed", "input_axes", "output_axes"].compactMap { k in pairs.first { $0.0 == k } }
        return .object(own + rest)
    }

    private static func arguments(of config: JSON, dropping: Set<String>) -> JSON {
        .array((config.objectValue ?? []).filter { !dropping.contains($0.0) }.map { ["name": .string($0.0), "default": plain($0.1)] })
    }

    /// A default as Keras writes it: a float32 argument (`0.3` stored as Float) with its shortest
    /// float32 digits rather than the double expansion 0.30000001192092896.
    static func plain(_ j: JSON) -> JSON {
        switch j {
        case .double(let d):
            let f = Float(d)
            guard d.isFinite, Double(f) == d, let short = Double("\(f)") else { return j }
            return .double(short)
        case .array(let a): return .array(a.map(plain))
        case .object(let o): return .object(o.map { ($0.0, plain($0.1)) })
        default: return j
        }
    }

    private static func custom(_ name: String, names: [String]? = nil) -> JSON {
        var entry: JSON = ["module": "custom", "registered_name": .string(name), "custom": true, "args": []]
        if let names { entry.set("names", .array(names.map { .string($0) })) }
        return entry
    }
}
