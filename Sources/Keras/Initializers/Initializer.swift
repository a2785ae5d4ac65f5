#if canImport(Glibc)
import Glibc
#endif

/// Makes the starting value of a weight. Keras: `keras.initializers`.
public protocol Initializer {
    /// The Keras class name (`GlorotUniform`).
    var className: String { get }
    /// The Keras config (`{"seed": null}`).
    var config: JSON { get }
    /// A new tensor of `shape`, drawn from `generator`.
    func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor
}

extension Initializer {
    /// A new tensor drawn from the calling thread's generator.
    public func callAsFunction(_ shape: [Int]) -> Tensor { self(shape, generator: RandomGenerator.current) }

    /// `{"module": "keras.initializers", "class_name": ..., "config": ..., "registered_name": null}`.
    public var serialized: JSON {
        ["module": "keras.initializers", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// Keras's fan computation: the last two axes are (fan_in, fan_out), the rest is receptive field.
func computeFans(_ shape: [Int]) -> (fanIn: Float, fanOut: Float) {
    switch shape.count {
    case 0: return (1, 1)
    case 1: return (Float(shape[0]), Float(shape[0]))
    case 2: return (Float(shape[0]), Float(shape[1]))
    default:
        let receptive = Float(shape.dropLast(2).reduce(1, *))
        return (Float(shape[shape.count - 2]) * receptive, Float(shape[shape.count - 1]) * receptive)
    }
}

func seedJSON(_ seed: Int?) -> JSON { seed.map { .int($0) } ?? .null }

/// Draws with a generator of its own when seeded, so that a seeded initializer gives the same
/// values whatever else ran before.
func drawing(_ seed: Int?, _ generator: RandomGenerator) -> RandomGenerator {
    seed.map { RandomGenerator(seed: UInt64(bitPattern: Int64($0))) } ?? generator
}

public struct Zeros: Initializer {
    public init() {}
    public var className: String { "Zeros" }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape) }
}

public struct Ones: Initializer {
    public init() {}
    public var className: String { "Ones" }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape, repeating: 1) }
}

public struct Constant: Initializer {
    public var value: Float
    public init(_ value: Float = 0) { self.value = value }
    public var className: String { "Constant" }
    public var config: JSON { ["value": .double(Double(value))] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor { Tensor(shape: shape, repeating: value) }
}

public struct RandomUniform: Initializer {
    public var minval: Float, maxval: Float, seed: Int?
    public init(minval: Float = -0.05, maxval: Float = 0.05, seed: Int? = nil) {
        self.minval = minval; self.maxval = maxval; self.seed = seed
    }
    public var className: String { "RandomUniform" }
    public var config: JSON { ["seed": seedJSON(seed), "minval": .double(Double(minval)), "maxval": .double(Double(maxval))] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let g = drawing(seed, generator)
        let t = Tensor.uninitialized(shape)
        for i in 0..<t.count { t.data[i] = g.uniform(minval, maxval) }
        return t
    }
}

public struct RandomNormal: Initializer {
    public var mean: Float, stddev: Float, seed: Int?
    public init(mean: Float = 0, stddev: Float = 0.05, seed: Int? = nil) {
        self.mean = mean; self.stddev = stddev; self.seed = seed
    }
    public var className: String { "RandomNormal" }
    public var config: JSON { ["seed": seedJSON(seed), "mean": .double(Double(mean)), "stddev": .double(Double(stddev))] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let g = drawing(seed, generator)
        let t = Tensor.uninitialized(shape)
        for i in 0..<t.count { t.data[i] = mean + stddev * g.normal() }
        return t
    }
}

public struct TruncatedNormal: Initializer {
    public var mean: Float, stddev: Float, seed: Int?
    public init(mean: Float = 0, stddev: Float = 0.05, seed: Int? = nil) {
        self.mean = mean; self.stddev = stddev; self.seed = seed
    }
    public var className: String { "TruncatedNormal" }
    public var config: JSON { ["seed": seedJSON(seed), "mean": .double(Double(mean)), "stddev": .double(Double(stddev))] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let g = drawing(seed, generator)
        let t = Tensor.uninitialized(shape)
        for i in 0..<t.count { t.data[i] = mean + stddev * truncatedNormal(g) }
        return t
    }
}

/// A standard normal redrawn until it falls within two standard deviations.
func truncatedNormal(_ g: RandomGenerator) -> Float {
    while true {
        let v = g.normal()
        if Swift.abs(v) <= 2 { return v }
    }
}

/// Keras `VarianceScaling`: the parent of the Glorot, He and LeCun initializers.
public struct VarianceScaling: Initializer {
    public enum Mode: String { case fanIn = "fan_in", fanOut = "fan_out", fanAvg = "fan_avg" }
    public enum Distribution: String {
        case truncatedNormal = "truncated_normal", untruncatedNormal = "untruncated_normal", uniform
    }
    public var scale: Float, mode: Mode, distribution: Distribution, seed: Int?
    /// The Keras class name when this is one of the named variants.
    var name: String = "VarianceScaling"

