/// Shifts and scales inputs to zero mean and unit variance per index of `axis`:
/// `(x - mean) / max(sqrt(variance), 1e-7)` (the inverse with `invert`). The mean and variance
/// are given, or computed from data by ``adapt(_:)`` and then held as the weights `mean`,
/// `variance` and `count`, so that a saved model carries its scaling.
/// Keras: `keras.layers.Normalization`.
///
/// ```swift
/// let norm = Normalization()
/// try norm.adapt(trainingFeatures)
/// let model = try Sequential([InputLayer(shape: [4]), norm, Dense(1)])
/// ```
public final class Normalization: Layer, AdaptableLayer, @unchecked Sendable {
    /// The axes with their own mean and variance; empty for one scalar mean (Keras's `None`).
    public let axis: [Int]
    /// The mean given at construction (nil when adapted).
    public let mean: Tensor?
    /// The variance given at construction (nil when adapted).
    public let variance: Tensor?
    /// Whether the layer de-normalizes: `mean + x * sqrt(variance)`.
    public let invert: Bool

    /// The adapted statistics (weights), created by `build` when no mean was given.
    public private(set) var adaptMean: Variable?
    public private(set) var adaptVariance: Variable?
    public private(set) var count: Variable?
    /// The mean and variance in the input's broadcast shape, used by `call`.
    private var broadcastMean: Tensor?
    private var broadcastVariance: Tensor?
    private var keepAxes: [Int] = []
    private var broadcastShape: [Int] = []

