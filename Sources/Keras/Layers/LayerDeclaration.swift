import KerasSections

/// A layer class whose constructor arguments are declared once, in its own file: its config,
/// its loading, the C catalogue's signature and the Python class all come from ``declaration``.
///
/// ```swift
/// extension RepeatVector: DeclaredLayer {
///     public static let declaration = LayerDeclaration(RepeatVector.self, arguments: [
///         .required("n", \.n),
///     ]) { c in try RepeatVector(c.int("n"), name: c.name) }
/// }
/// @section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RepeatVector.self, $0) }
/// ```
/// The `record` line makes the class a built-in: the registry finds every such record in the
/// linked program (this library's, a test target's, an app's), so no central list names it.
public protocol DeclaredLayer: Layer {
    /// The class's Keras name, constructor arguments and builder.
    static var declaration: LayerDeclaration { get }
}

extension DeclaredLayer {
    /// Rebuilds a layer of this class from its Keras config. Keras: `cls.from_config(config)`.
    public static func fromConfig(_ c: LayerConfig) throws -> Layer { try declaration.make(c) }
}

/// What a layer file puts in the `keras_layers` linker section: a function that hands the
/// registry the file's ``LayerDeclaration`` (see ``LayerDeclaration/record(_:_:)``).
public typealias LayerRecord = @convention(c) (UnsafeMutableRawPointer) -> Void

/// One constructor argument of a layer class as Keras declares it: its name, whether it is
/// required or its default (in Keras's config form), and how `get_config()` reads it from an
/// instance. Keras: an argument of the layer's `__init__` and a key of its `get_config()`.
public struct LayerArgument<L: Layer> {
    let name: String
    /// nil for a required argument.
    let defaultValue: JSON?
    /// The config value of an instance; nil when `get_config()` does not write the argument
    /// (or, returning nil, when it leaves it out for this instance).
    let read: ((L) -> JSON?)?

    /// An argument the constructor requires (`Dense(units)`).
    public static func required<V: LayerArgumentValue>(_ name: String, _ path: KeyPath<L, V>) -> Self {
        Self(name: name, defaultValue: nil, read: { $0[keyPath: path].configValue })
    }

    /// An argument with a default.
    public static func optional<V: LayerArgumentValue>(_ name: String, _ path: KeyPath<L, V>, default d: V) -> Self {
        Self(name: name, defaultValue: d.configValue, read: { $0[keyPath: path].configValue })
    }

    /// An initializer argument, written as Keras serializes initializers.
    public static func optional(_ name: String, _ path: KeyPath<L, Initializer>, default d: Initializer) -> Self {
        Self(name: name, defaultValue: d.serialized, read: { $0[keyPath: path].serialized })
    }

    /// A regularizer argument (none by default).
    public static func optional(_ name: String, _ path: KeyPath<L, Regularizer?>) -> Self {
        Self(name: name, defaultValue: .null, read: { $0[keyPath: path]?.serialized ?? .null })
    }

    /// A constraint argument (none by default).
    public static func optional(_ name: String, _ path: KeyPath<L, Constraint?>) -> Self {
        Self(name: name, defaultValue: .null, read: { $0[keyPath: path]?.serialized ?? .null })
    }

    /// An argument whose config value `read` computes; returning nil leaves the key out.
    public static func optional(_ name: String, default d: JSON, _ read: @escaping (L) -> JSON?) -> Self {
        Self(name: name, defaultValue: d, read: read)
    }

    /// A required argument whose config value `read` computes.
    public static func required(_ name: String, _ read: @escaping (L) -> JSON?) -> Self {
        Self(name: name, defaultValue: nil, read: read)
    }

    /// A constructor argument that `get_config()` does not write (Dense's `activity_regularizer`,
    /// which every layer's common part reads).
    public static func unsaved(_ name: String, default d: JSON = nil) -> Self {
        Self(name: name, defaultValue: d, read: nil)
    }
}

/// A family base class whose constructor arguments every subclass takes, declared once on the
/// base and added to each subclass's ``LayerDeclaration`` (its config, loading and catalogue).
/// Keras: a base class's `__init__` arguments, such as `BaseImagePreprocessingLayer`'s
/// `bounding_box_format`, that subclasses take through `**kwargs`.
public protocol LayerFamily: Layer {
    static var familyArguments: [FamilyArgument] { get }
}

