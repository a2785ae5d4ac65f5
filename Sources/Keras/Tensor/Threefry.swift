#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JAX's default random generator, threefry2x32, and the transforms `jax.random` applies to its
/// bits: the numbers Keras 3 draws on the JAX backend, bit for bit.
///
/// Keras passes a draw's seed `[seed, counter]` (a `SeedGenerator`'s state, or `[seed, 0]` for an
/// int seed) to `jax.random` as the raw key: ``ThreefryKey`` is that pair. JAX's
/// `jax_threefry_partitionable` mode (the default since JAX 0.5) hashes element `i` of a draw
/// (its flat index, as a 64-bit count split in two words) with the key, and keeps the
/// exclusive-or of the two output words.
public struct ThreefryKey: Equatable, Sendable {
    public var k0: UInt32, k1: UInt32
    public init(_ k0: UInt32, _ k1: UInt32) { self.k0 = k0; self.k1 = k1 }

    /// Keras's `draw_seed(seed)` of an int seed: `[seed, 0]` (uint32, the int's low 32 bits).
    public init(seed: Int) { self.init(UInt32(truncatingIfNeeded: seed), 0) }

    /// The threefry2x32 hash of the count `(x0, x1)` (JAX's `threefry2x32_p`: 20 rounds, a key
    /// injection every four).
    @inline(__always)
    public func hash(_ x0: UInt32, _ x1: UInt32) -> (UInt32, UInt32) {
        let ks = (k0, k1, k0 ^ k1 ^ 0x1BD1_1BDA)
        var a = x0 &+ ks.0, b = x1 &+ ks.1
        // (A static function on inout words, not a nested one capturing them: a debug build
        // boxes captured variables on the heap at every hash.)
        Self.rounds(&a, &b, 13, 15, 26, 6)
        a = a &+ ks.1; b = b &+ ks.2 &+ 1
        Self.rounds(&a, &b, 17, 29, 16, 24)
        a = a &+ ks.2; b = b &+ ks.0 &+ 2
        Self.rounds(&a, &b, 13, 15, 26, 6)
        a = a &+ ks.0; b = b &+ ks.1 &+ 3
        Self.rounds(&a, &b, 17, 29, 16, 24)
        a = a &+ ks.1; b = b &+ ks.2 &+ 4
        Self.rounds(&a, &b, 13, 15, 26, 6)
        a = a &+ ks.2; b = b &+ ks.0 &+ 5
        return (a, b)
    }

    /// Four threefry rounds (add, rotate by `r`, exclusive-or) of the words `a`, `b`.
    @inline(__always)
    static func rounds(_ a: inout UInt32, _ b: inout UInt32, _ r0: UInt32, _ r1: UInt32, _ r2: UInt32, _ r3: UInt32) {
        a = a &+ b; b = (b &<< r0) | (b &>> (32 - r0)); b ^= a
        a = a &+ b; b = (b &<< r1) | (b &>> (32 - r1)); b ^= a
        a = a &+ b; b = (b &<< r2) | (b &>> (32 - r2)); b ^= a
        a = a &+ b; b = (b &<< r3) | (b &>> (32 - r3)); b ^= a
    }

    /// 32 random bits for element `i` of a draw (JAX's `random_bits(key, 32, shape)`, partitionable).
    @inline(__always)
    public func bits(at i: Int) -> UInt32 {
        let n = UInt64(truncatingIfNeeded: i)
        let (a, b) = hash(UInt32(truncatingIfNeeded: n >> 32), UInt32(truncatingIfNeeded: n))
        return a ^ b
    }

    /// JAX's `split(key, count)` (fold-like in partitionable mode): key `j` is the hash of count `j`.
    public func split(_ count: Int = 2) -> [ThreefryKey] {
        (0..<Swift.max(count, 0)).map { j in
            let n = UInt64(j)
            let (a, b) = hash(UInt32(truncatingIfNeeded: n >> 32), UInt32(truncatingIfNeeded: n))
            return ThreefryKey(a, b)
        }
    }

    /// Uniform in [0, 1) from element `i`'s bits: the top 23 bits as the mantissa of a float in
    /// [1, 2), minus one (JAX's `uniform`).
    @inline(__always)
    func unit(at i: Int) -> Float {
        Float(bitPattern: (bits(at: i) >> 9) | 0x3F80_0000) - 1
    }

