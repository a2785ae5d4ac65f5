/// Buckets continuous values by `binBoundaries` (bucket `i` holds `boundaries[i-1] <= x <
/// boundaries[i]`), given or computed by ``adapt(_:)`` as `numBins` quantiles, then encodes the
/// bucket indices (`int`, `one_hot`, `multi_hot`, `count`). Keras: `keras.layers.Discretization`.
///
/// ```swift
/// let bins = try Discretization(binBoundaries: [0, 1, 2])
/// try bins(Tensor([[-1.5, 0.5, 2.5]]))   // [[0, 1, 3]]
/// ```
public final class Discretization: Layer, AdaptableLayer, @unchecked Sendable {
    /// The bucket edges (adapted ones once ``adapt(_:)`` ran); nil until given or adapted.
    public private(set) var binBoundaries: [Double]?
    /// The number of quantile buckets ``adapt(_:)`` computes.
    public let numBins: Int?
    /// The approximation tolerance of the quantile summary ``adapt(_:)`` computes.
    public let epsilon: Double
    public let outputMode: CategoricalOutputMode

    public init(binBoundaries: [Double]? = nil, numBins: Int? = nil, epsilon: Double = 0.01,
                outputMode: String = "int", sparse: Bool = false, name: String? = nil) throws {
        guard !sparse else { throw KerasError.invalidArgument("Discretization: sparse=True is not supported (dense outputs only)") }
        if let numBins, numBins < 0 {
            throw KerasError.invalidArgument("Discretization: num_bins must be >= 0, got \(numBins)")
        }
        if numBins != nil && binBoundaries != nil {
            throw KerasError.invalidArgument("Discretization: both num_bins and bin_boundaries should not be set (got num_bins=\(numBins!) and bin_boundaries=\(binBoundaries!))")
        }
        guard numBins != nil || binBoundaries != nil else {
            throw KerasError.invalidArgument("Discretization: you need to set either num_bins or bin_boundaries")
        }
        guard epsilon > 0 && epsilon <= 1 else {
            throw KerasError.invalidArgument("Discretization: epsilon must be in (0, 1], got \(epsilon)")
        }
        self.binBoundaries = binBoundaries
        self.numBins = numBins
        self.epsilon = epsilon
        self.outputMode = try .named(outputMode, layer: "Discretization", allowed: [.int, .oneHot, .multiHot, .count])
        super.init(name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let bounds = binBoundaries.map({ $0.map { Float($0) } }) else {
            throw KerasError.invalidState("Discretization '\(name)': bin_boundaries is not set: pass bin_boundaries at construction or call adapt(data) before using the layer")
        }
        let out = Tensor.uninitialized(x.shape)
        let p = x.data, o = out.data
        for i in 0..<x.count {
            // numpy.digitize (right=False): the number of boundaries <= x.
            var lo = 0, hi = bounds.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if bounds[mid] <= p[i] { lo = mid + 1 } else { hi = mid }
            }
            o[i] = Float(lo)
        }
        return try encodeCategorical(out, mode: outputMode, depth: bounds.count + 1,
                                     layer: "Discretization '\(name)'", argument: "len(bin_boundaries) + 1")
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        outputMode.outputShape(inputShape, depth: binBoundaries.map { $0.count + 1 } ?? numBins ?? 1)
    }

    /// Sets `binBoundaries` to `numBins` quantiles of `data`, with Keras's summary algorithm
    /// (`summarize`, `compress_summary`, `get_bin_boundaries`) for one array.
    public func adapt(_ data: Tensor) throws {
        guard let numBins else {
            throw KerasError.invalidState("Discretization '\(name)': cannot adapt a layer initialized with bin_boundaries; use num_bins instead")
        }
        guard data.count > 0 else { throw KerasError.invalidData("Discretization '\(name)': adapt() needs non-empty data") }
        guard numBins > 0 else { binBoundaries = []; return }
        let values = data.scalars.sorted()
        let step = Swift.max(Double(values.count) / (1.0 / epsilon), 1)
        var points: [Float] = []
        var i = Int(step - 1)
        while i < values.count { points.append(values[i]); i += Int(step) }
        var summary = (values: points, weights: [Float](repeating: Float(step), count: points.count))
        summary = Self.compress(summary, epsilon: epsilon)
        binBoundaries = Self.compress(summary, epsilon: 1.0 / Double(numBins)).values.dropLast().map { Double($0) }
    }