    public init(scale: Float = 1, mode: Mode = .fanIn, distribution: Distribution = .truncatedNormal, seed: Int? = nil) throws {
        guard scale > 0 else { throw KerasError.invalidArgument("VarianceScaling(scale: \(scale)): scale must be positive") }
        self.scale = scale; self.mode = mode; self.distribution = distribution; self.seed = seed
    }

    init(named name: String, scale: Float, mode: Mode, distribution: Distribution, seed: Int?) {
        self.name = name; self.scale = scale; self.mode = mode; self.distribution = distribution; self.seed = seed
    }

    public var className: String { name }
    public var config: JSON {
        if name != "VarianceScaling" { return ["seed": seedJSON(seed), "input_axes": nil, "output_axes": nil] }
        return ["seed": seedJSON(seed), "scale": .double(Double(scale)), "mode": .string(mode.rawValue),
                "distribution": .string(distribution.rawValue), "input_axes": nil, "output_axes": nil]
    }

    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let g = drawing(seed, generator)
        let (fanIn, fanOut) = computeFans(shape)
        let denom: Float = mode == .fanIn ? fanIn : (mode == .fanOut ? fanOut : (fanIn + fanOut) / 2)
        let s = scale / Swift.max(1, denom)
        let t = Tensor.uninitialized(shape)
        switch distribution {
        case .truncatedNormal:
            let std = s.squareRoot() / 0.87962566103423978
            for i in 0..<t.count { t.data[i] = std * truncatedNormal(g) }
        case .untruncatedNormal:
            let std = s.squareRoot()
            for i in 0..<t.count { t.data[i] = std * g.normal() }
        case .uniform:
            let limit = (3 * s).squareRoot()
            for i in 0..<t.count { t.data[i] = g.uniform(-limit, limit) }
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

/// Finds an initializer by its Keras name (`"glorot_uniform"`, `"zeros"`, `"GlorotUniform"`).
public func initializer(named name: String) throws -> Initializer {
    if case .initializer(let make)? = ObjectRegistry.lookupCustom(.initializer, name) { return try make(.object([])) }
    switch name {
    case "zeros", "Zeros", "zero": return Zeros()
    case "ones", "Ones", "one": return Ones()
    case "constant", "Constant": return Constant()
    case "random_uniform", "RandomUniform", "uniform": return RandomUniform()
    case "random_normal", "RandomNormal", "normal": return RandomNormal()
    case "truncated_normal", "TruncatedNormal": return TruncatedNormal()
    case "glorot_uniform", "GlorotUniform": return VarianceScaling.glorotUniform()
    case "glorot_normal", "GlorotNormal": return VarianceScaling.glorotNormal()
    case "he_uniform", "HeUniform": return VarianceScaling.heUniform()
    case "he_normal", "HeNormal": return VarianceScaling.heNormal()
    case "lecun_uniform", "LecunUniform": return VarianceScaling.lecunUniform()
    case "lecun_normal", "LecunNormal": return VarianceScaling.lecunNormal()
    case "variance_scaling", "VarianceScaling": return VarianceScaling.lecunNormal().asPlain()
    default:
        throw KerasError.unknownName("Unknown initializer '\(name)'")
    }
}

extension VarianceScaling {
    func asPlain() -> VarianceScaling {
        VarianceScaling(named: "VarianceScaling", scale: scale, mode: mode, distribution: distribution, seed: seed)
    }
}
