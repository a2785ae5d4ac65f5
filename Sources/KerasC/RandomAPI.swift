import Keras

/// Keras's `keras.random` draws on values, with the numbers Keras 3 draws on the JAX backend:
/// the binding passes the draw's seed `[seed, counter]` (Keras's `draw_seed`) and the library
/// draws (``ThreefryKey``).
@_cdecl("keras_random_draw")
public func keras_random_draw(_ distribution: UnsafePointer<CChar>?, _ seed: UInt32, _ counter: UInt32,
                              _ count: Int64, _ a: Double, _ b: Double, _ out: UnsafeMutableRawPointer?) -> Int32 {
    guarded("keras_random_draw") {
        guard let distribution else { throw ABIError(.invalidArgument, "distribution must not be NULL") }
        let name = String(cString: distribution)
        guard count >= 0 else { throw ABIError(.invalidArgument, "count must not be negative, got \(count)") }
        guard count == 0 || out != nil else { throw ABIError(.invalidArgument, "out must not be NULL") }
        guard let out, count > 0 else { return }
        let key = ThreefryKey(seed, counter), n = Int(count)
        switch name {
        case "uniform":
            key.fillUniform(out.assumingMemoryBound(to: Float.self), count: n, minval: Float(a), maxval: Float(b))
        case "normal":
            key.fillNormal(out.assumingMemoryBound(to: Float.self), count: n, mean: Float(a), stddev: Float(b))
        case "truncated_normal":
            key.fillTruncatedNormal(out.assumingMemoryBound(to: Float.self), count: n, mean: Float(a), stddev: Float(b))
        case "randint":
            let range = Double(Int32.min)...Double(Int32.max)
            guard range.contains(a), range.contains(b), a == a.rounded(), b == b.rounded() else {
                throw ABIError(.invalidArgument, "randint: minval and maxval must be int32 integers, got \(a) and \(b)")
            }
            key.fillRandint(out.assumingMemoryBound(to: Int32.self), count: n, minval: Int32(a), maxval: Int32(b))
        case "bernoulli":
            key.fillBernoulli(out.assumingMemoryBound(to: Bool.self), count: n, p: Float(a))
        default:
            throw ABIError(.invalidArgument, "unknown distribution '\(name)' (uniform, normal, truncated_normal, randint, bernoulli)")
        }
    }
}

/// The order of `keras.random.shuffle(x, axis, seed)` on JAX for `x` seen as `[outer, n, inner]`
/// (the axis in the middle): `out[(o × n + j) × inner + k]` is the position along the axis that
/// element `j` of line `(o, k)` comes from (each line is shuffled on its own, as JAX's
/// `permutation(independent=True)` does).
@_cdecl("keras_random_permutation")
public func keras_random_permutation(_ seed: UInt32, _ counter: UInt32, _ outer: Int64, _ n: Int64, _ inner: Int64,
                                     _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_random_permutation") {
        guard outer >= 0, n >= 0, inner >= 0 else {
            throw ABIError(.invalidArgument, "outer, n and inner must not be negative, got \(outer), \(n), \(inner)")
        }
        let (size, overflow) = outer.multipliedReportingOverflow(by: n)
        let (total, overflow2) = size.multipliedReportingOverflow(by: inner)
        guard !overflow, !overflow2 else { throw ABIError(.invalidArgument, "outer × n × inner overflows") }
        guard total > 0 else { return }
        guard let out else { throw ABIError(.invalidArgument, "out must not be NULL") }
        let order = ThreefryKey(seed, counter).permutation(outer: Int(outer), n: Int(n), inner: Int(inner))
        for (i, j) in order.enumerated() { out[i] = Int64(j) }
    }
}

/// Keras's `keras.random.gamma`, `beta` and `binomial` on values, as JAX draws them: element `i`
/// of `count` from the per-element parameters `a` (and `b`), broadcast by the caller.
@_cdecl("keras_random_sample")
public func keras_random_sample(_ distribution: UnsafePointer<CChar>?, _ seed: UInt32, _ counter: UInt32,
                                _ count: Int64, _ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?,
                                _ out: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded("keras_random_sample") {
        guard let distribution else { throw ABIError(.invalidArgument, "distribution must not be NULL") }
        let name = String(cString: distribution)
        guard count >= 0 else { throw ABIError(.invalidArgument, "count must not be negative, got \(count)") }
        let needsB = name == "beta" || name == "binomial"
        guard ["gamma", "beta", "binomial"].contains(name) else {
            throw ABIError(.invalidArgument, "unknown distribution '\(name)' (gamma, beta, binomial)")
        }
        guard count > 0 else { return }
        guard let a, let out, !needsB || b != nil else {
            throw ABIError(.invalidArgument, "\(name): a\(needsB ? ", b" : "") and out must not be NULL")
        }
        let key = ThreefryKey(seed, counter), n = Int(count)
        switch name {
        case "gamma": key.fillGamma(out, alpha: a, count: n)
        case "beta": if let b { key.fillBeta(out, a: a, b: b, count: n) }
        default: if let b { key.fillBinomial(out, counts: a, probabilities: b, count: n) }
        }
    }
}

/// Keras's `keras.random.categorical(logits, num_samples)` on values, as JAX draws it: for
/// each row of the `batch × classes` logits, `samples` class indices (`out[b × samples + s]`).
@_cdecl("keras_random_categorical")
public func keras_random_categorical(_ seed: UInt32, _ counter: UInt32, _ logits: UnsafePointer<Float>?,
                                     _ batch: Int64, _ classes: Int64, _ samples: Int64,
                                     _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_random_categorical") {
        guard batch >= 0, classes >= 0, samples >= 0 else {
            throw ABIError(.invalidArgument, "batch, classes and samples must not be negative, got \(batch), \(classes), \(samples)")
        }
        let (cells, o1) = batch.multipliedReportingOverflow(by: classes)
        let (draws, o2) = cells.multipliedReportingOverflow(by: samples)
        guard !o1, !o2, draws < Int64(Int32.max) else {
            throw ABIError(.invalidArgument, "batch × classes × samples is too large")
        }
        guard batch > 0, samples > 0 else { return }
        guard classes > 0 else { throw ABIError(.invalidArgument, "categorical: logits need at least one class") }
        guard let logits, let out else { throw ABIError(.invalidArgument, "logits and out must not be NULL") }
        ThreefryKey(seed, counter).categorical(logits: logits, batch: Int(batch), classes: Int(classes),
                                               samples: Int(samples), into: out)
    }
}
