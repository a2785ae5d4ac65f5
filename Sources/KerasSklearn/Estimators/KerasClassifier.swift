/// A Keras model as a scikit-learn classifier. SciKeras: `KerasClassifier`.
///
/// Labels may be integers or strings (encoded to `0..<classes` and decoded by `predict`),
/// one-hot rows, a binary target (one sigmoid unit) or a multi-label indicator matrix. When the
/// builder leaves out the output layer or the `loss` parameter is not set, both follow the data:
/// softmax + `sparse_categorical_crossentropy` (multiclass; `categorical_crossentropy` for one-hot
/// targets), one sigmoid unit + `binary_crossentropy` (binary), sigmoid units +
/// `binary_crossentropy` (multi-label).
///
/// ```swift
/// let clf = KerasClassifier(model: { p, meta in
///     try Sequential([Dense(try p.int("hidden", default: 8), activation: .relu)])
/// }, params: ["model__hidden": 16, "epochs": 50, "optimizer": "adam", "verbose": 0])
/// try clf.fit(x, .labels(species))
/// let accuracy = try clf.score(x, .labels(species))
/// ```
///
/// `score` is the accuracy of `predict`, as in scikit-learn and SciKeras. The Keras 2 wrapper
/// (`keras.wrappers.scikit_learn`) returned the model's first compiled metric from `evaluate`
/// instead (or the negated loss without metrics); use `model.evaluate` for that.
/// `class_weight` takes `{label: weight}` (keys as label text) or `"balanced"`.
public final class KerasClassifier: KerasEstimator, @unchecked Sendable {
    /// The classes seen by `fit`, sorted. scikit-learn: `classes_`.
    public private(set) var classes: Target?
    let labelEncoder = LabelEncoder()
    var lossName = ""

    public override var estimatorName: String { "KerasClassifier" }
    public override var isClassifier: Bool { true }

    public override var defaultParams: Params {
        var p = super.defaultParams
        p["class_weight"] = ParamValue.none
        return p
    }

    /// Also `label_order`: `"numeric"` when string labels are the decimal text of numbers (a
    /// binding's integer labels that float32 cannot hold exactly, such as int64 ids above 2^24):
    /// the classes are sorted by value, as scikit-learn sorts numbers, and kept exactly.
    public override var optionalParamKeys: [String] { super.optionalParamKeys + ["label_order"] }

    /// Whether the `label_order` parameter asks for numeric order.
    func numericLabelOrder() throws -> Bool {
        let value = getParams()["label_order"] ?? .none
        switch value {
        case .none, .string("lexicographic"): return false
        case .string("numeric"): return true
        default: throw reader.bad("label_order", value, "'numeric', 'lexicographic' or None")
        }
    }

    /// The classes as label keys (`"0"`, `"setosa"`).
    public override var classLabels: [String]? { metadata?.classes }

    public override func analyzeTarget(_ y: Target, nFeatures: Int) throws -> ModelMetadata {
        let type = TargetType.of(y)
        let lossParam = getParams()["loss"]?.stringValue.map(LossFactory.canonical)
        let k: Int, expected: Int, activation: ActivationFunction, loss: String, keys: [String]
        switch type {
        case .binary, .multiclass:
            try labelEncoder.fit(y, numericOrder: try numericLabelOrder())
            keys = labelEncoder.classKeys
            k = keys.count
            classes = labelEncoder.classes
            if type == .binary && lossParam != "categorical_crossentropy" && lossParam != "sparse_categorical_crossentropy" {
                expected = 1; activation = .sigmoid; loss = "binary_crossentropy"
            } else {
                if lossParam == "binary_crossentropy" {
                    throw KerasError.invalidArgument("KerasClassifier: loss 'binary_crossentropy' does not fit a multiclass target with \(k) classes")
                }
                expected = k; activation = .softmax; loss = "sparse_categorical_crossentropy"
            }
        case .multiclassOnehot:
            k = y.width; expected = k; activation = .softmax; loss = "categorical_crossentropy"
            keys = (0..<k).map(String.init)
            classes = .values(Tensor((0..<k).map { Float($0) }))
        case .multilabelIndicator:
            k = y.width; expected = k; activation = .sigmoid; loss = "binary_crossentropy"
            keys = (0..<k).map(String.init)
            classes = .values(Tensor((0..<k).map { Float($0) }))
        case .multiclassMultioutput:
            // As SciKeras: trained on the target as given; class predictions are not defined.
            k = 0; expected = y.width; activation = .sigmoid; loss = "binary_crossentropy"
            keys = []
            classes = nil
        default:
            throw KerasError.invalidArgument("Unknown label type: \(type.rawValue). KerasClassifier takes binary, multiclass, one-hot, multi-label and multi-output class targets; use KerasRegressor for continuous targets")
        }
        lossName = lossParam ?? loss
        return ModelMetadata(nFeaturesIn: nFeatures, nClasses: k, classes: keys, nOutputs: y.width,
                             nOutputsExpected: expected, targetType: type, outputActivation: activation, defaultLoss: loss)
    }

