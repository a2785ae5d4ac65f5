#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `jax.random`'s categorical, gamma, beta and binomial, as Keras 3 calls them on the JAX
/// backend: the same keys, splits and loops as `jax/_src/random`, in float32.
extension ThreefryKey {
    /// A bound on the rounds of a rejection loop (JAX's run until done; every loop here ends
    /// with probability one long before): a caller is never held by a degenerate argument.
    static let maximumRounds = 1 << 20

    /// `jax.random.normal(key, ())`: the one normal value of a scalar draw.
    @inline(__always)
    func scalarNormal() -> Float {
        let lo = Float(-1).nextUp, span: Float = 1 - lo
        let u = Swift.max(lo, lo.addingProduct(unit(at: 0), span))
        return Float(2).squareRoot() * xlaErfInv(u)
    }

    /// Keras's `random.categorical(logits, num_samples)` on JAX (`jax.random.categorical` of
    /// `logits[..., None]` along axis 1, the Gumbel-max trick): for each row `b` of the
    /// `batch × classes` logits, `samples` class indices, `out[b × samples + s]`.
    public func categorical(logits: UnsafePointer<Float>, batch: Int, classes: Int, samples: Int,
                            into out: UnsafeMutablePointer<Int32>) {
        // Gumbel noise of shape (batch, classes, samples): −log(−log(u)), u uniform in [tiny, 1).
        let tiny = Float.leastNormalMagnitude, span: Float = 1 - tiny
        for b in 0..<batch {
            for s in 0..<samples {
                var best = -Float.infinity, index: Int32 = 0, found = false
                for c in 0..<classes {
                    let i = (b * classes + c) * samples + s
                    let u = Swift.max(tiny, tiny.addingProduct(unit(at: i), span))
                    let value = -xlaLog(-xlaLog(u)) + logits[b * classes + c]
                    if !found || value > best || (value.isNaN && !best.isNaN) {
                        best = value; index = Int32(c); found = true
                    }
                }
                out[b * samples + s] = index
            }
        }
    }

    /// `jax.random.gamma(key, alpha)` (or `loggamma` for `logSpace`) over `count` elements of
    /// shape parameters `alpha`: element `i` drawn with key `i` of `split(count)` by
    /// Marsaglia and Tsang's method in JAX's loops (`_gamma_one`).
    public func fillGamma(_ out: UnsafeMutablePointer<Float>, alpha: UnsafePointer<Float>, count: Int,
                          logSpace: Bool = false) {
        let keys = split(count)
        for i in 0..<count { out[i] = keys[i].gammaOne(alpha[i], logSpace: logSpace) }
    }

    /// One Gamma(`alphaGiven`) draw as JAX's `_gamma_one` makes it (a shape below one boosted by
    /// `u^(1/alpha)`, or its logarithm in log space).
    func gammaOne(_ alphaGiven: Float, logSpace: Bool) -> Float {
        let boost = alphaGiven >= 1
        let alpha = boost ? alphaGiven : alphaGiven + 1
        let third = Float(1.0 / 3.0)
        let d = alpha - third
        // XLA rewrites a / sqrt(d) into a × rsqrt(d) (rsqrt correctly rounded).
        let c = third * Float(1 / Double(d).squareRoot())
        let first = split(2)
        var key = first[0]
        var x2: Float = 0, v3: Float = 1, u: Float = 2
        var rounds = 0
        while u >= 1 - Float(0.0331) * (x2 * x2) && xlaLog(u) >= x2 * 0.5 + d * ((1 - v3) + xlaLog(v3)),
              rounds < ThreefryKey.maximumRounds {
            rounds += 1
            let keys = key.split(3)
            key = keys[0]
            var xKey = keys[1]
            var x: Float = 0, v: Float = -1
            var tries = 0
            while v <= 0, tries < ThreefryKey.maximumRounds {
                tries += 1
                let pair = xKey.split(2)
                xKey = pair[0]
                x = pair[1].scalarNormal()
                v = Float(1).addingProduct(x, c)   // (fused, as XLA compiles it)
            }
            x2 = x * x
            v3 = (v * v) * v
            u = keys[2].unit(at: 0)
        }
        if logSpace {
            let logSample = xlaLog1p(-first[1].unit(at: 0))   // −exponential(subkey)
            let logBoost: Float = boost || logSample == 0 ? 0 : logSample * (1 / alphaGiven)
            return (xlaLog(d) + xlaLog(v3)) + logBoost
        }
        let sample = 1 - first[1].unit(at: 0)
        return boost ? d * v3 : (d * v3) * powf(sample, 1 / alphaGiven)
    }