    /// `jax.random.uniform(key, (count,), float32, minval, maxval)`: `max(minval, u × (maxval −
    /// minval) + minval)`, the multiply-add fused (one rounding) as XLA compiles it.
    public func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, minval: Float = 0, maxval: Float = 1) {
        let span = maxval - minval
        Parallel.forEachChunk(count) { chunk in
            for i in chunk { p[i] = Swift.max(minval, minval.addingProduct(unit(at: i), span)) }
        }
    }

    /// ``fillUniform(_:count:minval:maxval:)``'s `count` numbers as an array (a layer's few
    /// per-image parameters).
    public func uniform(count: Int, minval: Float = 0, maxval: Float = 1) -> [Float] {
        [Float](unsafeUninitializedCapacity: Swift.max(count, 0)) { buffer, initialized in
            if let p = buffer.baseAddress { fillUniform(p, count: buffer.count, minval: minval, maxval: maxval) }
            initialized = buffer.count
        }
    }

    /// Keras's `random.normal` on JAX: `jax.random.normal` (√2 · erfinv of a uniform in
    /// (−1, 1)) times `stddev` plus `mean`.
    public func fillNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, stddev: Float = 1) {
        let lo = Float(-1).nextUp, span: Float = 1 - lo
        Parallel.forEachChunk(count) { chunk in
            for i in chunk {
                let u = Swift.max(lo, lo.addingProduct(unit(at: i), span))
                p[i] = (Float(2).squareRoot() * xlaErfInv(u)) * stddev + mean
            }
        }
    }

    /// Keras's `random.truncated_normal` on JAX: `jax.random.truncated_normal(lower=-2, upper=2)`
    /// (√2 · erfinv of a uniform in (erf(−√2), erf(√2)), clipped inside (−2, 2)) times `stddev`
    /// plus `mean`.
    public func fillTruncatedNormal(_ p: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, stddev: Float = 1) {
        // XLA's float32 erf(∓2/√2), as jax computes them for Keras's bounds.
        let a = Float(bitPattern: 0xBF74_5A18), b = Float(bitPattern: 0x3F74_5A18)
        let span = b - a
        let low = Float(-2).nextUp, high = Float(2).nextDown
        Parallel.forEachChunk(count) { chunk in
            for i in chunk {
                let u = Swift.max(a, a.addingProduct(unit(at: i), span))
                let z = Swift.min(Swift.max(Float(2).squareRoot() * xlaErfInv(u), low), high)
                p[i] = z * stddev + mean
            }
        }
    }

    /// `jax.random.randint(key, (count,), minval, maxval, int32)`: two draws of 32 bits (from
    /// the key's two halves of a split) reduced modulo the span, as JAX does.
    public func fillRandint(_ p: UnsafeMutablePointer<Int32>, count: Int, minval: Int32, maxval: Int32) {
        let halves = split(2)
        let span: UInt32 = maxval <= minval ? 1 : UInt32(bitPattern: maxval &- minval)
        let m = (UInt32(1 << 16) % span)
        let multiplier = (m &* m) % span
        for i in 0..<count {
            let high = halves[0].bits(at: i), low = halves[1].bits(at: i)
            let offset = ((high % span) &* multiplier &+ low % span) % span
            p[i] = minval &+ Int32(bitPattern: offset)
        }
    }

    /// `jax.random.bernoulli(key, p, (count,))`: element `i` is true when its uniform is below `p`
    /// (Keras's dropout keeps those, `p` the keep probability).
    public func fillBernoulli(_ out: UnsafeMutablePointer<Bool>, count: Int, p: Float) {
        for i in 0..<count { out[i] = unit(at: i) < p }
    }

    /// The order `jax.random.permutation(key, x, axis, independent=True)` gives `x` of shape
    /// `[outer, n, inner]` (the axis in the middle): for each of the `outer × inner` lines along
    /// the axis, the source positions of its `n` elements. JAX sorts each line by fresh 32-bit
    /// keys, over as many rounds as its heuristic asks (one below about 1,600 elements in all),
    /// each round splitting the key first.
    public func permutation(outer: Int, n: Int, inner: Int) -> [Int] {
        let size = outer * n * inner
        var order = [Int](repeating: 0, count: size)
        for o in 0..<outer { for j in 0..<n { for k in 0..<inner { order[(o * n + j) * inner + k] = j } } }
        guard size > 0 else { return order }
        let rounds = Int((3 * log(Double(Swift.max(1, size))) / log(Double(UInt32.max))).rounded(.up))
        var key = self
        for _ in 0..<rounds {
            let keys = key.split(2)
            key = keys[0]
            let sub = keys[1]
            for o in 0..<outer {
                for k in 0..<inner {
                    // A stable sort of the line by the bits at each of its positions.
                    let line = (0..<n).map { j in (sub.bits(at: (o * n + j) * inner + k), order[(o * n + j) * inner + k]) }
                    let sorted = line.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }
                    for (j, e) in sorted.enumerated() { order[(o * n + j) * inner + k] = e.element.1 }
                }
            }
        }
        return order
    }
}

/// XLA's float32 inverse error function (its `ErfInv32`: Giles's single-precision polynomials in
/// `w = −log1p(−x²)`, evaluated with fused multiply-adds as XLA's CPU code is), ±∞ at ±1.
/// With ``xlaLog1p(_:)``, the same float as jax on the CPU for all but a few in 10⁴ inputs,
/// and those one unit in the last place away.
@inline(__always)
func xlaErfInv(_ x: Float) -> Float {
    if Swift.abs(x) == 1 { return x * .infinity }
    let w = -xlaLog1p(-x * x)
    let small = w < 5
    let coefficients = small ? erfInvSmall : erfInvLarge
    let t = small ? w - 2.5 : w.squareRoot() - 3
    var p = coefficients.0
    p = coefficients.1.addingProduct(p, t)
    p = coefficients.2.addingProduct(p, t)
    p = coefficients.3.addingProduct(p, t)
    p = coefficients.4.addingProduct(p, t)
    p = coefficients.5.addingProduct(p, t)
    p = coefficients.6.addingProduct(p, t)
    p = coefficients.7.addingProduct(p, t)
    p = coefficients.8.addingProduct(p, t)
    return p * x
}

