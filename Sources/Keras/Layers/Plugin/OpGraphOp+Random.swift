import Glibc

/// Random ops of the op graph (Keras `keras.random.normal`, `uniform`, `truncated_normal`,
/// `randint`, `dropout`): new numbers at every evaluation of the graph, so that a traced layer
/// draws fresh noise at every training or predict step instead of one draw frozen at trace time.
///
/// Seeds follow Keras 3: `"seed"` is the draw's base seed, and `"advance"` says whether it comes
/// from a `SeedGenerator` (true, the default: the op's own counter moves on at every evaluation,
/// as the generator's state does under `jax.jit`) or from an integer seed (false: the same
/// numbers at every evaluation). Without a seed the op takes one from the calling thread's
/// generator at trace time (``setRandomSeed(_:)`` fixes it). With `"seed_generator"` (a name),
/// the op draws from the graph's ``SeedGenerator`` of that name, made at its first use from
/// `"seed"` (and `"counter"`, 0 by default): ops naming one generator share its state, which
/// moves on by one at each of their draws, as Keras's `SeedGenerator.next()` does.
///
/// Shapes: `"shape"` lists the dimensions; a -1 (or null) entry takes the size of the same axis
/// of the op's one optional input (a reference tensor, e.g. the layer input whose first axis is
/// the batch), read at every evaluation. `dropout` takes the tensor it drops from as its input,
/// and its `"noise_shape"` nulls follow that input as Keras's do.
///
/// The numbers come from a counter-based hash (splitmix64 of the seed, the step and the element
/// index), so every draw is reproducible from its seed and step alone. The noise has no
/// gradient; dropout's gradient flows through the kept inputs.
extension OpGraphOp {
    /// Random ops with their input count check and body; nil for a name that is not one.
    static func random(_ name: String, _ a: OpAttributes) throws -> (ClosedRange<Int>, RandomDraw, ([Tensor]) throws -> Tensor)? {
        let kind: RandomDraw.Kind
        switch name {
        case "random_normal":
            kind = .normal(mean: Float(try a.double("mean", default: 0)), stddev: Float(try a.double("stddev", default: 1)))
        case "random_truncated_normal":
            kind = .truncatedNormal(mean: Float(try a.double("mean", default: 0)), stddev: Float(try a.double("stddev", default: 1)))
        case "random_uniform":
            let lo = try a.double("minval", default: 0), hi = try a.double("maxval", default: 1)
            guard lo < hi else { throw a.bad("maxval", "must be greater than minval (\(lo)), got \(hi)") }
            kind = .uniform(minval: lo, maxval: hi)
        case "random_randint":
            let lo = try a.int("minval", default: Int.min), hi = try a.int("maxval", default: Int.min)
            guard lo != Int.min else { throw a.bad("minval", "is required (an integer)") }
            guard hi != Int.min else { throw a.bad("maxval", "is required (an integer)") }
            guard lo < hi else { throw a.bad("maxval", "must be greater than minval (\(lo)), got \(hi)") }
            guard !hi.subtractingReportingOverflow(lo).overflow else { throw a.bad("maxval", "- minval overflows, got [\(lo), \(hi))") }
            kind = .randint(minval: lo, maxval: hi)
        case "dropout":
            let rate = try a.double("rate")
            guard rate >= 0 && rate <= 1 else { throw a.bad("rate", "must be between 0 and 1, got \(rate)") }
            kind = .dropout(rate: rate)
        default: return nil
        }
        let draw = RandomDraw(kind: kind, seed: try seed(a), advances: try a.bool("advance", default: true))
        if case .dropout = kind {
            let noise = try dims(a, "noise_shape", required: false)
            return (1...1, draw, { x in try draw.dropout(x[0], noiseShape: noise) })
        }
        guard let shape = try dims(a, "shape", required: true) else { throw a.bad("shape", "is required") }
        // A hostile or mistaken shape fails here, not in an allocation (the trace's probes draw it).
        let known = try ShapeMath.product(shape.filter { $0 >= 0 }, "op '\(name)': shape \(shape)")
        if let why = MemoryBudget.charge(known.multipliedReportingOverflow(by: MemoryLayout<Float>.size).partialValue) {
            throw a.bad("shape", "\(shape): \(why)")
        }
        return (0...1, draw, { x in try draw.sample(shape: shape, like: x.first) })
    }

    /// The seed attribute (any integer, taken modulo 2^64), or one from the thread's generator.
    private static func seed(_ a: OpAttributes) throws -> UInt64 {
        guard let v = a.json["seed"], !v.isNull else { return RandomGenerator.current.nextSeed() }
        guard let i = v.intValue else { throw a.bad("seed", "must be an integer, got \(v)") }
        return UInt64(bitPattern: Int64(i))
    }