    public override var fittedClasses: Target? {
        guard let t = metadata?.targetType, t == .binary || t == .multiclass else { return nil }
        return labelEncoder.classes
    }

    /// Single-label targets take their classes from `state.classes` (which must be the sorted
    /// `classes_` keys); the loss the encoding implies must be the one the parameters give.
    public override func restoreTarget(_ state: FittedState) throws {
        let meta = state.metadata, owner = "KerasClassifier.restore"
        let singleLabel = meta.targetType == .binary || meta.targetType == .multiclass
        let encoder = LabelEncoder()
        var restored: Target?
        switch meta.targetType {
        case .binary, .multiclass:
            guard let given = state.classes, given.count > 0 else {
                throw KerasError.invalidArgument("\(owner): classes_ must list the classes of a '\(meta.targetType.rawValue)' target")
            }
            try encoder.fit(given)
            guard encoder.classKeys == given.labelKeys, encoder.classKeys == meta.classes, meta.nClasses == meta.classes.count else {
                throw KerasError.invalidArgument("\(owner): classes_ must be sorted and distinct, and n_classes_ their number; got classes_ \(given.labelKeys), n_classes_ \(meta.nClasses)")
            }
            restored = encoder.classes
        case .multiclassOnehot, .multilabelIndicator:
            // Counts first: n_classes_ comes from the caller and may be huge.
            guard meta.nClasses == meta.nOutputs, meta.classes.count == meta.nClasses,
                  meta.classes.enumerated().allSatisfy({ $1 == String($0) }) else {
                throw KerasError.invalidArgument("\(owner): a '\(meta.targetType.rawValue)' target's classes_ are its column indices 0..<n_outputs_ (\(meta.nOutputs)), got \(meta.classes)")
            }
            restored = .values(Tensor((0..<meta.nClasses).map { Float($0) }))
        case .multiclassMultioutput:
            restored = nil
        default:
            throw KerasError.invalidArgument("\(owner): target_type_ '\(meta.targetType.rawValue)' is not a classifier's target")
        }
        if !singleLabel && state.classes != nil {
            throw KerasError.invalidArgument("\(owner): classes_kind applies to single-label targets only, not '\(meta.targetType.rawValue)'")
        }
        // The loss analyzeTarget takes: the parameter's, else the data's default.
        let loss = getParams()["loss"]?.stringValue.map(LossFactory.canonical) ?? meta.defaultLoss
        let previous = lossName
        lossName = loss
        let implied = targetEncoding(meta)
        lossName = previous
        guard implied == state.encoding else {
            throw KerasError.invalidArgument("\(owner): target_encoding '\(state.encoding.rawValue)' does not fit a '\(meta.targetType.rawValue)' target with loss \(loss) (that encodes '\(implied.rawValue)')")
        }
        if singleLabel { try labelEncoder.fit(encoder.classes ?? .labels([])) }
        classes = restored
        lossName = loss
    }

    public override func encodeTarget(_ y: Target) throws -> Tensor {
        guard let meta = metadata else { throw KerasError.invalidState("KerasClassifier: not fitted") }
        switch meta.targetType {
        case .binary, .multiclass:
            let codes = try labelEncoder.transform(y)
            if lossName == "categorical_crossentropy" {
                let out = Tensor(shape: [codes.count, meta.nClasses])
                for (i, c) in codes.enumerated() { out.data[i * meta.nClasses + c] = 1 }
                return out
            }
            return Tensor(codes.map { Float($0) })
        case .multiclassOnehot:
            guard let t = y.tensor, y.width == meta.nClasses else {
                throw KerasError.invalidArgument("KerasClassifier: y must be one-hot rows of \(meta.nClasses) columns, as in fit")
            }
            if lossName == "sparse_categorical_crossentropy" { return try Ops.argmax(t.detached) }
            return t
        default:
            guard let t = y.tensor, y.width == meta.nOutputsExpected else {
                throw KerasError.invalidArgument("KerasClassifier: y must be a label matrix of \(meta.nOutputsExpected) columns, as in fit")
            }
            return t
        }
    }

    public override func targetEncoding(_ meta: ModelMetadata) -> TargetEncoding {
        switch meta.targetType {
        case .binary, .multiclass: return lossName == "categorical_crossentropy" ? .onehot : .ordinal
        case .multiclassOnehot: return lossName == "sparse_categorical_crossentropy" ? .argmax : .identity
        default: return .identity
        }
    }

    /// Single-label targets: binary cross-entropy for one output unit, sparse categorical
    /// cross-entropy for more; otherwise the data's default.
    public override func defaultLoss(_ meta: ModelMetadata, outputUnits: Int?) -> String {
        guard let units = outputUnits, meta.targetType == .binary || meta.targetType == .multiclass else { return meta.defaultLoss }
        return units == 1 ? "binary_crossentropy" : "sparse_categorical_crossentropy"
    }