    /// `jax.random.beta(key, a, b)` over `count` elements: two log-gamma draws (keys of a split
    /// in two) combined without losing precision.
    public func fillBeta(_ out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         count: Int) {
        let keys = split(2)
        var logA = [Float](repeating: 0, count: count), logB = logA
        logA.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { keys[0].fillGamma(p, alpha: a, count: count, logSpace: true) } }
        logB.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { keys[1].fillGamma(p, alpha: b, count: count, logSpace: true) } }
        for i in 0..<count {
            let top = Swift.max(logA[i], logB[i])
            let ea = expf(logA[i] - top), eb = expf(logB[i] - top)
            out[i] = ea / (ea + eb)
        }
    }

    /// `jax.random.binomial(key, n, p)` over `count` elements (float32 counts and
    /// probabilities): inversion where `n × min(p, 1 − p) ≤ 10`, else BTRS, with JAX's loops
    /// over the whole array, its handling of NaN, negative and infinite arguments.
    public func fillBinomial(_ out: UnsafeMutablePointer<Float>, counts: UnsafePointer<Float>,
                             probabilities: UnsafePointer<Float>, count: Int) {
        var q = [Float](repeating: 0, count: count), n = q, nInv = q, nBtrs = q, qBtrs = q
        var inversion = [Bool](repeating: false, count: count)
        for i in 0..<count {
            let p = probabilities[i]
            var qi = p < 0.5 ? p : 1 - p
            if qi.isNaN || qi < 0 { qi = 0.01 }
            let ni = counts[i]
            inversion[i] = ni.isNaN || ni < 0 || ni * qi <= 10
            q[i] = qi
            n[i] = ni.rounded(.down)
            nInv[i] = inversion[i] ? n[i] : 0
            nBtrs[i] = inversion[i] ? 1e4 : n[i]
            qBtrs[i] = inversion[i] ? 0.5 : qi
        }
        let byInversion = binomialInversion(counts: nInv, q: q)
        let byBtrs = binomialBTRS(counts: nBtrs, q: qBtrs)
        for i in 0..<count {
            let p = probabilities[i], ni = counts[i]
            let qRaw = p < 0.5 ? p : 1 - p
            let invalid = qRaw < 0 || qRaw.isNaN || ni.isNaN || ni < 0
            var sample = inversion[i] ? byInversion[i] : byBtrs[i]
            if invalid { sample = .nan } else if ni.isInfinite { sample = .infinity }
            out[i] = p < 0.5 || ni.isNaN || ni < 0 || qRaw.isNaN || ni.isInfinite ? sample : n[i] - sample
        }
    }

    /// JAX's `_binomial_inversion`: sums of geometric draws (one uniform per element and round,
    /// the round's key split off) until they pass the count.
    private func binomialInversion(counts: [Float], q: [Float]) -> [Float] {
        let count = counts.count
        var numGeom = [Float](repeating: 0, count: count), geomSum = numGeom
        let logOneMinus = q.map { xlaLog1p(-$0) }
        var key = self, rounds = 0
        while rounds < ThreefryKey.maximumRounds, (0..<count).contains(where: { geomSum[$0] <= counts[$0] }) {
            rounds += 1
            let pair = key.split(2)
            key = pair[1]
            for i in 0..<count {
                if geomSum[i] <= counts[i] { numGeom[i] += 1 }
                geomSum[i] += (xlaLog(pair[0].unit(at: i)) / logOneMinus[i]).rounded(.up)
            }
        }
        return numGeom.map { $0 - 1 }
    }

    /// JAX's `_btrs` (Hörmann's transformed rejection): rounds over the whole array until every
    /// element has accepted once; a later acceptance replaces an earlier one, as in JAX.
    private func binomialBTRS(counts: [Float], q: [Float]) -> [Float] {
        let count = counts.count
        var kOut = [Float](repeating: -1, count: count)
        var accepted = [Bool](repeating: false, count: count)
        var key = self, rounds = 0
        while rounds < ThreefryKey.maximumRounds, accepted.contains(false) {
            rounds += 1
            let keys = key.split(3)
            key = keys[0]
            for i in 0..<count {
                let n = counts[i], p = q[i]
                let stddev = ((n * p) * (1 - p)).squareRoot()
                let b = 1.15 + 2.53 * stddev
                let a = (-0.0873 + 0.0248 * b) + 0.01 * p
                let c = n * p + 0.5
                let vR = 0.92 - 4.2 / b
                let r = p / (1 - p)
                let alpha = (2.83 + 5.1 / b) * stddev
                let m = ((n + 1) * p).rounded(.down)
                let u = keys[1].unit(at: i) - 0.5
                var v = keys[2].unit(at: i)
                let us = 0.5 - Swift.abs(u)
                let accept1 = us >= 0.07 && v <= vR
                let k = ((2 * a / us + b) * u + c).rounded(.down)
                let reject = k < 0 || k > n
                v = xlaLog(v * alpha / (a / (us * us) + b))
                var ub = (m + 0.5) * xlaLog((m + 1) / (r * (n - m + 1)))
                ub += (n + 1) * xlaLog((n - m + 1) / (n - k + 1))
                ub += (k + 0.5) * xlaLog(r * (n - k + 1) / (k + 1))
                ub += stirlingTail(m)
                ub += stirlingTail(n - m)
                ub -= stirlingTail(k)
                ub -= stirlingTail(n - k)
                if accept1 || (!reject && v <= ub) {
                    kOut[i] = k
                    accepted[i] = true
                }
            }
        }
        return kOut
    }
}

/// JAX's `_stirling_approx_tail` (its table up to 9; beyond, its formula at the argument clamped
/// to 9, as JAX computes it).
private func stirlingTail(_ kGiven: Float) -> Float {
    let table: [Float] = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                          0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                          0.00925546218271273, 0.00833056343336287]
    let k = Swift.min(Swift.max(kGiven, 0), 9)
    guard !(kGiven <= 9) else { return table[Int(k.rounded(.down))] }
    let kp1sq = (k + 1) * (k + 1)
    return (Float(1.0 / 12) - (Float(1.0 / 360) - Float(1.0 / 1260) / kp1sq) / kp1sq) / (k + 1)
}
