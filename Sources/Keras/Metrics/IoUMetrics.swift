/// Intersection-over-union from a confusion matrix accumulated over the epoch, averaged over
/// `targetClassIds` (classes absent from both targets and predictions count for nothing).
/// Keras: `IoU(num_classes, target_class_ids, ignore_class=None, sparse_y_true=True,
/// sparse_y_pred=True, axis=-1)`. As Keras's (dtype `int32`), class ids and sample weights
/// are truncated to integers; out-of-range ids and `ignore_class` are skipped.
open class IoU: Metric, @unchecked Sendable {
    public let numClasses: Int
    public let targetClassIds: [Int]
    public let ignoreClass: Int?
    public let sparseYTrue: Bool
    public let sparseYPred: Bool
    public let axis: Int
    var matrix: [Double]

    public init(numClasses: Int, targetClassIds: [Int], ignoreClass: Int? = nil, sparseYTrue: Bool = true,
                sparseYPred: Bool = true, axis: Int = -1, name: String? = nil) throws {
        guard numClasses > 0, numClasses <= 1 << 12 else {
            throw KerasError.invalidArgument("\(Self.self)(num_classes: \(numClasses)): num_classes must be in 1...4096")
        }
        guard !targetClassIds.isEmpty, let top = targetClassIds.max(), top < numClasses, targetClassIds.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("\(Self.self)(target_class_ids: \(targetClassIds)): target class ids must be in [0, \(numClasses))")
        }
        guard axis == -1 else {
            throw KerasError.invalidArgument("\(Self.self)(axis: \(axis)): only the last axis (-1) is supported")
        }
        self.numClasses = numClasses
        self.targetClassIds = targetClassIds
        self.ignoreClass = ignoreClass
        self.sparseYTrue = sparseYTrue
        self.sparseYPred = sparseYPred
        self.axis = axis
        matrix = Array(repeating: 0, count: numClasses * numClasses)
        super.init(name: name ?? Self.defaultName)
    }

    /// Keras's automatic name (`io_u`, `mean_io_u`, ...).
    class var defaultName: String { "io_u" }

    public override var direction: Direction? { .up }

    /// Class ids per sample: the values, or the argmax over the last axis of one-hot / scores.
    func classIds(_ t: Tensor, sparse: Bool) -> [Int] {
        if sparse { return (0..<t.count).map { Int(exactly: t.data[$0].rounded(.towardZero)) ?? -1 } }
        guard let k = t.shape.last, k > 0 else { return [] }
        return (0..<(t.count / k)).map { r in
            var best = 0
            for j in 1..<Swift.max(k, 1) where t.data[r * k + j] > t.data[r * k + best] { best = j }
            return best
        }
    }

    /// Predicted class ids; BinaryIoU thresholds the scores instead.
    func predictedIds(_ yPred: Tensor) -> [Int] { classIds(yPred, sparse: sparseYPred) }

    open override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let t = classIds(yTrue, sparse: sparseYTrue), p = predictedIds(yPred)
        guard t.count == p.count else {
            throw KerasError.shapeMismatch("\(className) '\(name)': \(t.count) targets for \(p.count) predictions (y_true \(yTrue.shape), y_pred \(yPred.shape))")
        }
        if let w = sampleWeight, w.count != 1, w.count != t.count {
            throw KerasError.shapeMismatch("\(className) '\(name)': \(w.count) sample weights for \(t.count) samples")
        }
        for i in 0..<t.count {
            let (a, b) = (t[i], p[i])
            guard a >= 0, a < numClasses, b >= 0, b < numClasses, a != ignoreClass else { continue }
            let weight = sampleWeight.map { w in Double(w.data[w.count == 1 ? 0 : i]).rounded(.towardZero) } ?? 1
            matrix[a * numClasses + b] += weight
        }
    }

    open override func result() -> Float {
        var total = 0.0, valid = 0.0
        for c in targetClassIds {
            var row = 0.0, column = 0.0
            for j in 0..<numClasses { row += matrix[c * numClasses + j]; column += matrix[j * numClasses + c] }
            let tp = matrix[c * numClasses + c], denominator = row + column - tp
            guard denominator > 1e-9 else { continue }
            valid += 1
            total += Double(Float(tp) / (Float(denominator) + kerasEpsilon))
        }
        return Float(total / (valid + Double(kerasEpsilon)))
    }

    open override func reset() { matrix = Array(repeating: 0, count: numClasses * numClasses) }

    /// Keras's int32 `total_confusion_matrix`, rows the targets' classes.
    open override var stateVariables: [MetricVariable] {
        [MetricVariable("total_confusion_matrix", shape: [numClasses, numClasses], dtype: "int32", matrix)]
    }

    open override func assignStateVariables(_ values: [String: [Double]]) throws {
        matrix = try assignedValues(values, "total_confusion_matrix", count: numClasses * numClasses).map { $0.rounded(.towardZero) }
    }

    open override var config: JSON {
        ["name": .string(name), "dtype": "int32", "num_classes": .int(numClasses),
         "target_class_ids": .array(targetClassIds.map { .int($0) }), "ignore_class": .optional(ignoreClass),
         "sparse_y_true": .bool(sparseYTrue), "sparse_y_pred": .bool(sparseYPred), "axis": .int(axis)]
    }
}