    public override func classWeights(_ y: Target) throws -> [Int: Float]? {
        let value = getParams()["class_weight"] ?? .none
        guard let meta = metadata else { return nil }
        switch value {
        case .none: return nil
        case .string("balanced"):
            let codes: [Int]
            switch meta.targetType {
            case .binary, .multiclass: codes = try labelEncoder.transform(y)
            case .multiclassOnehot:
                guard let t = y.tensor else { throw KerasError.invalidArgument("KerasClassifier: y must be one-hot rows, as in fit") }
                codes = try Ops.argmax(t.detached).scalars.map { Int($0) }
            default: throw KerasError.invalidArgument("KerasClassifier: class_weight='balanced' needs a single-label target")
            }
            var counts = Array(repeating: 0, count: meta.nClasses)
            for c in codes { counts[c] += 1 }
            var out: [Int: Float] = [:]
            for (c, n) in counts.enumerated() where n > 0 { out[c] = Float(Double(codes.count) / Double(meta.nClasses * n)) }
            return out
        case .dict(let d):
            var out: [Int: Float] = [:]
            for (key, w) in d {
                guard let i = meta.classes.firstIndex(of: key) else {
                    throw KerasError.invalidArgument("KerasClassifier: class_weight has key '\(key)', which is not a class (\(meta.classes))")
                }
                guard let x = w.doubleValue, x.isFinite, x >= 0 else {
                    throw KerasError.invalidArgument("KerasClassifier: class_weight['\(key)'] = \(w) must be a number >= 0")
                }
                out[i] = Float(x)
            }
            return out
        default:
            throw reader.bad("class_weight", value, "a dictionary {label: weight}, 'balanced' or None")
        }
    }

    /// Class probabilities, `[samples, classes]`; a single sigmoid unit gives `[1 - p, p]`.
    public override func predictProba(inputs xs: [Tensor]) throws -> Tensor {
        let out = try rawPredict(xs, "predictProba")
        guard let meta = metadata, !fittedAsEncoded else { return out }
        // The model's width, not the data's: a model function may give a binary target two
        // units. A single class (a binary target as scikit-learn types it) keeps its column.
        if out.shape[1] == 1 && meta.targetType == .binary && meta.nClasses == 2 {
            let n = out.shape[0]
            let p = Tensor(shape: [n, 2])
            for i in 0..<n { p.data[2 * i + 1] = out.data[i]; p.data[2 * i] = 1 - out.data[i] }
            return p
        }
        return out
    }

    /// Predicted labels, decoded to the form `fit` saw.
    public override func predict(inputs xs: [Tensor]) throws -> Target {
        let out = try rawPredict(xs, "predict")
        guard let meta = metadata else { throw KerasError.invalidState("KerasClassifier: not fitted") }
        if fittedAsEncoded { return .values(out) }  // the caller's target encoder decodes them
        let n = out.shape[0], k = out.shape[1]
        switch meta.targetType {
        case .binary where k == 1 && meta.nClasses == 2:
            return try labelEncoder.inverseTransform((0..<n).map { out.data[$0] > 0.5 ? 1 : 0 })
        case .binary, .multiclass:
            return try labelEncoder.inverseTransform(argmaxRows(out))
        case .multiclassMultioutput:
            throw KerasError.invalidArgument("KerasClassifier.predict: class predictions are not defined for 'multiclass-multioutput' targets; use predictProba")
        case .multiclassOnehot:
            let codes = argmaxRows(out)
            let t = Tensor(shape: [n, k])
            for (i, c) in codes.enumerated() { t.data[i * k + c] = 1 }
            return .values(t)
        default:
            let t = Tensor(shape: [n, k])
            for i in 0..<(n * k) { t.data[i] = out.data[i] > 0.5 ? 1 : 0 }
            return .values(t)
        }
    }

    /// Accuracy of `predict` (subset accuracy for multi-label targets). scikit-learn: `score`.
    public override func score(inputs xs: [Tensor], _ y: Target, sampleWeight: Tensor? = nil) throws -> Double {
        if fittedAsEncoded {
            throw KerasError.invalidArgument("KerasClassifier.score: with target_encoder 'passthrough' predict gives the model's raw outputs; decode them with the target encoder and score the labels")
        }
        return try accuracyScore(y, predict(inputs: xs), sampleWeight: sampleWeight)
    }
}

/// Index of the largest value in each row (first on ties).
func argmaxRows(_ t: Tensor) -> [Int] {
    let n = t.shape[0], k = t.count / Swift.max(n, 1)
    return (0..<n).map { i in
        var best = 0
        for j in 1..<Swift.max(k, 1) where t.data[i * k + j] > t.data[i * k + best] { best = j }
        return best
    }
}
