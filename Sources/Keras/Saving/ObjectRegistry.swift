/// The families of objects that configs name and the registry holds.
public enum KerasObjectKind: String, Sendable, CaseIterable {
    case layer, loss, metric, activation, initializer, regularizer, constraint, optimizer, callback, schedule
    /// A function that a `Lambda` layer's config names.
    case function
}

/// A custom (or built-in) object as the registry holds it: how to build it from its Keras config.
///
/// Registered globally with ``registerKerasSerializable(package:name:_:)`` or for a region of
/// code with ``CustomObjectScope``; found when a config or a string argument names it.
/// ```swift
/// registerKerasSerializable(package: "Custom", name: "Scale", .layer { c in try Scale(config: c) })
/// let model = try loadModel("scale.keras")          // finds "Custom>Scale"
/// ```
public enum KerasObject: @unchecked Sendable {
    case layer((LayerConfig) throws -> Layer)
    case loss((JSON) throws -> Loss)
    case metric((JSON) throws -> Metric)
    case activation(ActivationFunction)
    case initializer((JSON) throws -> Initializer)
    case regularizer((JSON) throws -> Regularizer)
    case constraint((JSON) throws -> Constraint)
    case optimizer((JSON) throws -> Optimizer)
    case callback((JSON) throws -> Callback)
    case schedule((JSON) throws -> LearningRateSchedule)
    /// The function of a `Lambda` layer, over its list of inputs. Keras: a registered function.
    case function(([Tensor]) throws -> Tensor)

    /// The family this object belongs to.
    public var kind: KerasObjectKind {
        switch self {
        case .layer: return .layer
        case .loss: return .loss
        case .metric: return .metric
        case .activation: return .activation
        case .initializer: return .initializer
        case .regularizer: return .regularizer
        case .constraint: return .constraint
        case .optimizer: return .optimizer
        case .callback: return .callback
        case .schedule: return .schedule
        case .function: return .function
        }
    }
}

/// A registered name within its family: a loss and an activation may share a name.
struct RegistryKey: Hashable {
    let kind: KerasObjectKind
    let name: String
    init(_ kind: KerasObjectKind, _ name: String) {
        self.kind = kind
        self.name = name
    }
}

/// The one table of named objects, built-in and custom, of every family. Keras:
/// `keras.saving.get_registered_object` over `_GLOBAL_CUSTOM_OBJECTS` and the built-in modules.
///
/// Lookup order follows Keras: the innermost ``CustomObjectScope`` of the calling thread, then
/// the global custom objects, then the built-ins. The table is locked, so parallel fits may
/// register and look up at the same time; the built-ins are loaded once, on first use (layers
/// from their declarations, see ``LayerDeclaration``).
public enum ObjectRegistry {
    /// One name of one family: the library's object, and a custom one registered under the
    /// same name (which hides it until unregistered).
    struct Entry {
        var builtin: KerasObject?
        var custom: KerasObject?
    }

    private static let mutex = Mutex()
    nonisolated(unsafe) private static var table: [RegistryKey: Entry] = [:]
    nonisolated(unsafe) private static var builtinsLoaded = false
    /// The custom `Package>Name` registrations by family and every name they end with after a
    /// `>` (`Name`): a bare class name finds its packaged registration with one probe, not a scan
    /// of the table (`import swiftkeras` registers two application layers, so a scan would run
    /// at every name a model config looks up). Guarded by `mutex`, as the table.
    nonisolated(unsafe) private static var packaged: [RegistryKey: Set<String>] = [:]

    /// The keys of `packaged` that `name` is found under: what follows each of its `>`.
    private static func bareNames(_ name: String, _ kind: KerasObjectKind) -> [RegistryKey] {
        name.indices.filter { name[$0] == ">" }.map { RegistryKey(kind, String(name[name.index(after: $0)...])) }
    }

    /// Runs `body` on the table under the lock, adding the built-ins first if needed.
    private static func withTable<T>(_ body: (inout [RegistryKey: Entry]) throws -> T) rethrows -> T {
        let builtins = builtinObjects  // gathered outside the lock: a declaration may look names up
        return try mutex.withLock {
            if !builtinsLoaded {
                builtinsLoaded = true
                for (key, object) in builtins { table[key, default: Entry()].builtin = object }
            }
            return try body(&table)
        }
    }