/// One argument of a ``LayerFamily``: keyword-only in each subclass (listed last in the
/// catalogue's constructor order), written in `get_config()` right after `after`.
public struct FamilyArgument {
    let name: String
    let defaultValue: JSON
    /// The argument it follows in `get_config()` order (first when the class has none such).
    let after: String
    /// The config value of an instance; nil leaves the key out.
    let read: (Layer) -> JSON?
    /// Sets on a layer made from a config the value the config gives (null when absent).
    let apply: (Layer, JSON) throws -> Void
}

/// A value a layer argument holds, with its Keras config form.
public protocol LayerArgumentValue {
    /// The value as Keras writes it in a config.
    var configValue: JSON { get }
}

extension Int: LayerArgumentValue { public var configValue: JSON { .int(self) } }
extension Double: LayerArgumentValue { public var configValue: JSON { .double(self) } }
extension Float: LayerArgumentValue { public var configValue: JSON { .double(Double(self)) } }
extension Bool: LayerArgumentValue { public var configValue: JSON { .bool(self) } }
extension String: LayerArgumentValue { public var configValue: JSON { .string(self) } }
extension Optional: LayerArgumentValue where Wrapped: LayerArgumentValue {
    public var configValue: JSON { map { $0.configValue } ?? .null }
}
extension Array: LayerArgumentValue where Element: LayerArgumentValue {
    public var configValue: JSON { .array(map { $0.configValue }) }
}
extension ActivationFunction: LayerArgumentValue { public var configValue: JSON { config } }
extension DataFormat: LayerArgumentValue { public var configValue: JSON { .string(rawValue) } }

/// A layer class's Keras name, its constructor arguments in Keras's order, and how to build it
/// from a config. ``Layer/getConfig()`` writes the arguments an instance holds, loading reads
/// them with the declared defaults filled in, and the catalogue (`keras_catalog_json`, the
/// Python classes) lists them. Keras: the class's `__init__` signature and `get_config()`.
public struct LayerDeclaration: @unchecked Sendable {
    /// The Keras class name (`Dense`).
    public let className: String
    /// The Python module Keras's class lives in: `keras.layers` for the exported layers; a
    /// class Keras does not export (an application's own layer, ConvNeXt's `LayerScale`) is
    /// saved under its module with its class name as `registered_name`, as Keras saves it.
    public let module: String
    /// Whether Keras builds the layer in `__init__` (`_build_at_init`), so that its saved entry
    /// has no `build_config`.
    public let builtAtInit: Bool
    /// Other names Keras exports the class under (`Convolution2D` for `Conv2D`); configs and
    /// constructors accept them, configs written here use ``className``.
    public let aliases: [String]
    /// The arguments in `get_config()` order.
    let arguments: [(name: String, defaultValue: JSON?, read: ((Layer) -> JSON?)?)]
    /// Keras's constructor order where it differs from `get_config()`'s.
    let constructorOrder: [String]?
    /// Whether the class computes state from data (an ``AdaptableLayer``: Keras's `adapt`).
    public let adaptable: Bool
    /// The masks Keras's `call` of the class takes: `"mask"`, its one input's
    /// (``Layer/callTakesMask``); `"attention"`, its query's, value's and key's (the attention
    /// layers); nil, none.
    public let callMasks: String?
    /// When the class's layers support masking (Keras's `supports_masking`): ``Layer/maskingSupport``.
    public let maskingSupport: MaskingSupport
    /// Whether Keras's class computes its outputs' masks itself: ``Layer/computesOwnMask``.
    public let computesOwnMask: Bool
    /// Builds an instance from a config whose absent arguments take their declared defaults.
    let make: (LayerConfig) throws -> Layer
    /// The family base's arguments (``LayerFamily``), keyword-only.
    let familyArgumentNames: [String]
    /// Whether Keras's constructor turns a number given as an int into a float
    /// (BatchNormalization's `float(momentum)`); other classes keep what was given.
    let convertsIntegers: Bool
    /// The arguments Keras's constructor keeps as given, refusing a bad value only when the layer
    /// is built or called (Resizing's `height`), each with a valid stand-in (null: the declared
    /// default) that a layer made from a config giving a value it cannot use holds instead
    /// (``Layer/keptArguments``).
    let checkedWhenBuilt: [String: JSON]
    /// Checks Keras's constructor makes that its `from_config` does not (Discretization refuses
    /// both `num_bins` and `bin_boundaries`, which an adapted layer's config has): run by
    /// ``validateLayerArguments(_:)`` for arguments given to a constructor.
    let constructorChecks: ((LayerConfig) throws -> Void)?