    /// Keras's `compress_summary`: the summary re-binned at cumulative-weight fractions
    /// `epsilon, 2·epsilon, ...`, by linear interpolation (`numpy.interp`).
    static func compress(_ s: (values: [Float], weights: [Float]), epsilon: Double) -> (values: [Float], weights: [Float]) {
        if Double(s.values.count) * epsilon < 1 { return s }
        var cum: [Float] = []
        var total: Float = 0
        for w in s.weights { total += w; cum.append(total) }
        let fractions = cum.map { Double($0 / total) }
        let n = Int((1.0 / epsilon).rounded(.up))
        var values: [Float] = [], weights: [Float] = []
        var previous = 0.0
        for k in 0..<n {
            let q = epsilon + Double(k) * epsilon
            values.append(Float(interpolate(q, fractions, s.values.map(Double.init))))
            let c = interpolate(q, fractions, cum.map(Double.init))
            weights.append(Float(c - previous))
            previous = c
        }
        return (values, weights)
    }

    /// `numpy.interp(x, xp, fp)` for increasing `xp`.
    static func interpolate(_ x: Double, _ xp: [Double], _ fp: [Double]) -> Double {
        guard let first = xp.first, let last = xp.last else { return 0 }
        if x <= first { return fp[0] }
        if x >= last { return fp[fp.count - 1] }
        var lo = 0, hi = xp.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xp[mid] <= x { lo = mid } else { hi = mid }
        }
        let slope = (fp[hi] - fp[lo]) / (xp[hi] - xp[lo])
        return slope * (x - xp[lo]) + fp[lo]
    }

    /// Keras writes `bin_boundaries, num_bins, epsilon, output_mode, sparse, name, dtype`
    /// (no `trainable`, the dtype as a string).
    public override func getConfig() -> JSON {
        [
            "bin_boundaries": binBoundaries.map { .array($0.map { .double($0) }) } ?? .null,
            "num_bins": numBins.map { .int($0) } ?? .null,
            "epsilon": .double(epsilon),
            "output_mode": .string(outputMode.rawValue),
            "sparse": .bool(false),
            "name": .string(name),
            "dtype": "float32",
        ]
    }
}

extension Discretization: DeclaredLayer {
    /// Keras: `Discretization(bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
    /// sparse=False)`. A config with both (an adapted layer) keeps the adapted boundaries; the
    /// constructor refuses both, as Keras's (whose from_config takes them).
    public static let declaration = LayerDeclaration(Discretization.self, constructorChecks: { c in
        if let numBins = c.json["num_bins"], !numBins.isNull, let boundaries = c.json["bin_boundaries"], !boundaries.isNull {
            throw KerasError.invalidArgument("Both `num_bins` and `bin_boundaries` should not be set. Received: `num_bins=\(numBins)` and `bin_boundaries=\(boundaries)`")
        }
    }, arguments: [
        .optional("bin_boundaries", default: nil) { $0.binBoundaries.map { .array($0.map { .double($0) }) } ?? .null },
        .optional("num_bins", \.numBins, default: nil),
        .optional("epsilon", \.epsilon, default: 0.01),
        .optional("output_mode", \.outputMode, default: .int),
        .optional("sparse", default: false) { _ in .bool(false) },
    ]) { c in
        let boundaries = try c.optionalNumbers("bin_boundaries")
        let numBins = try c.optionalInt("num_bins")
        let layer = try Discretization(binBoundaries: numBins == nil ? boundaries : nil, numBins: numBins,
                                       epsilon: c.double("epsilon"), outputMode: c.string("output_mode"),
                                       sparse: c.bool("sparse", default: false), name: c.name)
        if numBins != nil { layer.binBoundaries = boundaries }
        return layer
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Discretization.self, $0) }
