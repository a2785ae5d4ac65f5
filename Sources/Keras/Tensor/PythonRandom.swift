/// CPython's `random` generator (MT19937, seeded from an integer as `random.seed(n)` seeds it):
/// the numbers Keras takes from Python's `random` after `keras.utils.set_random_seed(n)` (its
/// `make_default_seed()`, `random.randint(1, 10⁹)`, for each unseeded initializer and
/// SeedGenerator it makes), for a front end with no Python of its own (Swift, C) to draw the
/// same seeds. Keras: Python's `random.Random`.
///
/// ```swift
/// var python = PythonRandom(seed: 1234)     // random.seed(1234)
/// let seed = python.makeDefaultSeed()        // random.randint(1, 10**9)
/// ```
public struct PythonRandom: Sendable {
    private static let size = 624
    private var state = [UInt32](repeating: 0, count: PythonRandom.size)
    private var index = PythonRandom.size

    /// The generator after `random.seed(seed)`: CPython's `init_by_array` of the 32-bit words of
    /// `abs(seed)`, least significant first.
    public init(seed: Int) {
        var n = seed.magnitude
        var key: [UInt32] = []
        repeat {
            key.append(UInt32(truncatingIfNeeded: n))
            n >>= 32
        } while n > 0
        initialize(byArray: key)
    }

    private mutating func initialize(byArray key: [UInt32]) {
        let n = Self.size
        state[0] = 19_650_218
        for i in 1..<n { state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i) }
        var i = 1, j = 0
        for _ in 0..<Swift.max(n, key.count) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1; j += 1
            if i >= n { state[0] = state[n - 1]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<(n - 1) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= n { state[0] = state[n - 1]; i = 1 }
        }
        state[0] = 0x8000_0000
        index = n
    }

    /// The next 32 random bits (CPython's `genrand_uint32`, `random.getrandbits(32)`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.size { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        return y ^ (y >> 18)
    }

    private mutating func twist() {
        let n = Self.size
        for k in 0..<n {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % n] & 0x7FFF_FFFF)
            state[k] = state[(k + 397) % n] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// `random.randint(low, high)` for a range of fewer than 2³² numbers: `low` plus CPython's
    /// `_randbelow(high - low + 1)`; nil for an empty or wider range.
    public mutating func randint(_ low: Int, _ high: Int) -> Int? {
        let (span, overflow) = high.subtractingReportingOverflow(low)
        guard !overflow, span >= 0, span < Int(UInt32.max) else { return nil }
        return low + Int(below(UInt64(span) + 1))
    }

    /// Keras's `make_default_seed()`: `random.randint(1, 10⁹)`.
    public mutating func makeDefaultSeed() -> Int { 1 + Int(below(1_000_000_000)) }

    /// CPython's `_randbelow(n)` for 0 < n <= 2³²: `getrandbits(n.bit_length())`, drawn again
    /// while it is n or more.
    private mutating func below(_ n: UInt64) -> UInt64 {
        let shift = UInt32(32 - (64 - n.leadingZeroBitCount))
        var r = UInt64(nextUInt32() >> shift)
        while r >= n { r = UInt64(nextUInt32() >> shift) }
        return r
    }
}

/// Python's `random` as Keras sees it after `keras.utils.set_random_seed(n)`, for models made
/// from Swift or C: ``setRandomSeed(_:)`` seeds it as `random.seed(n)`, and each unseeded
/// initializer and generator a built-in layer's constructor makes takes its next
/// `make_default_seed()` in the order Keras's constructor takes them, so that such a model gets
/// Keras's initial weights and dropout draws. Before any seed it gives nothing (an object then
/// draws from the thread's generator). Inside ``withRandomSeed(_:_:)`` (each fit of a model
/// selection) the calling thread draws from its own copy seeded there, so that parallel fits
/// stay reproducible. The Python binding hands over the seeds its own `random` gave, which
/// come first (``DefaultSeeded/defaultSeed``, ``DefaultSeeds``).
enum KerasDefaultSeeds {
    private final class Box: @unchecked Sendable {
        let mutex = Mutex()
        var python: PythonRandom?
    }
    private static let box = Box()
    private static let scoped = ThreadLocal { Box() }

    /// `random.seed(seed)`.
    static func reset(_ seed: Int) {
        box.mutex.withLock { box.python = PythonRandom(seed: seed) }
    }

    /// Keras's `make_default_seed()` (`random.randint(1, 10⁹)`) once seeded, else nil.
    static func next() -> Int? {
        let own = scoped.value
        if own.python != nil { return own.python?.makeDefaultSeed() }
        return box.mutex.withLock { box.python?.makeDefaultSeed() }
    }

    /// Runs `body` with the calling thread drawing from its own copy after `random.seed(seed)`.
    static func seeding<T>(_ seed: Int, _ body: () throws -> T) rethrows -> T {
        let own = scoped.value, saved = own.python
        own.python = PythonRandom(seed: seed)
        defer { own.python = saved }
        return try body()
    }
}