    /// - Parameters:
    ///   - arguments: in `get_config()` order; ``LayerArgument/unsaved(_:default:)`` ones at
    ///     their place in the constructor.
    ///   - aliases: Keras's other exported names of the class.
    ///   - constructorOrder: the constructor's order, when it differs from `get_config()`'s.
    ///   - convertsIntegers: Keras's constructor makes floats of the numbers given as ints, so
    ///     that the config writes `1.0` for `1` (otherwise it writes the `1` given).
    ///   - checkedWhenBuilt: the arguments Keras's constructor does not check, with a valid
    ///     stand-in for each (null: the default); a value given that the layer cannot use (or a
    ///     None given where the default is not None) is kept as given, and refused when the
    ///     layer is built.
    ///   - constructorChecks: the checks of Keras's constructor that its `from_config` skips.
    ///   - module: Keras's module of a class it does not export in `keras.layers`.
    ///   - make: builds the layer from the config (pass `name: c.name`); `trainable`, `dtype`,
    ///     the declared input shape and the activity regularizer are applied afterwards.
    public init<L: Layer>(_ type: L.Type, className: String? = nil, module: String = "keras.layers", aliases: [String] = [], builtAtInit: Bool = false,
                          constructorOrder: [String]? = nil, convertsIntegers: Bool = false,
                          checkedWhenBuilt: [String: JSON] = [:], constructorChecks: ((LayerConfig) throws -> Void)? = nil,
                          arguments: [LayerArgument<L>], make: @escaping (LayerConfig) throws -> L) {
        // The type's own name, as String(describing:) prints it, without the protocol casts that
        // make String(describing:) look through every conformance of the library once per type
        // (half the instructions of a process's first model).
        let name = className ?? _typeName(type, qualified: false)
        self.className = name
        self.module = module
        self.aliases = aliases
        self.builtAtInit = builtAtInit
        self.constructorOrder = constructorOrder
        self.adaptable = L.self is any AdaptableLayer.Type
        self.callMasks = L.callTakesMask ? "mask"
            : L.self is MultiHeadAttention.Type || L.self is BaseAttention.Type ? "attention" : nil
        self.maskingSupport = L.maskingSupport
        self.computesOwnMask = L.computesOwnMask
        self.convertsIntegers = convertsIntegers
        self.checkedWhenBuilt = checkedWhenBuilt
        self.constructorChecks = constructorChecks
        var declared: [(name: String, defaultValue: JSON?, read: ((Layer) -> JSON?)?)] = arguments.map { a in
            let read = a.read.map { read in { (layer: Layer) -> JSON? in (layer as? L).flatMap(read) } }
            return (a.name, a.defaultValue, read)
        }
        let family = ((L.self as? any LayerFamily.Type)?.familyArguments ?? []).filter { f in !declared.contains { $0.name == f.name } }
        for f in family {
            let at = declared.firstIndex { $0.name == f.after }.map { $0 + 1 } ?? 0
            declared.insert((f.name, f.defaultValue, f.read), at: at)
        }
        self.arguments = declared
        self.familyArgumentNames = family.map(\.name)
        let defaults = Dictionary(arguments.compactMap { a in a.defaultValue.map { (a.name, $0) } }, uniquingKeysWith: { a, _ in a })
        self.make = { c in
            let written = { (layer: L, key: String) in arguments.first { $0.name == key }?.read?(layer) }
            let (layer, config) = try LayerDeclaration.making(c, defaults: defaults, standIns: checkedWhenBuilt, written: written) { c in
                try DefaultSeeds.making(from: c.json) { try make(c) }
            }
            for f in family { try f.apply(layer, c.json[f.name] ?? .null) }
            try config.applyCommon(to: layer)
            layer.buildSeeds = c.json[buildSeedsKey]?.arrayValue?.compactMap { $0.intValue } ?? []
            if !convertsIntegers, let given = c.json.objectValue {
                for case (let key, .int(let value)) in given { layer.givenIntegers[key] = value }
            }
            layer.givenFlags = config.givenFlags
            return layer
        }
    }

