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
/// The numbers are Keras's on JAX, bit for bit: each draw's key is Keras's draw seed, the
/// generator's state `[seed, counter]` or `[seed, 0]` for an integer seed (an advancing op with
/// no generator keys its step `n` as `[seed, n]`), hashed by ``ThreefryKey`` as `jax.random`
/// does. The noise has no gradient; dropout's gradient flows through the kept inputs.
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
            // Keras draws int32 (jax.random.randint's dtype).
            guard Int32(exactly: lo) != nil, Int32(exactly: hi) != nil else {
                throw a.bad("maxval", "and minval must fit in int32 (Keras draws int32), got [\(lo), \(hi))")
            }
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

    /// The key of this evaluation's numbers (Keras's draw seed; the counter moved on for a seed
    /// generator, the step for an advancing op without one).
    private func nextKey() -> ThreefryKey {
        if let generator { return generator.nextThreefryKey() }
        let key = ThreefryKey(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: step))
        if advances { step &+= 1 }
        return key
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
        case .normal(let mean, let stddev):
            key.fillNormal(p, count: n, mean: mean, stddev: stddev)
        case .truncatedNormal(let mean, let stddev):
            key.fillTruncatedNormal(p, count: n, mean: mean, stddev: stddev)
        case .uniform(let lo, let hi):
            key.fillUniform(p, count: n, minval: Float(lo), maxval: Float(hi))
        case .randint(let lo, let hi):
            // int32 draws (bounds checked at construction), as float32 in the graph.
            let ints = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(n, 1))
            defer { ints.deallocate() }
            key.fillRandint(ints, count: n, minval: Int32(truncatingIfNeeded: lo), maxval: Int32(truncatingIfNeeded: hi))
            for i in 0..<n { p[i] = Float(ints[i]) }
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
        let mask = dropoutMask(shape, rate: rate, nextKey())
        return try Ops.multiply(x, mask)
    }
}
