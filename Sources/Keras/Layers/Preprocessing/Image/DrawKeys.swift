/// The keys of one training call's random draws, taken in turn from a layer's generator as
/// Keras's `seed_generator.next()` gives them on JAX: each draw (`random.uniform(shape,
/// seed=generator)` and the like) takes the next key, so a composite layer (``RandomColorJitter``,
/// ``RandAugment``, ``AugMix``) hands its own keys to its sublayers' transformations in the order
/// Keras draws them.
final class DrawKeys {
    private let generator: SeedGenerator?

    /// The keys of `generator` (nil: the thread's generator, for a layer that does not own one).
    init(_ generator: SeedGenerator?) { self.generator = generator }

    /// The key of the next draw; the generator moves on by one.
    func next() -> ThreefryKey { layerDrawKey(generator) }

    /// `random.uniform((count,), minval, maxval)` (float32 bounds) from the next key.
    func uniform(_ count: Int, _ minval: Double = 0, _ maxval: Double = 1) -> [Float] {
        next().uniform(count: count, minval: Float(minval), maxval: Float(maxval))
    }

    /// `random.normal((count,))` from the next key.
    func normal(_ count: Int) -> [Float] {
        let key = next()
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let p = buffer.baseAddress { key.fillNormal(p, count: count) }
            initialized = count
        }
    }

    /// `random.beta((count,), alpha, beta)` from the next key (parameters broadcast, float32).
    func beta(_ count: Int, _ alpha: Float, _ beta: Float) -> [Float] {
        let key = next(), a = [Float](repeating: alpha, count: count), b = [Float](repeating: beta, count: count)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let p = buffer.baseAddress { key.fillBeta(p, a: a, b: b, count: count) }
            initialized = count
        }
    }

    /// `random.gamma((count,), alpha)` from the next key.
    func gamma(_ count: Int, _ alpha: Float) -> [Float] {
        let key = next(), a = [Float](repeating: alpha, count: count)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let p = buffer.baseAddress { key.fillGamma(p, alpha: a, count: count) }
            initialized = count
        }
    }

    /// `random.randint((count,), minval, maxval)` (int32) from the next key.
    func randint(_ count: Int, _ minval: Int, _ maxval: Int) -> [Int] {
        let key = next()
        let values = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let p = buffer.baseAddress {
                key.fillRandint(p, count: count, minval: Int32(clamping: minval), maxval: Int32(clamping: maxval))
            }
            initialized = count
        }
        return values.map { Int($0) }
    }

    /// `random.shuffle(arange(count))` from the next key (JAX's `permutation`, independent).
    func shuffled(_ count: Int) -> [Int] { next().permutation(outer: 1, n: count, inner: 1) }
}

extension ImageLayer {
    /// The keys of one call's draws from this layer's generator.
    var drawKeys: DrawKeys { DrawKeys(seedGenerator) }
}