private typealias Nine = (Float, Float, Float, Float, Float, Float, Float, Float, Float)
private let erfInvSmall: Nine = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                                 -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
private let erfInvLarge: Nine = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                                 -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)

/// XLA's CPU float32 `log1p` (its elemental emitter's): Cephes's rational approximation below
/// √2 − 1 in magnitude, else the logarithm of `1 + x` (``xlaLog(_:)``), with fused multiply-adds.
@inline(__always)
func xlaLog1p(_ x: Float) -> Float {
    guard Swift.abs(x) < 0.41421356237309504880 else { return xlaLog(1 + x) }
    var numerator: Float = 4.5270000862445199635215e-5, denominator: Float = 1
    // (Unrolled over tuples: a debug build's loop over an array allocated at every element.)
    let n = log1pNumerator, d = log1pDenominator
    numerator = n.0.addingProduct(numerator, x); numerator = n.1.addingProduct(numerator, x)
    numerator = n.2.addingProduct(numerator, x); numerator = n.3.addingProduct(numerator, x)
    numerator = n.4.addingProduct(numerator, x); numerator = n.5.addingProduct(numerator, x)
    denominator = d.0.addingProduct(denominator, x); denominator = d.1.addingProduct(denominator, x)
    denominator = d.2.addingProduct(denominator, x); denominator = d.3.addingProduct(denominator, x)
    denominator = d.4.addingProduct(denominator, x); denominator = d.5.addingProduct(denominator, x)
    let x2 = x * x
    var small = (x * x2) * (numerator / denominator)
    small = -0.5 * x2 + small
    return x + small
}

private typealias Six = (Float, Float, Float, Float, Float, Float)
private let log1pNumerator: Six = (4.9854102823193375972212e-1, 6.5787325942061044846969, 2.9911919328553073277375e1,
                                        6.0949667980987787057556e1, 5.7112963590585538103336e1, 2.0039553499201281259648e1)
private let log1pDenominator: Six = (1.5062909083469192043167e1, 8.3047565967967209469434e1, 2.2176239823732856465394e2,
                                          3.0909872225312059774938e2, 2.1642788614495947685003e2, 6.0118660497603843919306e1)

/// XLA's CPU float32 logarithm for positive normal `v` (Eigen's Cephes-based `plog`: the
/// mantissa moved into [√½, √2) minus one, a degree-8 polynomial, the exponent's `ln 2` added
/// back in two parts).
@inline(__always)
func xlaLog(_ v: Float) -> Float {
    guard v > 0, v.isFinite else { return v == 0 ? -.infinity : (v.isNaN || v < 0 ? .nan : v) }
    // frexp: v = m × 2^e with m in [0.5, 1).
    var e = Float(v.exponent + 1)
    let m = Float(sign: .plus, exponent: -1, significand: v.significand)
    var x = m - 1
    if m < 0.707106781186547524 { e -= 1; x += m }
    let x2 = x * x, x3 = x2 * x
    var y: Float = 7.0376836292e-2, y1: Float = -1.2420140846e-1, y2: Float = 2.0000714765e-1
    y = Float(-1.1514610310e-1).addingProduct(y, x)
    y1 = Float(1.4249322787e-1).addingProduct(y1, x)
    y2 = Float(-2.4999993993e-1).addingProduct(y2, x)
    y = Float(1.1676998740e-1).addingProduct(y, x)
    y1 = Float(-1.6668057665e-1).addingProduct(y1, x)
    y2 = Float(3.3333331174e-1).addingProduct(y2, x)
    y = y1.addingProduct(y, x3)
    y = y2.addingProduct(y, x3)
    y *= x3
    y += e * -2.12194440e-4
    x -= x2 * 0.5
    x += y
    return x + e * 0.693359375
}

extension ThreefryKey {
    /// `jax.random.bernoulli(key, p, (count,))` as a dropout mask: `scale` where element `i`'s
    /// uniform is below `p` (kept), else 0; the chunks run on all cores.
    /// The uniform `m / 2²³` (`m` the top 23 bits) is below `p` exactly when `m` is below
    /// `⌈p · 2²³⌉`: one integer comparison per element. (Eight counts at once in Swift's SIMD8
    /// types measured four times slower than this loop: their shifts are not vector instructions.)
    public func fillBernoulliScaled(_ out: UnsafeMutablePointer<Float>, count: Int, p: Float, scale: Float) {
        let threshold = UInt32(Swift.min(Swift.max((Double(p) * 8_388_608).rounded(.up), 0), 8_388_608))
        Parallel.forEachChunk(count) { chunk in
            for i in chunk { out[i] = bits(at: i) >> 9 < threshold ? scale : 0 }
        }
    }
}
