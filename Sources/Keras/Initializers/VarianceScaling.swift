#if canImport(Glibc)
import Glibc
#endif

/// Keras `VarianceScaling`: the parent of the Glorot, He and LeCun initializers.
public struct VarianceScaling: DefaultSeeded {
    /// Which fan sets the scale: inputs, outputs or their average.
    public enum Mode: String { case fanIn = "fan_in", fanOut = "fan_out", fanAvg = "fan_avg" }
    /// The distribution drawn from, scaled to the variance `scale / fan`.
    public enum Distribution: String {
        case truncatedNormal = "truncated_normal", untruncatedNormal = "untruncated_normal", uniform
    }
    public var mode: Mode, distribution: Distribution, seed: Int?
    public var defaultSeed: Int?
    public var scale: Float {
        get { Float(exactScale) }
        set { exactScale = Double(newValue) }
    }
    /// The scale as given: Keras keeps the Python float of its config (`scale=1/3` is saved as
    /// 0.3333333333333333, not float32's 0.33333334).
    var exactScale: Double
    /// The Keras class name when this is one of the named variants.
    var name: String = "VarianceScaling"

    public init(scale: Float = 1, mode: Mode = .fanIn, distribution: Distribution = .truncatedNormal, seed: Int? = nil) throws {
        try self.init(exactScale: Double(scale), mode: mode, distribution: distribution, seed: seed)
    }

    /// From a config's scale, kept as given.
    init(exactScale scale: Double, mode: Mode, distribution: Distribution, seed: Int?) throws {
        guard scale > 0 else { throw KerasError.invalidArgument("VarianceScaling(scale: \(scale)): scale must be positive") }
        self.exactScale = scale; self.mode = mode; self.distribution = distribution; self.seed = seed
    }

    init(named name: String, scale: Double, mode: Mode, distribution: Distribution, seed: Int?) {
        self.name = name; self.exactScale = scale; self.mode = mode; self.distribution = distribution; self.seed = seed
    }

    public var className: String { name }
    public var config: JSON {
        if name != "VarianceScaling" { return ["seed": seedJSON(seed), "input_axes": nil, "output_axes": nil] }
        return ["seed": seedJSON(seed), "scale": .double(exactScale), "mode": .string(mode.rawValue),
                "distribution": .string(distribution.rawValue), "input_axes": nil, "output_axes": nil]
    }

    public func draw(_ shape: [Int], key: ThreefryKey) -> Tensor {
        let (fanIn, fanOut) = computeFans(shape)
        // In double, as Keras's Python floats, then float32 where JAX takes them.
        let denom = mode == .fanIn ? Double(fanIn) : (mode == .fanOut ? Double(fanOut) : (Double(fanIn) + Double(fanOut)) / 2)
        let s = exactScale / Swift.max(1, denom)
        let t = Tensor.uninitialized(shape)
        switch distribution {
        case .truncatedNormal:
            key.fillTruncatedNormal(t.data, count: t.count, stddev: Float(s.squareRoot() / 0.87962566103423978))
        case .untruncatedNormal:
            key.fillNormal(t.data, count: t.count, stddev: Float(s.squareRoot()))
        case .uniform:
            let limit = Float((3 * s).squareRoot())
            key.fillUniform(t.data, count: t.count, minval: -limit, maxval: limit)
        }
        return t
    }

    public static func glorotUniform(seed: Int? = nil) -> VarianceScaling {
        VarianceScaling(named: "GlorotUniform", scale: 1, mode: .fanAvg, distribution: .uniform, seed: seed)
    }
    public static func glorotNormal(seed: Int? = nil) -> VarianceScaling {
        VarianceScaling(named: "GlorotNormal", scale: 1, mode: .fanAvg, distribution: .truncatedNormal, seed: seed)
    }
    public static func heUniform(seed: Int? = nil) -> VarianceScaling {
        VarianceScaling(named: "HeUniform", scale: 2, mode: .fanIn, distribution: .uniform, seed: seed)
    }
    public static func heNormal(seed: Int? = nil) -> VarianceScaling {
        VarianceScaling(named: "HeNormal", scale: 2, mode: .fanIn, distribution: .truncatedNormal, seed: seed)
    }
    public static func lecunUniform(seed: Int? = nil) -> VarianceScaling {
        VarianceScaling(named: "LecunUniform", scale: 1, mode: .fanIn, distribution: .uniform, seed: seed)
    }
    public static func lecunNormal(seed: Int? = nil) -> VarianceScaling {
        VarianceScaling(named: "LecunNormal", scale: 1, mode: .fanIn, distribution: .truncatedNormal, seed: seed)
    }
}

extension VarianceScaling {
    func asPlain() -> VarianceScaling {
        var plain = VarianceScaling(named: "VarianceScaling", scale: exactScale, mode: mode, distribution: distribution, seed: seed)
        plain.defaultSeed = defaultSeed
        return plain
    }
}
