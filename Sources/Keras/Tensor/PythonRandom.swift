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
    private var twister: MersenneTwister

    /// The generator after `random.seed(seed)`: CPython's `init_by_array` of the 32-bit words of
    /// `abs(seed)`, least significant first.
    public init(seed: Int) {
        var n = seed.magnitude
        var key: [UInt32] = []
        repeat {
            key.append(UInt32(truncatingIfNeeded: n))
            n >>= 32
        } while n > 0
        twister = MersenneTwister(key: key)
    }

    /// The next 32 random bits (CPython's `genrand_uint32`, `random.getrandbits(32)`).
    public mutating func nextUInt32() -> UInt32 { twister.next() }

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

/// MT19937, the generator under both CPython's `random` (``PythonRandom``) and numpy's legacy
/// `np.random` (``NumpyRandomState``), which differ only in how an integer seeds it.
struct MersenneTwister: Sendable {
    private static let size = 624
    private var state = [UInt32](repeating: 0, count: MersenneTwister.size)
    private var index = MersenneTwister.size

    /// `init_genrand(seed)`: each word from the one before (numpy's `np.random.seed(n)`).
    init(seed: UInt32) {
        state[0] = seed
        for i in 1..<Self.size { state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i) }
    }

    /// The generator at `words` (624 of them) and `position` (0...624), as numpy's
    /// `get_state()` gives them; nil for any other count or position.
    init?(words: [UInt32], position: Int) {
        guard words.count == Self.size, (0...Self.size).contains(position) else { return nil }
        state = words
        index = position
    }

    /// The state's words and position (numpy's `get_state()` key and pos).
    var words: [UInt32] { state }
    var position: Int { index }

    /// `init_by_array(key)` (CPython's `random.seed(n)`, the words of n).
    init(key: [UInt32]) {
        self.init(seed: 19_650_218)
        let n = Self.size
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

    /// The next 32 random bits (`genrand_uint32`).
    mutating func next() -> UInt32 {
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
}

/// numpy's global `np.random` (a legacy `RandomState`) after `np.random.seed(n)`, which
/// `keras.utils.set_random_seed(n)` calls: Keras's array data adapter shuffles `fit`'s rows with
/// its `np.random.permutation(rows)` (JAX and numpy backends).
struct NumpyRandomState: Sendable {
    private var twister: MersenneTwister

    /// `np.random.seed(seed)`; nil outside numpy's range `0...2³² - 1` (numpy refuses those).
    init?(seed: Int) {
        guard let word = UInt32(exactly: seed) else { return nil }
        twister = MersenneTwister(seed: word)
    }

    /// numpy's `set_state(("MT19937", key, position, ...))`; nil unless 624 words and a position
    /// in 0...624.
    init?(key: [UInt32], position: Int) {
        guard let twister = MersenneTwister(words: key, position: position) else { return nil }
        self.twister = twister
    }

    /// numpy's `get_state()` key and position.
    var key: [UInt32] { twister.words }
    var position: Int { twister.position }

    /// `np.random.permutation(n)`: `arange(n)` shuffled from the last place down, each place
    /// swapped with one drawn by numpy's `random_interval(i)` (32 bits masked to i's width,
    /// drawn again while above i).
    mutating func permutation(_ n: Int) -> [Int] {
        var order = Array(0..<Swift.max(n, 0))
        guard n > 1 else { return order }
        for i in stride(from: n - 1, to: 0, by: -1) {
            order.swapAt(i, Int(interval(UInt64(i))))
        }
        return order
    }

    /// numpy's `random_interval(max)` for 0 < max: a value in 0...max.
    private mutating func interval(_ max: UInt64) -> UInt64 {
        var mask = max
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4
        mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32
        if max <= UInt64(UInt32.max) {
            var value = UInt64(twister.next()) & mask
            while value > max { value = UInt64(twister.next()) & mask }
            return value
        }
        var value = next64() & mask
        while value > max { value = next64() & mask }
        return value
    }

    /// numpy's `next_uint64` of MT19937: two words, the first the high one.
    private mutating func next64() -> UInt64 {
        let high = UInt64(twister.next())
        return high << 32 | UInt64(twister.next())
    }
}

/// Python's `random` and numpy's `np.random` as Keras sees them after
/// `keras.utils.set_random_seed(n)`, for models made and fit from Swift or C:
/// ``setRandomSeed(_:)`` seeds them as `random.seed(n)` and `np.random.seed(n)`. Each unseeded
/// initializer and generator a built-in layer's constructor makes takes Python's next
/// `make_default_seed()` in the order Keras's constructor takes them, and each shuffled pass of
/// `fit` over its rows numpy's next permutation, so that such a model gets Keras's initial
/// weights, dropout draws and batches. Before any seed they give nothing (an object then draws
/// from the thread's generator). Inside ``withRandomSeed(_:_:)`` (each fit of a model
/// selection) the calling thread draws from its own copies seeded there, so that parallel fits
/// stay reproducible. The Python binding hands over the seeds its own `random` gave, which
/// come first (``DefaultSeeded/defaultSeed``, ``DefaultSeeds``).
enum KerasDefaultSeeds {
    private final class Box: @unchecked Sendable {
        let mutex = Mutex()
        var python: PythonRandom?
        var numpy: NumpyRandomState?
        var seeded: Bool { python != nil }

        func reset(_ seed: Int?) {
            python = seed.map { PythonRandom(seed: $0) }
            numpy = seed.flatMap { NumpyRandomState(seed: $0) }
        }
    }
    private static let box = Box()
    private static let scoped = ThreadLocal { Box() }

    /// `random.seed(seed)` and `np.random.seed(seed)`.
    static func reset(_ seed: Int) {
        box.mutex.withLock { box.reset(seed) }
    }

    /// Keras's `make_default_seed()` (`random.randint(1, 10⁹)`) once seeded, else nil.
    static func next() -> Int? {
        let own = scoped.value
        if own.seeded { return own.python?.makeDefaultSeed() }
        return box.mutex.withLock { box.python?.makeDefaultSeed() }
    }

    /// `np.random.permutation(n)` once seeded (with a seed numpy takes), else nil.
    static func permutation(_ n: Int) -> [Int]? {
        let own = scoped.value
        if own.seeded { return own.numpy?.permutation(n) }
        return box.mutex.withLock { box.numpy?.permutation(n) }
    }

    /// The copy of numpy's generator that fit's shuffles draw from (outside
    /// ``withRandomSeed(_:_:)``).
    static var numpyState: NumpyRandomState? {
        get { box.mutex.withLock { box.numpy } }
        set { box.mutex.withLock { box.numpy = newValue } }
    }

    /// Runs `body` with the calling thread drawing from its own copies after `random.seed(seed)`
    /// and `np.random.seed(seed)`.
    static func seeding<T>(_ seed: Int, _ body: () throws -> T) rethrows -> T {
        let own = scoped.value, saved = (own.python, own.numpy)
        own.reset(seed)
        defer { (own.python, own.numpy) = saved }
        return try body()
    }
}

/// The library's copy of numpy's global generator, which `fit`'s shuffles draw from
/// (``setRandomSeed(_:)`` seeds it as `np.random.seed`): `np.random.get_state()`'s 624 MT19937
/// key words and position, nil before a seed numpy takes. A front end with a numpy of its own
/// (the Python binding) hands its state over before a shuffled fit
/// (``setNumpyRandomState(key:position:)``) and takes it back after, so that the fit's orders
/// continue its numpy's sequence as Keras's do.
public func numpyRandomState() -> (key: [UInt32], position: Int)? {
    KerasDefaultSeeds.numpyState.map { ($0.key, $0.position) }
}

/// Sets the library's copy of numpy's global generator (``numpyRandomState()``) to numpy's
/// `get_state()` key (624 words) and position (0...624).
public func setNumpyRandomState(key: [UInt32], position: Int) throws {
    guard let state = NumpyRandomState(key: key, position: position) else {
        throw KerasError.invalidArgument("numpy random state: needs 624 key words and a position in 0...624, got \(key.count) words and position \(position)")
    }
    KerasDefaultSeeds.numpyState = state
}