    /// `make(c)` with the declared defaults, keeping what Keras's constructor keeps as given
    /// (``Layer/keptArguments``): a None given for a number, or for one of `standIns`
    /// (``checkedWhenBuilt``), that the layer read as its default (`written` by it is the
    /// default: `Equalization(bins=None)`), refused when the layer is built where the argument
    /// is one of `standIns`; and where `make(c)`
    /// throws and `c` gives arguments of `standIns`, the layer made with their stand-ins, which
    /// keeps the values given and refuses them, with what the first make threw, when it is
    /// built (but a None given for a number), as Keras's layer fails only when it is built or
    /// called.
    static func making<L: Layer>(_ c: LayerConfig, defaults: [String: JSON], standIns: [String: JSON],
                                 written: (L, String) -> JSON?, _ make: (LayerConfig) throws -> L) throws -> (L, LayerConfig) {
        let keptNote = " (kept as given, as Keras keeps it, and refused when the layer is built)"
        var kept: [String: JSON] = [:]
        var refusal: KerasError?
        var config = c.withDefaults(defaults)
        let layer: L
        do {
            let made = try make(config)
            layer = made
            // (the layer read the None as its default)
            func readAsDefault(_ key: String) -> Bool {
                guard let value = written(made, key), let d = defaults[key] else { return false }
                return value == d || value.doubleValue != nil && value.doubleValue == d.doubleValue
            }
            for (key, v) in c.json.objectValue ?? [] where v.isNull && readAsDefault(key)
                && (defaults[key]?.doubleValue != nil || standIns[key] != nil) {
                kept[key] = .null
                if standIns[key] != nil {
                    refusal = refusal ?? .wrongType("\(c.className): \(key)=None cannot be used" + keptNote)
                }
            }
        } catch let error as KerasError {
            // Not retried: a value without the method Keras's constructor calls on it, and a None
            // given for a number (where either fails the make, the constructor refuses it:
            // `LayerConfig.lowercased`, `LayerConfig.refuseNone`).
            if case .noAttribute = error { throw error }
            let given = standIns.filter { key, _ in
                c.json[key].map { !$0.isNull || defaults[key]?.doubleValue == nil } ?? false
            }
            guard !given.isEmpty else { throw error }
            var json = c.json
            for (key, standIn) in given {
                kept[key] = c.json[key]
                json.set(key, standIn.isNull ? defaults[key] ?? .null : standIn)
            }
            config = try LayerConfig(className: c.className, json: json).withDefaults(defaults)
            layer = try make(config)
            refusal = error.withMessage(error.message + keptNote)
        }
        layer.keptArguments = kept
        layer.keptArgumentsRefusal = refusal
        return (layer, config)
    }

    /// Writes the arguments `layer` holds into `config` (after its name, trainable and dtype).
    func writeArguments(of layer: Layer, into config: inout JSON) {
        for a in arguments {
            if let kept = layer.keptArguments[a.name] {
                config.set(a.name, kept)
                continue
            }
            guard var value = a.read?(layer) else { continue }
            // Keras keeps a float argument given as an int (`Dropout(0)` writes `"rate": 0`)
            if case .double(let d) = value, let i = layer.givenIntegers[a.name], Double(i) == d { value = .int(i) }
            // and a flag given as another value (`use_bias=1`) as given, while the layer holds its truth
            if case .bool(let b) = value, let given = layer.givenFlags[a.name], LayerConfig.truth(given) == b { value = given }
            config.set(a.name, value)
        }
    }

