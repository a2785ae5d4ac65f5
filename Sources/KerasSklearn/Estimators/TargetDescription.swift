/// How the estimator turns a target into what the loss wants.
public enum TargetEncoding: String, Sendable {
    /// Class codes `0..<classes` (sparse losses, one sigmoid unit).
    case ordinal
    /// One-hot rows of the class codes (categorical cross-entropy).
    case onehot
    /// One-hot rows as their class codes (sparse categorical cross-entropy on one-hot targets).
    case argmax
    /// The target as given (regression, multi-label, multi-output).
    case identity
}

/// What an estimator decides from the data before any model exists: SciKeras's `meta`, the
/// target encoding, the default loss and the class weights. Bindings that build their own models
/// (the Python wrappers) ask for this rather than deciding again. See ``KerasEstimator/describe(sampleShape:_:outputUnits:)``.
public struct TargetDescription: @unchecked Sendable {
    /// The data's metadata, as the builder gets it.
    public let metadata: ModelMetadata
    /// The shape of one sample of X. SciKeras: `X_shape_[1:]`.
    public let sampleShape: [Int]
    /// scikit-learn's `type_of_target` (one-hot rows are `multilabel-indicator` there).
    public let sklearnTargetType: String
    /// How the target is encoded for the loss.
    public let encoding: TargetEncoding
    /// For each class (in `metadata.classes` order), the index of its first sample in y; nil
    /// when the classes are columns (one-hot, multi-label) or there are none.
    public let classFirstIndex: [Int]?
    /// The weight of each class from the `class_weight` parameter, nil without one.
    public let classWeights: [Float]?
    /// The loss compiled when the `loss` parameter is not set, for a model with the output
    /// units given (or those the data calls for).
    public let defaultLoss: String
}

extension KerasEstimator {
    /// What this estimator would decide for samples of `sampleShape` and target `y` (unchanged:
    /// the analysis runs on a clone). `outputUnits` is the width of a model built elsewhere,
    /// which decides the default loss of a single-label classifier (1 unit: binary
    /// cross-entropy, more: sparse categorical cross-entropy).
    public func describe(sampleShape: [Int], _ y: Target, outputUnits: Int? = nil) throws -> TargetDescription {
        guard let first = sampleShape.first, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument("\(estimatorName).describe: X must have at least one feature per sample, got sample shape \(sampleShape)")
        }
        guard y.count > 0 else { throw KerasError.invalidData("\(estimatorName).describe: y has no samples") }
        if let t = y.tensor, t.hasNonFinite { throw KerasError.invalidData("\(estimatorName).describe: y contains NaN or infinite values") }
        if let u = outputUnits, u <= 0 {
            throw KerasError.invalidArgument("\(estimatorName).describe: output_units must be positive, got \(u)")
        }
        guard let e = try clone() as? KerasEstimator else {
            throw KerasError.invalidState("\(estimatorName).describe: the clone is not a Keras estimator")
        }
        for key in e.params.keys { try e.checkKey(key) }
        let meta = try e.analyzeTarget(y, nFeatures: first)
        e.metadata = meta
        let weights = try e.classWeights(y).map { w in (0..<meta.nClasses).map { w[$0] ?? 1 } }
        var firstIndex: [Int]?
        if meta.targetType == .binary || meta.targetType == .multiclass {
            let keys = y.labelKeys
            var seen: [String: Int] = [:]
            for (i, k) in keys.enumerated() where seen[k] == nil { seen[k] = i }
            firstIndex = meta.classes.map { seen[$0] ?? 0 }
        }
        return TargetDescription(metadata: meta, sampleShape: sampleShape,
                                 sklearnTargetType: meta.targetType == .multiclassOnehot ? TargetType.multilabelIndicator.rawValue : meta.targetType.rawValue,
                                 encoding: e.targetEncoding(meta), classFirstIndex: firstIndex, classWeights: weights,
                                 defaultLoss: e.defaultLoss(meta, outputUnits: outputUnits))
    }
}