    /// A list of dimensions: non-negative integers, -1 or null for "the reference's size".
    private static func dims(_ a: OpAttributes, _ key: String, required: Bool) throws -> [Int]? {
        guard let v = a.json[key], !v.isNull else {
            if required { throw a.bad(key, "is required") }
            return nil
        }
        guard let items = v.arrayValue else { throw a.bad(key, "must be a list of dimensions, got \(v)") }
        return try items.map { item in
            if item.isNull { return -1 }
            guard let d = item.intValue, d >= -1 else {
                throw a.bad(key, "must hold non-negative integers, or -1 / null for the reference input's size, got \(item)")
            }
            return d
        }
    }
}

/// One random op's draws: its distribution, base seed and step counter.
final class RandomDraw: @unchecked Sendable {
    enum Kind {
        case normal(mean: Float, stddev: Float)
        case truncatedNormal(mean: Float, stddev: Float)
        case uniform(minval: Double, maxval: Double)
        case randint(minval: Int, maxval: Int)
        case dropout(rate: Double)
    }

    let kind: Kind
    let seed: UInt64
    /// True for a seed generator's draws (new numbers at every step), false for an integer seed.
    let advances: Bool
    /// Evaluations so far. One graph runs on one thread at a time (as a model does).
    private var step: UInt64 = 0
    /// The generator whose state keys the draws instead of `seed` and `step`, for an op bound
    /// to one of its graph's seed generators.
    var generator: SeedGenerator?
    /// The last resolved shape, kept so that a warm step with the same batch allocates no shape.
    private var resolved: [Int] = []

    init(kind: Kind, seed: UInt64, advances: Bool) {
        self.kind = kind
        self.seed = seed
        self.advances = advances
    }

    /// Back to the first step: the trace's probe evaluations do not count as steps.
    func rewind() { step = 0 }

    /// The key of this evaluation's numbers (and the counter moved on for a seed generator).
    private func nextKey() -> UInt64 {
        if let generator { return generator.nextKey() }
        let key = splitmix64(seed ^ splitmix64(step &+ 0x5EED))
        if advances { step &+= 1 }
        return key
    }

    /// 64 random bits for element `i` (attempt `k`) of the draw keyed `key`.
    @inline(__always) static func bits(_ key: UInt64, _ i: Int, _ k: UInt64 = 0) -> UInt64 {
        splitmix64(key ^ (UInt64(truncatingIfNeeded: i) &* 0xD1B5_4A32_D192_ED03 &+ k &* 0x8CB9_2BA7_2F3D_8DD7))
    }

    /// A standard normal for element `i`, attempt `k` (Box-Muller over two halves of one hash).
    @inline(__always) static func normal(_ key: UInt64, _ i: Int, _ k: UInt64 = 0) -> Double {
        let (r, theta) = polar(bits(key, i, k))
        return r * Double(Glibc.cosf(theta))
    }

    /// Box-Muller's radius and angle from one hash: two independent standard normals are
    /// `r cos θ` and `r sin θ` (the radius in double precision: its logarithm shapes the tails).
    @inline(__always) static func polar(_ b: UInt64) -> (Double, Float) {
        let u1 = (Double(b >> 32) + 1) * (1.0 / 4_294_967_296.0)
        let u2 = Float(b & 0xFF_FFFF) * (1.0 / 16_777_216.0)
        return ((-2 * Glibc.log(u1)).squareRoot(), 2 * Float.pi * u2)
    }

    /// Standard normals into `p[range]`: pair `j` (elements 2j and 2j + 1) from one hash, so
    /// any split of the range gives the same numbers.
    static func normals(_ key: UInt64, _ p: UnsafeMutablePointer<Float>, _ range: Range<Int>, mean: Float, stddev: Float) {
        var i = range.lowerBound
        let end = range.upperBound
        if i < end && i & 1 == 1 {
            let (r, t) = polar(bits(key, i >> 1))
            p[i] = Float(r) * Glibc.sinf(t) * stddev + mean
            i += 1
        }
        while i + 1 < end {
            let (r, t) = polar(bits(key, i >> 1))
            let radius = Float(r)
            p[i] = radius * Glibc.cosf(t) * stddev + mean
            p[i + 1] = radius * Glibc.sinf(t) * stddev + mean
            i += 2
        }
        if i < end {
            let (r, t) = polar(bits(key, i >> 1))
            p[i] = Float(r) * Glibc.cosf(t) * stddev + mean
        }
    }