    /// `[{"name": "units", "required": true}, {"name": "activation", "default": "linear"}, ...]`
    /// in Keras's constructor order; `"saved": false` marks an argument the layer's own part of
    /// `get_config()` leaves out (SimpleRNN's `seed`), `"keyword_only": true` one Keras's
    /// constructor takes through `**kwargs` only (listed last): a family base's, or one a
    /// declaration's ``constructorOrder`` leaves out (MaxNumBoundingBoxes's `data_format`).
    var catalogueArguments: JSON {
        var names = constructorOrder ?? []
        for a in arguments where !names.contains(a.name) && !familyArgumentNames.contains(a.name) { names.append(a.name) }
        names += familyArgumentNames
        let keywordOnly = Set(familyArgumentNames + (constructorOrder.map { order in names.filter { !order.contains($0) } } ?? []))
        return .array(names.map { n -> JSON in
            guard let a = arguments.first(where: { $0.name == n }) else { return ["name": .string(n), "default": nil] }
            var entry: JSON = ["name": .string(n)]
            if let d = a.defaultValue { entry.set("default", Catalogue.plain(d)) } else { entry.set("required", true) }
            if a.read == nil, a.defaultValue != nil { entry.set("saved", false) }
            if keywordOnly.contains(n) { entry.set("keyword_only", true) }
            return entry
        })
    }

    /// Adds the declaration of `type` to the list `sink` points to; what a layer file's
    /// ``LayerRecord`` calls.
    public static func record<L: DeclaredLayer>(_ type: L.Type, _ sink: UnsafeMutableRawPointer) {
        sink.assumingMemoryBound(to: [LayerDeclaration].self).pointee.append(type.declaration)
    }

    /// Every declaration recorded in the `keras_layers` section of the linked program, read once.
    static let builtins: [LayerDeclaration] = {
        var out: [LayerDeclaration] = []
        guard var p = keras_layer_records_begin(), let end = keras_layer_records_end() else { return out }
        withUnsafeMutablePointer(to: &out) { sink in
            while p < end {
                if let f = p.pointee { unsafeBitCast(f, to: LayerRecord.self)(UnsafeMutableRawPointer(sink)) }
                p += 1
            }
        }
        return out
    }()

    /// The built-in declarations by class name and alias.
    static let byClassName: [String: LayerDeclaration] = Dictionary(
        builtins.flatMap { d in ([d.className] + d.aliases).map { ($0, d) } }, uniquingKeysWith: { _, b in b })
}

/// Checks the arguments of a layer entry (`{"class_name": "Dense", "config": {"units": -1}}`) as
/// Keras's constructor does, by making the layer from them without building it, and throws what
/// making it throws (``KerasError/wrongType(_:)`` where Keras raises a `TypeError`). The arguments
/// Keras checks only at build (``LayerDeclaration``'s `checkedWhenBuilt`) are left to then
/// (the layer made keeps them, ``LayerDeclaration/making(_:defaults:standIns:_:)``). The
/// layer is thrown away: the seeds it draws and the names it takes are not the library's next
/// ones (the next layer made is seeded and named as if it had not been). Keras: the checks of the
/// class's `__init__`. An entry with `"from_config": true` holds a config's arguments (Keras's
/// `from_config`), which skip the declaration's `constructorChecks`.
public func validateLayerArguments(_ entry: JSON) throws {
    if entry["from_config"]?.boolValue != true, let className = entry["class_name"]?.stringValue,
       let checks = LayerDeclaration.byClassName[className]?.constructorChecks, let config = entry["config"] {
        try checks(try LayerConfig(className: className, json: config))
    }
    try makeLayerUnbuilt(entry)
}

/// Makes the layer of `entry` and throws it away (``validateLayerArguments(_:)``).
private func makeLayerUnbuilt(_ entry: JSON) throws {
    do {
        try LayerNames.probing {
            try KerasDefaultSeeds.seeding(0) { _ = try deserializeLayer(entry, reusing: false) }
        }
    } catch let e as KerasError {
        // The message names the layer ("Unknown activation 'nope'" is said of a Dense).
        guard let className = entry["class_name"]?.stringValue, !e.message.contains(className) else { throw e }
        throw e.withMessage("\(className): \(e.message)")
    }
}

extension Layer {
    /// The declaration of this layer's class, when it (or a superclass) has one.
    var declaration: LayerDeclaration? { (self as? any DeclaredLayer).map { type(of: $0).declaration } }

    /// The module of a built-in class Keras does not export in `keras.layers` (an application's
    /// own layer), whose saved entry names it with the class name as `registered_name`.
    var unexportedModule: String? { declaration.flatMap { $0.module == "keras.layers" ? nil : $0.module } }
}
