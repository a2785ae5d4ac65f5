/// Uniform in `[minval, maxval)`. Keras: `RandomUniform(minval=-0.05, maxval=0.05, seed=None)`;
/// a seeded one gives the same values at every call, as in Keras (the same values as Keras on JAX).
public struct RandomUniform: DefaultSeeded {
    public var minval: Float, maxval: Float, seed: Int?
    public var defaultSeed: Int?
    public init(minval: Float = -0.05, maxval: Float = 0.05, seed: Int? = nil) {
        self.minval = minval; self.maxval = maxval; self.seed = seed
    }
    public var className: String { "RandomUniform" }
    public var config: JSON { ["seed": seedJSON(seed), "minval": floatJSON(minval), "maxval": floatJSON(maxval)] }
    public func draw(_ shape: [Int], key: ThreefryKey) -> Tensor {
        let t = Tensor.uninitialized(shape)
        key.fillUniform(t.data, count: t.count, minval: minval, maxval: maxval)
        return t
    }
}

/// Normal with `mean` and `stddev`. Keras: `RandomNormal(mean=0.0, stddev=0.05, seed=None)`.
public struct RandomNormal: DefaultSeeded {
    public var mean: Float, stddev: Float, seed: Int?
    public var defaultSeed: Int?
    public init(mean: Float = 0, stddev: Float = 0.05, seed: Int? = nil) {
        self.mean = mean; self.stddev = stddev; self.seed = seed
    }
    public var className: String { "RandomNormal" }
    public var config: JSON { ["seed": seedJSON(seed), "mean": .double(Double(mean)), "stddev": .double(Double(stddev))] }
    public func draw(_ shape: [Int], key: ThreefryKey) -> Tensor {
        let t = Tensor.uninitialized(shape)
        key.fillNormal(t.data, count: t.count, mean: mean, stddev: stddev)
        return t
    }
}

/// Normal redrawn beyond two standard deviations. Keras: `TruncatedNormal(mean=0.0, stddev=0.05, seed=None)`.
public struct TruncatedNormal: DefaultSeeded {
    public var mean: Float, stddev: Float, seed: Int?
    public var defaultSeed: Int?
    public init(mean: Float = 0, stddev: Float = 0.05, seed: Int? = nil) {
        self.mean = mean; self.stddev = stddev; self.seed = seed
    }
    public var className: String { "TruncatedNormal" }
    public var config: JSON { ["seed": seedJSON(seed), "mean": .double(Double(mean)), "stddev": .double(Double(stddev))] }
    public func draw(_ shape: [Int], key: ThreefryKey) -> Tensor {
        let t = Tensor.uninitialized(shape)
        key.fillTruncatedNormal(t.data, count: t.count, mean: mean, stddev: stddev)
        return t
    }
}