    /// Every built-in object by family and name, from each family's own list, gathered once.
    private static let builtinObjects: [(RegistryKey, KerasObject)] = {
        var out: [(RegistryKey, KerasObject)] = []
        for d in LayerDeclaration.builtins {
            for n in [d.className] + d.aliases { out.append((RegistryKey(.layer, n), .layer(d.make))) }
        }
        for (n, make) in Loss.builtinClasses { out.append((RegistryKey(.loss, n), .loss(make))) }
        for (n, make) in Optimizer.builtinClasses { out.append((RegistryKey(.optimizer, n), .optimizer(make))) }
        for (n, make) in LearningRateSchedule.builtinClasses { out.append((RegistryKey(.schedule, n), .schedule(make))) }
        for (n, a) in ActivationFunction.builtins { out.append((RegistryKey(.activation, n), .activation(a))) }
        for (n, make) in Metric.builtinMetrics { out.append((RegistryKey(.metric, n), .metric { _ in try make() })) }
        for (n, object) in builtinInitializers + builtinRegularizers + builtinConstraints + builtinCallbacks {
            out.append((RegistryKey(object.kind, n), object))
        }
        return out
    }()

    /// Registers `object` under `name` (use `"Package>Name"` as Keras does) for every thread,
    /// replacing an earlier custom object of the same family and name. `byBareName`: whether a
    /// bare name may find it (``lookupCustom(_:_:byPackage:)``); false for a class known by its
    /// module (``moduleQualifiedName(module:className:)``), which only an entry of that module
    /// finds, as Keras finds an unregistered class by nothing else.
    public static func register(_ name: String, _ object: KerasObject, byBareName: Bool = true) {
        withTable { t in
            let key = RegistryKey(object.kind, name)
            t[key, default: Entry()].custom = object
            for bare in bareNames(name, object.kind) {
                if byBareName { packaged[bare, default: []].insert(name) } else { packaged[bare]?.remove(name) }
                if packaged[bare]?.isEmpty == true { packaged[bare] = nil }
            }
        }
    }

    /// Forgets a globally registered name (in one family, or in every family when `kind` is nil).
    public static func unregister(_ name: String, kind: KerasObjectKind? = nil) {
        withTable { t in
            for k in KerasObjectKind.allCases where kind == nil || kind == k {
                let key = RegistryKey(k, name)
                t[key]?.custom = nil
                for bare in bareNames(name, k) {
                    packaged[bare]?.remove(name)
                    if packaged[bare]?.isEmpty == true { packaged[bare] = nil }
                }
            }
        }
    }

    /// Whether `name` is registered globally as a custom object of family `kind`.
    public static func isRegistered(_ name: String, kind: KerasObjectKind) -> Bool {
        withTable { $0[RegistryKey(kind, name)]?.custom != nil }
    }

    /// The names of every custom object of `kind` visible on the calling thread: its scopes,
    /// then the global table, without duplicates, sorted.
    public static func customNames(_ kind: KerasObjectKind) -> [String] {
        let global = withTable { t in t.filter { $0.key.kind == kind && $0.value.custom != nil }.map(\.key.name) }
        return Array(Set(CustomObjectScope.names(kind) + global)).sorted()
    }

    /// The names of the library's own objects of `kind`, sorted.
    public static func builtinNames(_ kind: KerasObjectKind) -> [String] {
        withTable { t in t.filter { $0.key.kind == kind && $0.value.builtin != nil }.map(\.key.name) }.sorted()
    }

    /// The Keras class names of every built-in layer.
    public static var layerClassNames: [String] { builtinNames(.layer) }

    /// A custom object named `name` of `kind`: from the scopes, then the global table. Names may
    /// be given with or without their `Package>` prefix. `byPackage`: whether a bare name may
    /// also find the one `Package>Name` registered (false: exactly the name given).
    public static func lookupCustom(_ kind: KerasObjectKind, _ name: String, byPackage: Bool = true) -> KerasObject? {
        if let o = CustomObjectScope.lookup(kind, name) { return o }
        return withTable { t -> KerasObject? in
            if let o = t[RegistryKey(kind, name)]?.custom { return o }
            guard byPackage else { return nil }
            // A bare class name finds "Package>Name" when exactly one package registered it and
            // the library has no built-in of that name (a Python activation registered as
            // "swiftkeras.ops.nn>gelu" must not replace the built-in "gelu": Keras's bare names
            // are its own).
            guard t[RegistryKey(kind, name)]?.builtin == nil,
                  let names = packaged[RegistryKey(kind, name)], names.count == 1, let only = names.first else { return nil }
            return t[RegistryKey(kind, only)]?.custom
        }
    }

