/// The families of objects that configs name and the registry can find.
public enum KerasObjectKind: String, Sendable, CaseIterable {
    case layer, loss, metric, activation, initializer, regularizer, constraint, optimizer, callback
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

/// Global table of custom objects plus the built-in layer classes. Keras:
/// `keras.saving.get_registered_object` / `_GLOBAL_CUSTOM_OBJECTS`.
///
/// Lookup order follows Keras: the innermost ``CustomObjectScope`` of the calling thread, then
/// the global custom objects, then the built-ins.
public enum ObjectRegistry {
    static let mutex = Mutex()
    nonisolated(unsafe) private static var custom: [RegistryKey: KerasObject] = [:]
    nonisolated(unsafe) static var layers: [String: (LayerConfig) throws -> Layer] = BuiltinLayers.all

    /// Registers `object` under `name` (use `"Package>Name"` as Keras does) for every thread,
    /// replacing an earlier object of the same family and name.
    public static func register(_ name: String, _ object: KerasObject) {
        mutex.withLock { custom[RegistryKey(object.kind, name)] = object }
    }

    /// Forgets a globally registered name (in one family, or in every family when `kind` is nil).
    public static func unregister(_ name: String, kind: KerasObjectKind? = nil) {
        mutex.withLock {
            for k in KerasObjectKind.allCases where kind == nil || kind == k { custom.removeValue(forKey: RegistryKey(k, name)) }
        }
    }

    /// Whether `name` is registered globally in family `kind`.
    public static func isRegistered(_ name: String, kind: KerasObjectKind) -> Bool {
        mutex.withLock { custom[RegistryKey(kind, name)] != nil }
    }

    /// The names of every custom object of `kind` visible on the calling thread: its scopes,
    /// then the global table, without duplicates, sorted.
    public static func customNames(_ kind: KerasObjectKind) -> [String] {
        let global = mutex.withLock { custom.keys.filter { $0.kind == kind }.map(\.name) }
        return Array(Set(CustomObjectScope.names(kind) + global)).sorted()
    }

    /// Registers a built-in layer class by its Keras class name (for layers of this library).
    public static func registerLayer(_ className: String, _ build: @escaping (LayerConfig) throws -> Layer) {
        mutex.withLock { layers[className] = build }
    }

    /// The Keras class names of every built-in layer.
    public static var layerClassNames: [String] { mutex.withLock { layers.keys.sorted() } }

    /// A custom object named `name` of `kind`: from the scopes, then the global table. Names may
    /// be given with or without their `Package>` prefix.
    public static func lookupCustom(_ kind: KerasObjectKind, _ name: String) -> KerasObject? {
        if let o = CustomObjectScope.lookup(kind, name) { return o }
        let global = mutex.withLock { () -> KerasObject? in
            if let o = custom[RegistryKey(kind, name)] { return o }
            // A bare class name finds "Package>Name" when exactly one package registered it.
            let matches = custom.filter { $0.key.kind == kind && $0.key.name.hasSuffix(">" + name) }
            return matches.count == 1 ? matches.first?.value : nil
        }
        return global
    }

    /// Whether `className` is a layer class of this library.
    static func isBuiltinLayer(_ className: String) -> Bool { mutex.withLock { BuiltinLayers.all[className] != nil || layers[className] != nil } }

    /// The `"Package>Name"` under which a class named `className` was registered globally, if any.
    static func registeredName(of className: String, _ kind: KerasObjectKind) -> String? {
        mutex.withLock {
            custom.keys.filter { $0.kind == kind && $0.name.hasSuffix(">" + className) }.map(\.name).sorted().first
        }
    }

    /// The builder of the layer class `className` (custom first, then built-in).
    static func layerBuilder(_ className: String, registeredName: String?) -> ((LayerConfig) throws -> Layer)? {
        for n in [registeredName, className].compactMap({ $0 }) {
            if case .layer(let b)? = lookupCustom(.layer, n) { return b }
        }
        return mutex.withLock { layers[className] }
    }

    /// The error for a class the registry does not know, saying how to register it.
    static func unknown(_ kind: KerasObjectKind, _ name: String) -> KerasError {
        .unknownName("Unknown \(kind.rawValue) class '\(name)'. If it is a custom \(kind.rawValue), register it with registerKerasSerializable(package:name:_:) (then it is saved as 'Package>\(name)') or pass it in customObjects / a CustomObjectScope: [\"\(name)\": .\(kind.rawValue)(...)]")
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
}