    /// - Parameters:
    ///   - axis: the kept axes (`[-1]` by default; `[]` for a single mean and variance).
    ///   - mean, variance: given together, broadcast to the kept axes' shape.
    public init(axis: [Int] = [-1], mean: Tensor? = nil, variance: Tensor? = nil, invert: Bool = false,
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil) throws {
        guard (mean == nil) == (variance == nil) else {
            throw KerasError.invalidArgument("Normalization: when setting values directly, both mean and variance must be set (got mean \(mean.map { "\($0)" } ?? "None") and variance \(variance.map { "\($0)" } ?? "None"))")
        }
        if let mean, let variance {
            guard mean.shape == variance.shape else {
                throw KerasError.invalidArgument("Normalization: mean and variance must have the same shape, got \(mean.shape) and \(variance.shape)")
            }
            guard mean.rank <= axis.count else {
                throw KerasError.invalidArgument("Normalization: the rank of mean must be at most the number of axes (\(axis.count)), got mean of shape \(mean.shape) for axis \(axis)")
            }
        }
        self.axis = axis
        self.mean = mean
        self.variance = variance
        self.invert = invert
        super.init(name: name, trainable: trainable, inputShape: inputShape)
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override func build(_ inputShape: [Int?]) throws {
        let ndim = inputShape.count
        if let bad = axis.first(where: { $0 < -ndim || $0 >= ndim }) {
            throw KerasError.invalidArgument("Normalization '\(name)': axis \(bad) is out of range for inputs of rank \(ndim) (axis \(axis))")
        }
        keepAxes = axis.map { $0 < 0 ? $0 + ndim : $0 }.sorted()
        var kept: [Int] = []
        for d in keepAxes {
            guard let n = inputShape[d] else {
                throw KerasError.shapeMismatch("Normalization '\(name)': kept axis \(d) must have a known size, got input shape \(formatShape(inputShape))")
            }
            kept.append(n)
        }
        broadcastShape = (0..<ndim).map { keepAxes.contains($0) ? (inputShape[$0] ?? 1) : 1 }
        guard let mean, let variance else {
            adaptMean = addWeight(name: "mean", shape: kept, initializer: Zeros(), trainable: false)
            adaptVariance = addWeight(name: "variance", shape: kept, initializer: Ones(), trainable: false)
            count = addWeight(name: "count", shape: [], initializer: Zeros(), trainable: false)
            return
        }
        broadcastMean = try broadcastGiven(mean, "mean")
        broadcastVariance = try broadcastGiven(variance, "variance")
    }

    /// A given mean or variance aligned on the last kept axes and broadcast to `broadcastShape`.
    private func broadcastGiven(_ t: Tensor, _ argument: String) throws -> Tensor {
        var expanded = Array(repeating: 1, count: broadcastShape.count)
        for i in stride(from: 1, through: t.rank, by: 1) { expanded[keepAxes[keepAxes.count - i]] = t.shape[t.rank - i] }
        let shaped = try Ops.reshape(t, expanded)
        let zeros = Tensor(shape: broadcastShape, repeating: 0)
        do { return try Ops.add(zeros, shaped) } catch {
            throw KerasError.shapeMismatch("Normalization '\(name)': \(argument) of shape \(t.shape) cannot be broadcast to \(broadcastShape)")
        }
    }

    /// The mean and variance in the input's broadcast shape, as `call` uses them (the ONNX
    /// export's constants); nil before `build`.
    var exportStatistics: (mean: Tensor, variance: Tensor)? {
        if let broadcastMean, let broadcastVariance { return (broadcastMean, broadcastVariance) }
        if let adaptMean, let adaptVariance {
            return (adaptMean.storedValue.viewing(broadcastShape), adaptVariance.storedValue.viewing(broadcastShape))
        }
        return nil
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let m: Tensor, v: Tensor
        if let broadcastMean, let broadcastVariance {
            (m, v) = (broadcastMean, broadcastVariance)
        } else if let adaptMean, let adaptVariance {
            m = adaptMean.storedValue.viewing(broadcastShape)
            v = adaptVariance.storedValue.viewing(broadcastShape)
        } else {
            throw KerasError.invalidState("Normalization '\(name)' is not built")
        }
        guard x.rank == broadcastShape.count, keepAxes.allSatisfy({ x.shape[$0] == broadcastShape[$0] }) else {
            throw KerasError.shapeMismatch("Normalization '\(name)': expected inputs of shape \(broadcastShape) on axes \(keepAxes), got \(x.shape)")
        }
        let scale = Kernels.map(v) { Swift.max($0.squareRoot(), 1e-7) }
        return invert ? try Ops.add(m, Ops.multiply(x, scale)) : try Ops.divide(Ops.subtract(x, m), scale)
    }

    /// Sets `mean` and `variance` to those of `data` over the axes not kept (the batch axis
    /// among them), as Keras computes them for an array. Builds the layer for `data`'s shape.
    public func adapt(_ data: Tensor) throws {
        guard mean == nil else {
            throw KerasError.invalidState("Normalization '\(name)': adapt() cannot replace the mean and variance given at construction")
        }
        if !built {
            try ensureBuilt([data.shape.map { Optional($0) }])
        } else if data.rank != broadcastShape.count || keepAxes.contains(where: { data.shape[$0] != broadcastShape[$0] }) {
            throw KerasError.shapeMismatch("Normalization '\(name)': the layer was built for inputs of shape \(formatShape([nil] + broadcastShape.dropFirst().map { Optional($0) })) on axes \(keepAxes), but adapt() got data of shape \(data.shape)")
        }
        guard let adaptMean, let adaptVariance, data.count > 0 else {
            throw KerasError.invalidData("Normalization '\(name)': adapt() needs non-empty data, got shape \(data.shape)")
        }
        let kept = adaptMean.shape.reduce(1, *)
        var sum = [Double](repeating: 0, count: kept), sq = [Double](repeating: 0, count: kept)
        let strides = broadcastShape.indices.map { broadcastShape[($0 + 1)...].reduce(1, *) }
        let dataStrides = data.shape.indices.map { data.shape[($0 + 1)...].reduce(1, *) }
        let p = data.data
        for i in 0..<data.count {
            var k = 0
            for d in keepAxes { k += (i / dataStrides[d]) % data.shape[d] * strides[d] }
            let v = Double(p[i])
            sum[k] += v
            sq[k] += v * v
        }
        let n = Double(data.count / kept)
        let meanValues = sum.map { $0 / n }
        let varianceValues = zip(sq, meanValues).map { Swift.max($0 / n - $1 * $1, 0) }
        try adaptMean.assign(Tensor(shape: adaptMean.shape, scalars: meanValues.map { Float($0) }))
        try adaptVariance.assign(Tensor(shape: adaptVariance.shape, scalars: varianceValues.map { Float($0) }))
    }
}

extension Normalization: DeclaredLayer {
    /// Keras: `Normalization(axis=-1, mean=None, variance=None, invert=False)`; the config
    /// writes `axis` as a list.
    public static let declaration = LayerDeclaration(Normalization.self, constructorOrder: ["axis", "mean", "variance", "invert"], checkedWhenBuilt: ["axis": nil], arguments: [
        .optional("axis", default: -1) { .array($0.axis.map { .int($0) }) },
        .optional("invert", \.invert, default: false),
        .optional("mean", default: nil) { $0.mean?.nestedJSON ?? .null },
        .optional("variance", default: nil) { $0.variance?.nestedJSON ?? .null },
    ]) { c in
        let axis: [Int]
        if c.json["axis"].map({ $0.isNull }) == true { axis = [] } else if let i = c["axis"]?.intValue { axis = [i] } else { axis = try c.ints("axis") }
        let mean = try c["mean"].map { try Tensor(nested: $0, what: "Normalization config: 'mean'") }
        let variance = try c["variance"].map { try Tensor(nested: $0, what: "Normalization config: 'variance'") }
        return try Normalization(axis: axis, mean: mean, variance: variance, invert: c.bool("invert"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Normalization.self, $0) }