    /// The shape with its -1 entries taken from `like` (the same axis). Index loops only: a
    /// warm step with an unchanged batch reuses the last shape and allocates nothing.
    private func resolve(_ shape: [Int], like: Tensor?, _ what: String) throws -> [Int] {
        var unknown = false, same = resolved.count == shape.count
        for j in 0..<shape.count {
            guard shape[j] < 0 else {
                if same && resolved[j] != shape[j] { same = false }
                continue
            }
            unknown = true
            guard let like, j < like.rank else {
                throw like == nil
                    ? KerasError.invalidArgument("\(what): shape \(shape) has unknown (-1) dimensions but the op has no reference input to take them from")
                    : KerasError.shapeMismatch("\(what): dimension \(j) of shape \(shape) is unknown, but the reference input has shape \(like?.shape ?? [])")
            }
            if same && resolved[j] != like.shape[j] { same = false }
        }
        guard unknown else { return shape }
        if !same {
            guard let like else { return shape }
            var next = shape
            for j in 0..<shape.count where shape[j] < 0 { next[j] = like.shape[j] }
            _ = try ShapeMath.product(next, "\(what): shape \(shape) with the reference's sizes")
            resolved = next
        }
        return resolved
    }

    /// Fresh numbers of `shape` (no gradient).
    func sample(shape: [Int], like: Tensor?) throws -> Tensor {
        let out = Tensor.uninitialized(try resolve(shape, like: like, "random op"))
        let key = nextKey(), p = out.data, n = out.count
        switch kind {
        // Every element's numbers depend on its index only: the chunks run on all cores.
        case .normal(let mean, let stddev):
            Parallel.forEachChunk(n) { r in RandomDraw.normals(key, p, r, mean: mean, stddev: stddev) }
        case .truncatedNormal(let mean, let stddev):
            // Keras: a normal truncated to two standard deviations (redrawn outside them).
            Parallel.forEachChunk(n) { r in
                for i in r {
                    var k: UInt64 = 0, z = RandomDraw.normal(key, i)
                    while Swift.abs(z) > 2 { k += 1; z = RandomDraw.normal(key, i, k) }
                    p[i] = Float(z) * stddev + mean
                }
            }
        case .uniform(let lo, let hi):
            Parallel.forEachChunk(n) { r in
                for i in r {
                    let u = Double(RandomDraw.bits(key, i) >> 11) * (1.0 / 9_007_199_254_740_992.0)
                    p[i] = Float(lo + (hi - lo) * u)
                }
            }
        case .randint(let lo, let hi):
            let span = UInt64(hi - lo)
            Parallel.forEachChunk(n) { r in
                for i in r {
                    // The high word of bits × span: in [0, span), bias below span / 2^64.
                    let b = RandomDraw.bits(key, i).multipliedFullWidth(by: span).high
                    p[i] = Float(lo + Int(truncatingIfNeeded: b))
                }
            }
        case .dropout:
            throw KerasError.invalidState("random op: dropout draws a mask over its input")
        }
        return out
    }

    /// Keras `random.dropout(x, rate, noise_shape)`: each entry kept with probability
    /// `1 - rate` and scaled by `1 / (1 - rate)`, else zero; the gradient flows through x.
    func dropout(_ x: Tensor, noiseShape: [Int]?) throws -> Tensor {
        guard case .dropout(let rate) = kind else { throw KerasError.invalidState("random op: not a dropout") }
        if rate == 0 { return x }
        let shape: [Int]
        if let noiseShape {
            guard noiseShape.count == x.rank else {
                throw KerasError.shapeMismatch("dropout: noise_shape \(noiseShape) has rank \(noiseShape.count), but the input has shape \(x.shape)")
            }
            shape = try resolve(noiseShape, like: x, "dropout")
            for j in 0..<shape.count where shape[j] != x.shape[j] && shape[j] != 1 {
                throw KerasError.shapeMismatch("dropout: noise_shape \(noiseShape) does not broadcast to the input shape \(x.shape)")
            }
        } else {
            shape = x.shape
        }
        let mask = Tensor.uninitialized(shape)
        let key = nextKey(), p = mask.data
        let keep = 1 - rate, scale = rate >= 1 ? 0 : Float(1 / keep)
        Parallel.forEachChunk(mask.count) { r in
            for i in r {
                let u = Double(RandomDraw.bits(key, i) >> 11) * (1.0 / 9_007_199_254_740_992.0)
                p[i] = u < keep ? scale : 0
            }
        }
        return try Ops.multiply(x, mask)
    }
}