/// IoU averaged over every class. Keras: `MeanIoU(num_classes, ignore_class=None,
/// sparse_y_true=True, sparse_y_pred=True, axis=-1)`.
open class MeanIoU: IoU, @unchecked Sendable {
    override class var defaultName: String { "mean_io_u" }

    public init(numClasses: Int, ignoreClass: Int? = nil, sparseYTrue: Bool = true, sparseYPred: Bool = true,
                axis: Int = -1, name: String? = nil) throws {
        try super.init(numClasses: numClasses, targetClassIds: Array(0..<Swift.max(numClasses, 1)), ignoreClass: ignoreClass,
                       sparseYTrue: sparseYTrue, sparseYPred: sparseYPred, axis: axis, name: name)
    }

    open override var config: JSON {
        ["num_classes": .int(numClasses), "name": .string(name), "dtype": "int32", "ignore_class": .optional(ignoreClass),
         "sparse_y_true": .bool(sparseYTrue), "sparse_y_pred": .bool(sparseYPred), "axis": .int(axis)]
    }
}

/// IoU of binary targets against scores thresholded at `threshold`, averaged over
/// `targetClassIds`. Keras: `BinaryIoU(target_class_ids=(0, 1), threshold=0.5)`.
public final class BinaryIoU: IoU, @unchecked Sendable {
    public let threshold: Float
    override class var defaultName: String { "binary_io_u" }

    public init(targetClassIds: [Int] = [0, 1], threshold: Float = 0.5, name: String? = nil) throws {
        self.threshold = threshold
        try super.init(numClasses: 2, targetClassIds: targetClassIds, name: name)
    }

    override func predictedIds(_ yPred: Tensor) -> [Int] { (0..<yPred.count).map { yPred.data[$0] >= threshold ? 1 : 0 } }

    public override var config: JSON {
        ["target_class_ids": .array(targetClassIds.map { .int($0) }), "threshold": .double(Double(threshold)),
         "name": .string(name), "dtype": "int32"]
    }
}

/// IoU with one-hot targets (and scores, unless `sparseYPred`). Keras: `OneHotIoU(num_classes,
/// target_class_ids, ignore_class=None, sparse_y_pred=False, axis=-1)`.
public final class OneHotIoU: IoU, @unchecked Sendable {
    override class var defaultName: String { "one_hot_io_u" }

    public init(numClasses: Int, targetClassIds: [Int], ignoreClass: Int? = nil, sparseYPred: Bool = false,
                axis: Int = -1, name: String? = nil) throws {
        try super.init(numClasses: numClasses, targetClassIds: targetClassIds, ignoreClass: ignoreClass,
                       sparseYTrue: false, sparseYPred: sparseYPred, axis: axis, name: name)
    }

    public override var config: JSON {
        ["num_classes": .int(numClasses), "target_class_ids": .array(targetClassIds.map { .int($0) }),
         "name": .string(name), "dtype": "int32", "ignore_class": .optional(ignoreClass),
         "sparse_y_pred": .bool(sparseYPred), "axis": .int(axis)]
    }
}

/// Mean IoU with one-hot targets. Keras: `OneHotMeanIoU(num_classes, ignore_class=None,
/// sparse_y_pred=False, axis=-1)`.
public final class OneHotMeanIoU: MeanIoU, @unchecked Sendable {
    override class var defaultName: String { "one_hot_mean_io_u" }

