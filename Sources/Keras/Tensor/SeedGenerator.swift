#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keras's `keras.random.SeedGenerator`: a seed state `[seed, counter]` (two uint32, Keras's
/// variable `seed_generator_state`) that moves on by one at every draw, so that draws keyed by
/// it give new numbers each time while the state alone says which numbers come next.
///
/// A traced layer's random ops share their layer's generators (``OpGraph``), so the state
/// advances once per draw evaluated, as Keras's does at every step under `jax.jit`: a training
/// step of a layer drawing twice moves it by two, an inference step that draws nothing leaves
/// it. As in Keras 3, the state is a layer's variable (`layer.variables`) but not one of its
/// weights: it is not saved in `.keras` or `.weights.h5` files, and a loaded layer starts again
/// from `[seed, 0]`.
public final class SeedGenerator: @unchecked Sendable {
    /// Keras's generator name (`seed_generator`, `seed_generator_1`, ...): its state's path is
    /// `<name>/seed_generator_state`.
    public let name: String
    /// The first word of the state (the seed it was made with, unless assigned since).
    public private(set) var seed: UInt32
    /// The second word: the number of draws so far (wrapping as Keras's uint32 does).
    public private(set) var counter: UInt32

    public init(name: String, seed: UInt32, counter: UInt32 = 0) {
        self.name = name
        self.seed = seed
        self.counter = counter
    }

    /// Keras's `seed_generator_state` value, `[seed, counter]`.
    public var state: [UInt32] { [seed, counter] }

    /// Sets the state (Keras: `generator.state.assign([seed, counter])`).
    public func assign(seed: UInt32, counter: UInt32) {
        self.seed = seed
        self.counter = counter
    }

    /// The generator of a built-in layer that draws (Keras: `SeedGenerator(seed)` in its
    /// constructor when the rate is positive), else nil: without a seed, one from the calling
    /// thread's generator (as Keras's `make_default_seed` takes one from Python's, which
    /// `set_random_seed` fixes).
    public static func owned(seed: Int?, draws: Bool) -> SeedGenerator? {
        draws ? owned(seed: seed) : nil
    }

    /// A built-in layer's generator (Keras: `SeedGenerator(seed)` in its constructor): without
    /// a seed, the one a front end handed over, else Keras's next default seed after
    /// ``setRandomSeed(_:)`` (``KerasDefaultSeeds``), else one from the calling thread's generator.
    public static func owned(seed: Int?) -> SeedGenerator {
        let value = seed.map { UInt32(truncatingIfNeeded: $0) } ?? DefaultSeeds.next()
            ?? KerasDefaultSeeds.next().map { UInt32(truncatingIfNeeded: $0) }
            ?? UInt32(truncatingIfNeeded: RandomGenerator.current.nextSeed())
        // Keras's automatic names, from the same counts as layers' (its `auto_name`).
        return SeedGenerator(name: LayerNames.unique(for: "seed_generator"), seed: value)
    }

    /// Draws made by probes (``keepingStates(of:takingBackDrawsOf:_:)``) on this generator and
    /// not taken back yet.
    private var probeDraws: UInt32 = 0

    /// Runs `body` as probes (evaluations that are not steps: an op graph's at trace time, which
    /// Keras's symbolic build does not draw for), whether it returns or throws: the states of
    /// `generators` are put back as they were before it, and the generators `made()` lists after
    /// it (a layer's, made by its first call in the probes: a layer written in Python nested in
    /// another) are moved back by the draws the probes made on them.
    public static func keepingStates<T>(of generators: [SeedGenerator],
                                        takingBackDrawsOf made: () -> [SeedGenerator] = { [] },
                                        _ body: () throws -> T) rethrows -> T {
        let kept = generators.map { ($0, $0.seed, $0.counter, $0.probeDraws) }
        defer {
            for g in made() {
                g.counter &-= g.probeDraws
                g.probeDraws = 0
            }
            for (g, seed, counter, draws) in kept {
                g.assign(seed: seed, counter: counter)
                g.probeDraws = draws
            }
        }
        return try Probing.run(body)
    }

    /// The threefry key of the next draw: the state `[seed, counter]` itself, which Keras on JAX
    /// passes to `jax.random` as the raw key (`next()` returns the state, then adds 1 to the
    /// counter); the counter moves on by `draws` (the draws Keras's call makes in all).
    public func nextThreefryKey(draws: Int = 1) -> ThreefryKey {
        let key = ThreefryKey(seed, counter)
        skip(draws: draws)
        return key
    }

    /// Moves the counter on by `draws` without drawing (the draws Keras makes and discards).
    public func skip(draws: Int) {
        let n = UInt32(truncatingIfNeeded: Swift.max(draws, 0))
        counter &+= n
        if Probing.active { probeDraws &+= n }
    }

    /// The key of the next draw, from the state alone; the counter moves on (Keras's
    /// `next(ordered=True)`).
    func nextKey() -> UInt64 {
        let key = splitmix64((UInt64(seed) << 32 | UInt64(counter)) ^ 0x5EED_6E4E_5241_7445)
        counter &+= 1
        if Probing.active { probeDraws &+= 1 }
        return key
    }
}

/// Whether this thread is running probes (``SeedGenerator/keepingStates(of:takingBackDrawsOf:_:)``),
/// whose draws are counted to be taken back.
private enum Probing {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static var active: Bool { Int(bitPattern: pthread_getspecific(key)) > 0 }

    static func run<R>(_ body: () throws -> R) rethrows -> R {
        let saved = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: Int(bitPattern: saved) + 1))
        defer { pthread_setspecific(key, saved) }
        return try body()
    }
}

/// The seeds a front end drew for the unseeded generators of the layer being made from a config
/// (Keras's `make_default_seed()` in the layer's constructor: the Python binding's
/// `random.randint(1, 10⁹)`, which `set_random_seed` fixes), handed over under the layer
/// config's private key `_generator_seeds` (never written back: Keras writes `seed: null`) and
/// taken in order by ``SeedGenerator/owned(seed:)``.
enum DefaultSeeds {
    private final class Queue { var seeds: [UInt32] = [] }
    private static let pending = ThreadLocal { Queue() }

    /// Runs `body` (a layer's construction from `config`) with the config's generator seeds.
    static func making<T>(from config: JSON, _ body: () throws -> T) rethrows -> T {
        try making(seeds: config[generatorSeedsKey]?.arrayValue?.compactMap { $0.intValue } ?? [], body)
    }

    /// Runs `body` (the construction of a layer's generators) with `seeds`.
    static func making<T>(seeds: [Int], _ body: () throws -> T) rethrows -> T {
        guard !seeds.isEmpty else { return try body() }
        let queue = pending.value, saved = queue.seeds
        queue.seeds = seeds.map { UInt32(truncatingIfNeeded: $0) }
        defer { queue.seeds = saved }
        return try body()
    }

    /// The next seed handed over for the layer being made, if any.
    static func next() -> UInt32? {
        let queue = pending.value
        return queue.seeds.isEmpty ? nil : queue.seeds.removeFirst()
    }
}

/// The layer config key of ``DefaultSeeds``.
let generatorSeedsKey = "_generator_seeds"
