#if canImport(Glibc)
import Glibc
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through splitmix64).
///
/// Each thread draws from its own generator, so that parallel fits do not disturb each other;
/// ``setRandomSeed(_:)`` reseeds the calling thread and sets the seed that new threads start from.
public final class RandomGenerator: RandomNumberGenerator, @unchecked Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        s = RandomGenerator.state(seed)
    }

    /// Starts again from `seed`, as a new generator of that seed would (no allocation).
    public func reseed(_ seed: UInt64) { s = RandomGenerator.state(seed) }

    /// Four splitmix64 outputs from `seed` (straight-line: a nested function capturing the
    /// running value would box it on the heap, an allocation in every training step's reseed).
    private static func state(_ seed: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        let step: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (splitmix64(seed), splitmix64(seed &+ step), splitmix64(seed &+ 2 &* step), splitmix64(seed &+ 3 &* step))
    }

    public func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    @inline(__always) public func uniform() -> Float {
        Float(next() >> 40) * (1.0 / Float(1 << 24))
    }

    /// Uniform in [low, high).
    public func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * uniform()
    }

    /// Standard normal (Box-Muller).
    public func normal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / Double(UInt64(1) << 53))
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Fills `count` floats at `p` with `mean + stddev × z`, z standard normal, redrawing any z
    /// beyond `bound` when one is given (a truncated normal). Box-Muller in `Float`, both values of
    /// each pair used, one `next()` per pair: one logarithm and one sine-cosine per two values,
    /// where ``normal()`` spends a double-precision logarithm and cosine on each. Initializers fill
    /// whole tensors this way (EfficientNetB7's 66M weights: most of its construction time).
    public func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, stddev: Float,
                           bound: Float? = nil) {
        let limit = bound ?? .infinity
        let unit: Float = 1.0 / Float(1 << 24)
        var i = 0
        while i < count {
            let bits = next()
            // (0, 1]: the half-unit offset keeps the logarithm finite.
            let u1 = (Float(bits >> 40) + 0.5) * unit
            let u2 = Float((bits >> 16) & 0xFF_FFFF) * unit
            let r = (-2 * logf(u1)).squareRoot()
            let angle = 2 * Float.pi * u2
            let z0 = r * cosf(angle), z1 = r * sinf(angle)
            if Swift.abs(z0) <= limit { p[i] = mean + stddev * z0; i += 1 }
            if i < count && Swift.abs(z1) <= limit { p[i] = mean + stddev * z1; i += 1 }
        }
    }

    /// A seed for a child generator (one per initializer, dropout layer, fit).
    public func nextSeed() -> UInt64 { next() }

    /// Integers 0..<n in a random order (Fisher-Yates).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// The calling thread's generator.
    public static var current: RandomGenerator { perThread.value }

    private static let defaultSeed = SeedBox()
    private static let perThread = ThreadLocal { RandomGenerator(seed: defaultSeed.next()) }

    static func reseedCurrent(_ seed: UInt64) {
        perThread.set(RandomGenerator(seed: seed))
    }

    static func setDefaultSeed(_ seed: UInt64) { defaultSeed.reset(seed) }
}

/// splitmix64's output for state `v` (advanced by its constant, then mixed): a strong 64-bit hash,
/// which seeds ``RandomGenerator`` and keys the op graph's counter-based random ops.
@inline(__always) func splitmix64(_ v: UInt64) -> UInt64 {
    var z = v &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Hands distinct seeds to threads that start drawing without an explicit seed.
final class SeedBox: @unchecked Sendable {
    private let mutex = Mutex()
    private var generator = RandomGenerator(seed: 0x5EED_CAFE)
    func next() -> UInt64 { mutex.withLock { generator.next() } }
    func reset(_ seed: UInt64) { mutex.withLock { generator = RandomGenerator(seed: seed) } }
}

/// Makes runs reproducible: the same seed gives the same initial weights, shuffles and
/// dropout masks. Keras: `keras.utils.set_random_seed(seed)`.
///
/// Also seeds the library's copies of Python's `random` and numpy's `np.random`
/// (``KerasDefaultSeeds``): the built-in layers made from Swift or C afterwards take the seeds
/// Keras's take from Python's, and `fit` shuffles with numpy's permutations, so that their
/// initial weights, dropout draws and shuffled batches are Keras's after `set_random_seed(seed)`.
public func setRandomSeed(_ seed: Int) {
    RandomGenerator.setDefaultSeed(UInt64(bitPattern: Int64(seed)) ^ 0xA5A5_A5A5)
    RandomGenerator.reseedCurrent(UInt64(bitPattern: Int64(seed)))
    KerasDefaultSeeds.reset(seed)
}

/// Runs `body` with the calling thread's generator seeded by `seed`, restoring the previous
/// generator afterwards; the built-in layers made inside take Keras's seeds as after
/// `set_random_seed(seed)` (the seed read as a signed integer), from the thread's own copy of
/// Python's `random`. Model selection gives each fit its own seed this way.
public func withRandomSeed<T>(_ seed: UInt64, _ body: () throws -> T) rethrows -> T {
    let saved = RandomGenerator.current
    RandomGenerator.reseedCurrent(seed)
    defer { perThreadRestore(saved) }
    return try KerasDefaultSeeds.seeding(Int(Int64(bitPattern: seed)), body)
}

private func perThreadRestore(_ g: RandomGenerator) {
    RandomGenerator.restore(g)
}

extension RandomGenerator {
    static func restore(_ g: RandomGenerator) { perThread.set(g) }
}