    /// The library's own object of `kind` named `name`, ignoring custom objects.
    public static func builtin(_ kind: KerasObjectKind, _ name: String) -> KerasObject? {
        withTable { $0[RegistryKey(kind, name)]?.builtin }
    }

    /// The object of `kind` named `name` in Keras's order: scopes, global custom objects, built-ins.
    public static func lookup(_ kind: KerasObjectKind, _ name: String) -> KerasObject? {
        lookupCustom(kind, name) ?? builtin(kind, name)
    }

    /// Whether `className` is a layer class of this library.
    static func isBuiltinLayer(_ className: String) -> Bool { builtin(.layer, className) != nil }

    /// The `"Package>Name"` under which a class named `className` was registered globally, if any.
    static func registeredName(of className: String, _ kind: KerasObjectKind) -> String? {
        // Only the packaged index is read: it is guarded by the table's lock, and the built-ins
        // (which withTable loads) are never in it.
        mutex.withLock { packaged[RegistryKey(kind, className)]?.sorted().first }
    }

    /// The key a class written in a plugin language (Python) that is used but not registered is
    /// known by: its module and its name (`my_module>StochasticDepth`), never the bare name, so
    /// that using a class registers nothing a later config's bare name finds in place of the
    /// library's own class (Keras finds such a class by its config's `module` and `class_name`).
    /// A config's null module is Python's `__main__`, as Keras writes it.
    public static func moduleQualifiedName(module: String?, className: String) -> String {
        "\(module ?? "__main__")>\(className)"
    }

    /// The builder of the layer class `className` in Keras's order: the name it was registered
    /// under (scopes, then global), its class by `module` (``moduleQualifiedName(module:className:)``;
    /// `module`: nil where the entry has none, `.null` for Python's `__main__`), a bare name's
    /// one packaged registration, then the built-in.
    static func layerBuilder(_ className: String, registeredName: String?, module: JSON? = nil) -> ((LayerConfig) throws -> Layer)? {
        if case .layer(let b)? = lookupClass(.layer, className, registeredName: registeredName, module: module) { return b }
        guard case .layer(let b)? = builtin(.layer, className) else { return nil }
        return b
    }

    /// The custom class of `kind` a config's entry names, in Keras's order (a layer, a metric
    /// class): its registered name (scopes, then global), its class by `module`
    /// (``moduleQualifiedName(module:className:)``; nil where the entry has none), then a bare
    /// name's one packaged registration; nil where the built-in is Keras's answer.
    static func lookupClass(_ kind: KerasObjectKind, _ className: String, registeredName: String?, module: JSON?) -> KerasObject? {
        let qualified = module.map { moduleQualifiedName(module: $0.stringValue, className: className) }
        let names = [registeredName, qualified, className].compactMap { $0 }
        for byPackage in [false, true] {
            for n in names {
                if let o = lookupCustom(kind, n, byPackage: byPackage) { return o }
            }
        }
        return nil
    }

    /// The function of `kind` (a loss, a metric) written in a plugin language that a config's
    /// `{"module", "class_name": "function", "config": name}` entry names by its module: a Python
    /// function used but not registered is known only as `module>name`, so that using it puts
    /// nothing under a bare name (a user's `mse` leaves the built-in `"mse"` to every other
    /// model, as in Keras). Keras writes every function's module as `builtins`: such an entry (or
    /// one without a module) names no module key.
    static func lookupFunction(_ kind: KerasObjectKind, _ name: String, module: JSON?) -> KerasObject? {
        guard let m = module?.stringValue, m != "builtins" else { return nil }
        return lookupCustom(kind, moduleQualifiedName(module: m, className: name), byPackage: false)
    }