    public init(numClasses: Int, ignoreClass: Int? = nil, sparseYPred: Bool = false, axis: Int = -1, name: String? = nil) throws {
        try super.init(numClasses: numClasses, ignoreClass: ignoreClass, sparseYTrue: false, sparseYPred: sparseYPred,
                       axis: axis, name: name)
    }

    public override var config: JSON {
        ["num_classes": .int(numClasses), "name": .string(name), "dtype": "int32", "ignore_class": .optional(ignoreClass),
         "sparse_y_pred": .bool(sparseYPred), "axis": .int(axis)]
    }
}

extension Metric {
    /// An IoU metric from its Keras class name and config, arguments checked as Keras's `cls(**config)`.
    static func iouMetric(_ className: String, _ config: JSON) throws -> Metric {
        var a = try ConfigArguments(className, config)
        let name = try a.string("name")
        _ = a.raw("dtype")
        func ids(_ key: String) throws -> [Int]? {
            try a.doubles(key).map { $0.map { Int(exactly: $0) ?? -1 } }
        }
        func required(_ key: String) throws -> Int {
            guard let v = try a.int(key) else { throw KerasError.invalidArgument("\(className): '\(key)' is required") }
            return v
        }
        let m: Metric
        switch className {
        case "BinaryIoU":
            m = try BinaryIoU(targetClassIds: try ids("target_class_ids") ?? [0, 1],
                              threshold: Float(try a.double("threshold", default: 0.5)), name: name)
        case "MeanIoU", "OneHotMeanIoU":
            let n = try required("num_classes"), ignore = try a.int("ignore_class"), axis = try a.int("axis") ?? -1
            let sparsePred = try a.bool("sparse_y_pred", default: className == "MeanIoU")
            m = className == "MeanIoU"
                ? try MeanIoU(numClasses: n, ignoreClass: ignore, sparseYTrue: try a.bool("sparse_y_true", default: true),
                              sparseYPred: sparsePred, axis: axis, name: name)
                : try OneHotMeanIoU(numClasses: n, ignoreClass: ignore, sparseYPred: sparsePred, axis: axis, name: name)
        default:
            let n = try required("num_classes"), ignore = try a.int("ignore_class"), axis = try a.int("axis") ?? -1
            guard let targets = try ids("target_class_ids") else {
                throw KerasError.invalidArgument("\(className): 'target_class_ids' is required")
            }
            let sparsePred = try a.bool("sparse_y_pred", default: className == "IoU")
            m = className == "IoU"
                ? try IoU(numClasses: n, targetClassIds: targets, ignoreClass: ignore,
                          sparseYTrue: try a.bool("sparse_y_true", default: true), sparseYPred: sparsePred, axis: axis, name: name)
                : try OneHotIoU(numClasses: n, targetClassIds: targets, ignoreClass: ignore, sparseYPred: sparsePred,
                                axis: axis, name: name)
        }
        try a.finish()
        return m
    }
}

extension Metric {
    /// Keras metric classes that ``from(className:config:)`` builds but no name finds: those
    /// with required arguments (with sample values, for the catalogue) and the twins of losses.
    static let classesByConfigOnly: [(String, [(String, JSON)])] = [
        ("IoU", [("num_classes", 2), ("target_class_ids", [0])]), ("MeanIoU", [("num_classes", 2)]), ("BinaryIoU", []),
        ("OneHotIoU", [("num_classes", 2), ("target_class_ids", [0])]), ("OneHotMeanIoU", [("num_classes", 2)]),
        ("PrecisionAtRecall", [("recall", 0.5)]), ("RecallAtPrecision", [("precision", 0.5)]),
        ("SensitivityAtSpecificity", [("specificity", 0.5)]), ("SpecificityAtSensitivity", [("sensitivity", 0.5)]),
        ("BinaryCrossentropy", []), ("CategoricalCrossentropy", []), ("SparseCategoricalCrossentropy", []),
        ("Hinge", []), ("SquaredHinge", []), ("CategoricalHinge", []), ("LogCoshError", []), ("KLDivergence", []),
        ("Poisson", []), ("CosineSimilarity", []), ("MeanAbsolutePercentageError", []), ("MeanSquaredLogarithmicError", []),
    ]
}
