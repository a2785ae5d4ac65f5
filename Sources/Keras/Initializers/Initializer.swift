#if canImport(Glibc)
import Glibc
#endif

/// Makes the starting value of a weight. Keras: `keras.initializers`.
public protocol Initializer {
    /// The Keras class name (`GlorotUniform`).
    var className: String { get }
    /// The Keras config (`{"seed": null}`).
    var config: JSON { get }
    /// A new tensor of `shape`, drawn from `generator`.
    func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor
    /// The draw of `self(shape, generator:)` in two steps: what it takes from `generator` is
    /// taken now, and the returned closure makes those same values later, or never (a weight
    /// that a file being loaded replaces, ``InitialValues/deferred``). By default the values are
    /// made now (an initializer whose use of the generator the library cannot know).
    func deferredDraw(_ shape: [Int], generator: RandomGenerator) -> () -> Tensor
}

extension Initializer {
    /// A new tensor drawn from the calling thread's generator.
    public func callAsFunction(_ shape: [Int]) -> Tensor { self(shape, generator: RandomGenerator.current) }

    public func deferredDraw(_ shape: [Int], generator: RandomGenerator) -> () -> Tensor {
        let values = self(shape, generator: generator)
        return { values }
    }

    /// `{"module": "keras.initializers", "class_name": ..., "config": ..., "registered_name": null}`.
    public var serialized: JSON {
        ["module": "keras.initializers", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// An initializer whose values follow from the shape alone (zeros, ones, a constant, the
/// identity): it takes nothing from the generator, so its draw can always wait.
public protocol ShapeInitializer: Initializer {}

extension ShapeInitializer {
    public func deferredDraw(_ shape: [Int], generator: RandomGenerator) -> () -> Tensor {
        { self(shape, generator: generator) }
    }
}

/// Keras's fan computation: the last two axes are (fan_in, fan_out), the rest is receptive field.
func computeFans(_ shape: [Int]) -> (fanIn: Float, fanOut: Float) {
    switch shape.count {
    case 0: return (1, 1)
    case 1: return (Float(shape[0]), Float(shape[0]))
    case 2: return (Float(shape[0]), Float(shape[1]))
    default:
        let receptive = Float(shape.dropLast(2).reduce(1, *))
        return (Float(shape[shape.count - 2]) * receptive, Float(shape[shape.count - 1]) * receptive)
    }
}

func seedJSON(_ seed: Int?) -> JSON { seed.map { .int($0) } ?? .null }

/// A `Float` argument as Keras writes it: the decimal the user gave (`0.05`, not the float's
/// exact `0.05000000074505806`).
func floatJSON(_ value: Float) -> JSON { .double(Double("\(value)") ?? Double(value)) }

/// An initializer that draws (Keras's `RandomInitializer`). Keras takes an unseeded one's seed
/// from Python's `random` when it is made (`make_default_seed()`, which `set_random_seed`
/// fixes): a front end that has Python's `random` (the Python binding) draws that number at
/// the same moment and hands it over as `defaultSeed`, which the initializer draws with but
/// never writes to its config (Keras writes `"seed": null`). Without one (Swift, C), the seed
/// is taken from the thread's generator at the draw.
public protocol DefaultSeeded: Initializer {
    /// The seed given (Keras's `seed` argument, written to the config).
    var seed: Int? { get }
    var defaultSeed: Int? { get set }
    /// The values for `shape` drawn with `key`: all the draw takes from a generator is its key
    /// (``drawKey(_:_:)``), so that a draw can be split in two (``deferredDraw(_:generator:)``).
    func draw(_ shape: [Int], key: ThreefryKey) -> Tensor
}

extension DefaultSeeded {
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        draw(shape, key: drawKey(seed ?? defaultSeed, generator))
    }

    public func deferredDraw(_ shape: [Int], generator: RandomGenerator) -> () -> Tensor {
        let key = drawKey(seed ?? defaultSeed, generator)
        return { draw(shape, key: key) }
    }
}

/// The config key under which a front end hands over ``DefaultSeeded/defaultSeed``: private to
/// the library (read, never written).
let defaultSeedKey = "_default_seed"

/// `made` with the config's private default seed (``defaultSeedKey``), where it draws.
private func withDefaultSeed(_ config: JSON, _ made: Initializer) -> Initializer {
    guard let seed = config[defaultSeedKey]?.intValue, var seeded = made as? any DefaultSeeded,
          seeded.seed == nil else { return made }
    seeded.defaultSeed = seed
    return seeded
}

/// `initializer` as a built-in layer's constructor keeps it (Keras: `initializers.get(...)` in
/// the constructor): an unseeded one that draws, given no default seed by a front end, takes
/// Keras's next default seed after ``setRandomSeed(_:)`` (``KerasDefaultSeeds``), as Keras's
/// takes `make_default_seed()` when made. Layers call it on their initializer arguments in
/// the order of Keras's constructor.
func withKerasDefaultSeed(_ initializer: Initializer) -> Initializer {
    guard var seeded = initializer as? any DefaultSeeded, seeded.seed == nil, seeded.defaultSeed == nil,
          let seed = KerasDefaultSeeds.next() else { return initializer }
    seeded.defaultSeed = seed
    return seeded
}

/// The key an initializer draws with, as Keras on JAX does: its seed's (`[seed, 0]`), so that a
/// seeded initializer gives the same values whatever else ran before; without a seed, one taken
/// from `generator` (Keras: `make_default_seed()`, a `random.randint(1, 10⁹)` of Python's).
func drawKey(_ seed: Int?, _ generator: RandomGenerator) -> ThreefryKey {
    ThreefryKey(seed: seed ?? 1 + Int(generator.next() % 1_000_000_000))
}

/// The built-in initializers by every name Keras accepts for them, with Keras's defaults.
private let initializersByName = NamedBuiltins<Initializer>([
    (["zeros", "Zeros", "zero"], { Zeros() }),
    (["ones", "Ones", "one"], { Ones() }),
    (["constant", "Constant"], { Constant() }),
    (["random_uniform", "RandomUniform", "uniform"], { RandomUniform() }),
    (["random_normal", "RandomNormal", "normal"], { RandomNormal() }),
    (["truncated_normal", "TruncatedNormal"], { TruncatedNormal() }),
    (["glorot_uniform", "GlorotUniform"], { VarianceScaling.glorotUniform() }),
    (["glorot_normal", "GlorotNormal"], { VarianceScaling.glorotNormal() }),
    (["he_uniform", "HeUniform"], { VarianceScaling.heUniform() }),
    (["he_normal", "HeNormal"], { VarianceScaling.heNormal() }),
    (["lecun_uniform", "LecunUniform"], { VarianceScaling.lecunUniform() }),
    (["lecun_normal", "LecunNormal"], { VarianceScaling.lecunNormal() }),
    (["variance_scaling", "VarianceScaling"], { VarianceScaling.lecunNormal().asPlain() }),
    (["orthogonal", "Orthogonal", "OrthogonalInitializer"], { Orthogonal() }),
    (["identity", "Identity", "IdentityInitializer"], { Identity() }),
    (["stft", "STFT", "STFTInitializer"], { STFT() }),
])

/// Every name ``initializer(named:)`` accepts for a built-in initializer.
let builtinInitializerNames = initializersByName.names

/// The registry's builders of the built-in initializers, one per accepted name.
let builtinInitializers: [(String, KerasObject)] = builtinInitializerNames.map { name in
    (name, .initializer { config in
        try withDefaultSeed(config, initializersByName.make(name, config) { try builtinInitializer(name, config: $0) })
    })
}

/// Finds an initializer by its Keras name (`"glorot_uniform"`, `"zeros"`, `"GlorotUniform"`)
/// in the registry: a custom one first, then the built-ins.
public func initializer(named name: String) throws -> Initializer {
    guard case .initializer(let make)? = ObjectRegistry.lookup(.initializer, name) else {
        throw KerasError.unknownName("Unknown initializer '\(name)'")
    }
    return try make(.object([]))
}

/// An initializer from a Keras class name and config (`{"seed": 3, "gain": 2.0}`), with
/// Keras's defaults for missing keys, from the registry. Keras: `keras.initializers.deserialize`.
public func initializer(className: String, config: JSON) throws -> Initializer {
    guard case .initializer(let make)? = ObjectRegistry.lookup(.initializer, className) else {
        throw KerasError.unknownName("Unknown initializer '\(className)'")
    }
    return try make(config)
}

/// A built-in initializer from its class name and a non-empty config.
private func builtinInitializer(_ className: String, config: JSON) throws -> Initializer {
    func number(_ key: String, _ d: Double) throws -> Double {
        guard let v = config[key], !v.isNull else { return d }
        guard let x = v.doubleValue else {
            throw KerasError.invalidArgument("\(className) config: '\(key)' must be a number, got \(v)")
        }
        return x
    }
    func f(_ key: String, _ d: Float) throws -> Float { Float(try number(key, Double(d))) }
    let seed = config["seed"]?.intValue
    switch className {
    case "Constant": return try config["value"].map { $0.isNull ? Constant() : try Constant(configValue: $0) } ?? Constant()
    case "RandomUniform": return RandomUniform(minval: try f("minval", -0.05), maxval: try f("maxval", 0.05), seed: seed)
    case "RandomNormal": return RandomNormal(mean: try f("mean", 0), stddev: try f("stddev", 0.05), seed: seed)
    case "TruncatedNormal": return TruncatedNormal(mean: try f("mean", 0), stddev: try f("stddev", 0.05), seed: seed)
    case "GlorotUniform": return VarianceScaling.glorotUniform(seed: seed)
    case "GlorotNormal": return VarianceScaling.glorotNormal(seed: seed)
    case "HeUniform": return VarianceScaling.heUniform(seed: seed)
    case "HeNormal": return VarianceScaling.heNormal(seed: seed)
    case "LecunUniform": return VarianceScaling.lecunUniform(seed: seed)
    case "LecunNormal": return VarianceScaling.lecunNormal(seed: seed)
    case "VarianceScaling":
        let modeName = config["mode"]?.stringValue ?? "fan_in"
        let distName = config["distribution"]?.stringValue ?? "truncated_normal"
        guard let mode = VarianceScaling.Mode(rawValue: modeName) else {
            throw KerasError.invalidArgument("VarianceScaling config: mode must be fan_in, fan_out or fan_avg, got '\(modeName)'")
        }
        // Keras 2 before 2.3 wrote "normal" for the truncated normal.
        guard let dist = VarianceScaling.Distribution(rawValue: distName == "normal" ? "truncated_normal" : distName) else {
            throw KerasError.invalidArgument("VarianceScaling config: distribution must be truncated_normal, untruncated_normal or uniform, got '\(distName)'")
        }
        return try VarianceScaling(exactScale: try number("scale", 1), mode: mode, distribution: dist, seed: seed)
    case "Orthogonal", "OrthogonalInitializer": return Orthogonal(gain: try f("gain", 1), seed: seed)
    case "Identity", "IdentityInitializer": return Identity(gain: try f("gain", 1))
    case "STFT", "STFTInitializer", "stft": return try STFT(config: config)
    default:
        guard let made = try initializersByName.make(className) else {
            throw KerasError.unknownName("Unknown initializer '\(className)'")
        }
        return made
    }
}