    /// The built-in functions a `{"module": "builtins", "class_name": "function", "config": name}`
    /// entry finds when no custom object has that name: Keras 3.15.1 looks `keras.<family>.<name>`
    /// up in its exported names' first (canonical) spellings only (serialization_lib's
    /// `_retrieve_class_or_fn` over `BUILTIN_MODULES`), so an alias such as `mse`, `mae`, `acc`
    /// or `logcosh` is not located there (a string `"mse"` in a compile config still is).
    static let kerasFunctionNames: Set<String> = [
        // keras.activations
        "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
        "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6",
        "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
        "sparse_sigmoid", "sparsemax", "squareplus", "tanh", "tanh_shrink", "threshold",
        // keras.losses
        "categorical_generalized_cross_entropy", "circle", "cosine_similarity", "ctc", "dice",
        "huber", "log_cosh", "tversky",
        // keras.metrics
        "binary_accuracy", "binary_crossentropy", "binary_focal_crossentropy", "categorical_accuracy",
        "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
        "concordance_correlation", "hinge", "kl_divergence", "mean_absolute_error",
        "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
        "pearson_correlation", "poisson", "sparse_categorical_accuracy",
        "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy", "squared_hinge",
        "top_k_categorical_accuracy",
    ]

    /// Whether a function entry naming `name` may be read as the library's built-in: Keras finds
    /// a built-in for an entry of module `builtins` by its canonical name only
    /// (``kerasFunctionNames``); a custom object of that name (scopes, global) is found first.
    static func builtinFunctionLocated(_ kind: KerasObjectKind, _ name: String, entry: JSON) -> Bool {
        entry["module"]?.stringValue != "builtins" || kerasFunctionNames.contains(name)
            || lookupCustom(kind, name) != nil
    }

    /// The error for a class the registry does not know, saying how to register it.
    static func unknown(_ kind: KerasObjectKind, _ name: String) -> KerasError {
        .unknownName("Unknown \(kind.rawValue) class '\(name)'. \(advice(kind, name))")
    }

    /// The error for a function a config's entry names (`{"class_name": "function", "config":
    /// name}`: a loss, a metric, an activation) that is neither registered nor in scope: Keras's
    /// `Could not locate function` (a TypeError in Python: ``notLocatedPrefix``), with the entry.
    /// `what`: `"class"` for a Keras 3 entry of a class (it has a `module`) found nowhere.
    static func notLocated(_ kind: KerasObjectKind, _ name: String, entry: JSON, what: String = "function") -> KerasError {
        .unknownName("\(notLocatedPrefix)\(what) '\(name)'. \(advice(kind, name)) Full object config: \(entry)")
    }

    /// How every ``notLocated(_:_:entry:what:)`` message starts (the C ABI reports it with the kind
    /// Python raises as TypeError, as Keras's `_retrieve_class_or_fn`).
    public static let notLocatedPrefix = "Could not locate "

    private static func advice(_ kind: KerasObjectKind, _ name: String) -> String {
        "If it is a custom \(kind.rawValue), register it with registerKerasSerializable(package:name:_:) (then it is saved as 'Package>\(name)') or pass it in customObjects / a CustomObjectScope: [\"\(name)\": .\(kind.rawValue)(...)]"
    }
}

/// Registers a custom object globally under `"package>name"`. Keras:
/// `@keras.saving.register_keras_serializable(package="Custom", name=...)`.
///
/// ```swift
/// registerKerasSerializable(package: "Custom", name: "Scale", .layer { c in try Scale(config: c) })
/// ```
public func registerKerasSerializable(package: String = "Custom", name: String, _ object: KerasObject) {
    ObjectRegistry.register("\(package)>\(name)", object)
}

/// The built-in objects of one kind (initializers, regularizers, constraints) by every name Keras
/// accepts for them: the one list both the lookup and the catalogue read.
struct NamedBuiltins<T> {
    let entries: [(names: [String], make: () throws -> T)]

    init(_ entries: [(names: [String], make: () throws -> T)]) { self.entries = entries }

    /// Every accepted name, in table order.
    var names: [String] { entries.flatMap(\.names) }

    /// A new object for `name` with Keras's defaults, or nil when `name` is not built in.
    func make(_ name: String) throws -> T? {
        try entries.first { $0.names.contains(name) }?.make()
    }

    /// The registry's builder for `name`: Keras's defaults for an empty config (a string
    /// reference), otherwise `fromConfig` (the family's reading of a serialized config).
    func make(_ name: String, _ config: JSON, fromConfig: (JSON) throws -> T) throws -> T {
        if config.objectValue?.isEmpty ?? config.isNull, let made = try make(name) { return made }
        return try fromConfig(config)
    }
}
