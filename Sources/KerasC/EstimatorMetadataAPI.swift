import Keras
import KerasSklearn

// What a fitted estimator learned about its data, for bindings that build their own meta
// (SciKeras's `meta` / fitted attributes) from the library's single implementation.

/// The fitted estimator's metadata and history as a JSON object with SciKeras's keys.
func estimatorMetadataJSON(_ e: KerasEstimator) throws -> JSON {
    guard let state = e.fittedState else {
        throw ABIError(.state, "keras_estimator_metadata: this \(e.estimatorName) is not fitted; call keras_estimator_fit first")
    }
    let m = state.metadata
    let classesKind: JSON = state.classes.map { $0.strings == nil ? .string("numbers") : .string("strings") } ?? .null
    return .object([
        ("n_features_in_", .int(m.nFeaturesIn)),
        ("n_classes_", e.isClassifier ? .int(m.nClasses) : .null),
        ("classes_", e.isClassifier ? .array(m.classes.map { .string($0) }) : .null),
        ("classes_kind", classesKind),
        ("n_outputs_", .int(m.nOutputs)),
        ("n_outputs_expected_", .int(1)),
        ("output_units", .int(m.nOutputsExpected)),
        ("target_type_", .string(m.targetType.rawValue)),
        ("target_encoding", .string(state.encoding.rawValue)),
        ("y_ndim_", .int(state.targetRank)),
        ("sample_shape", .array(state.sampleShape.map { .int($0) })),
        ("output_activation", .string(m.outputActivation.description)),
        ("default_loss", .string(m.defaultLoss)),
        ("history_", historyJSON(state.history, perClass: state.perClassHistory, keys: state.history.keys.sorted())),
    ])
}

/// The fitted state from keras_estimator_metadata's JSON (`what` names the argument); each
/// missing or mistyped field is an error naming it.
func fittedState(_ j: JSON, classifier: Bool, _ what: String) throws -> FittedState {
    guard j.objectValue != nil else { throw ABIError(.invalidArgument, "\(what) must be a JSON object (keras_estimator_metadata's)") }
    func field(_ key: String) throws -> JSON {
        guard let v = j[key] else { throw ABIError(.invalidArgument, "\(what): field '\(key)' is missing") }
        return v
    }
    func bad(_ key: String, _ v: JSON, _ expected: String) -> ABIError {
        ABIError(.invalidArgument, "\(what): field '\(key)' must be \(expected), got \(v)")
    }
    func int(_ key: String) throws -> Int {
        let v = try field(key)
        guard let i = v.intValue, i >= 0, i <= Int(Int32.max) else { throw bad(key, v, "a non-negative integer") }
        return i
    }
    func string(_ key: String) throws -> String {
        let v = try field(key)
        guard let s = v.stringValue else { throw bad(key, v, "a string") }
        return s
    }
    let typeName = try string("target_type_")
    guard let type = TargetType(rawValue: typeName) else { throw bad("target_type_", .string(typeName), "a target type such as 'binary', 'multiclass' or 'continuous'") }
    let encodingName = try string("target_encoding")
    guard let encoding = TargetEncoding(rawValue: encodingName) else { throw bad("target_encoding", .string(encodingName), "'ordinal', 'onehot', 'argmax' or 'identity'") }
    let activationName = try string("output_activation")
    guard let activation = try? ActivationFunction.named(activationName) else { throw bad("output_activation", .string(activationName), "an activation name") }
    let shapeJSON = try field("sample_shape")
    guard let shape = shapeJSON.arrayValue?.compactMap({ $0.intValue }), shape.count == shapeJSON.arrayValue?.count, !shape.isEmpty,
          shape.allSatisfy({ $0 > 0 && $0 <= Int(Int32.max) }) else { throw bad("sample_shape", shapeJSON, "a non-empty list of positive integers") }
    var keys: [String] = []
    var classes: Target?
    if classifier {
        let v = try field("classes_")
        if !v.isNull {
            guard let list = v.arrayValue?.compactMap({ $0.stringValue }), list.count == v.arrayValue?.count else { throw bad("classes_", v, "a list of strings or null") }
            keys = list
        }
        let kind = try field("classes_kind")
        switch kind.stringValue {
        case "strings"?: classes = .labels(keys)
        case "numbers"?:
            classes = .values(Tensor(try keys.map { k in
                guard let d = Double(k), d.isFinite, Double(Float(d)) == d else { throw bad("classes_", .string(k), "numbers' keys (classes_kind 'numbers')") }
                return Float(d)
            }))
        case nil where kind.isNull: classes = nil
        default: throw bad("classes_kind", kind, "'numbers', 'strings' or null")
        }
    }
    let historyJSON = try field("history_")
    guard let pairs = historyJSON.objectValue else { throw bad("history_", historyJSON, "an object of per-epoch lists") }
    var history: [String: [Double]] = [:], perClass: [String: [[Double]]] = [:]
    func number(_ key: String, _ v: JSON) throws -> Double {
        if v.isNull { return .nan }
        guard let d = v.doubleValue else { throw bad("history_['\(key)']", v, "a list of numbers (null for non-finite)") }
        return d
    }
    for (key, list) in pairs {
        guard let epochs = list.arrayValue else { throw bad("history_['\(key)']", list, "a list") }
        if let firstEpoch = epochs.first, firstEpoch.arrayValue != nil {
            let rows = try epochs.map { e -> [Double] in
                guard let row = e.arrayValue, !row.isEmpty else { throw bad("history_['\(key)']", e, "a non-empty list of per-class values") }
                return try row.map { try number(key, $0) }
            }
            perClass[key] = rows
            history[key] = rows.map { $0.reduce(0, +) / Double($0.count) }
        } else {
            history[key] = try epochs.map { try number(key, $0) }
        }
    }
    let nClasses = try classifier && !field("n_classes_").isNull ? int("n_classes_") : 0
    let meta = ModelMetadata(nFeaturesIn: try int("n_features_in_"), nClasses: nClasses,
                             classes: keys, nOutputs: try int("n_outputs_"), nOutputsExpected: try int("output_units"),
                             targetType: type, outputActivation: activation, defaultLoss: try string("default_loss"))
    return FittedState(metadata: meta, sampleShape: shape, classes: classes, encoding: encoding, targetRank: try int("y_ndim_"),
                       history: history, perClassHistory: perClass)
}

/// A fitted estimator around `model` (trained in place by later fits, as keras_estimator_from_model's)
/// from the metadata another estimator's fit left: how a binding rebuilds an unpickled
/// estimator or takes over a search's refit without training again.
@_cdecl("keras_estimator_restore")
public func keras_estimator_restore(_ kind: UnsafePointer<CChar>?, _ model: OpaquePointer?, _ paramsJSON: UnsafePointer<CChar>?,
                                    _ metadataJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_estimator_restore") {
        try estimator(training: model, kind, paramsJSON, out) { e, m in
            try e.restore(model: m, try fittedState(try json(metadataJSON, "metadata_json"), classifier: e.isClassifier, "metadata_json"))
        }
    }
}

@_cdecl("keras_estimator_metadata")
public func keras_estimator_metadata(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_estimator_metadata") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        out.pointee = try ownedCString(box.locked { try estimatorMetadataJSON(box.keras("keras_estimator_metadata")) }.description)
    }
}

/// The model the estimator's last fit trained, as a model handle that shares it (and the
/// estimator's lock): how a binding takes over a fit (a search's refit) without training again.
@_cdecl("keras_estimator_model")
public func keras_estimator_model(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_estimator_model") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        let model = try box.locked { () -> Model in
            let e = try box.keras("keras_estimator_model")
            guard let m = e.model else {
                throw ABIError(.state, "keras_estimator_model: this \(e.estimatorName) is not fitted; call keras_estimator_fit first")
            }
            return m
        }
        out.pointee = Handles.make(ModelBox(model, sharingLockOf: box), kind: "keras_model")
    }
}

/// A description of the data as a JSON object: SciKeras's meta keys and the estimator's decisions.
func targetDescriptionJSON(_ d: TargetDescription, classifier: Bool) -> JSON {
    let m = d.metadata
    let hasClasses = classifier && m.targetType != .multiclassMultioutput
    return .object([
        ("n_features_in_", .int(m.nFeaturesIn)),
        ("sample_shape", .array(d.sampleShape.map { .int($0) })),
        ("target_type_", .string(d.sklearnTargetType)),
        ("encoder_target_type", .string(m.targetType.rawValue)),
        ("classes_", hasClasses ? .array(m.classes.map { .string($0) }) : .null),
        ("class_first_index", d.classFirstIndex.map { .array($0.map { .int($0) }) } ?? .null),
        ("n_classes_", hasClasses ? .int(m.nClasses) : .null),
        ("n_outputs_", .int(classifier ? 1 : m.nOutputs)),  // SciKeras: 1 for every classifier target
        ("n_outputs_expected_", .int(1)),
        ("output_units", .int(m.nOutputsExpected)),
        ("output_activation", .string(m.outputActivation.description)),
        ("target_encoding", .string(d.encoding.rawValue)),
        ("default_loss", .string(d.defaultLoss)),
        ("class_weight", d.classWeights.map { .array($0.map { .double(Double($0)) }) } ?? .null),
    ])
}

/// The target as numbers (`y`) or as string labels (`labels_json`, a JSON list of strings).
private func describedTarget(_ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                             _ labelsJSON: UnsafePointer<CChar>?) throws -> Target {
    guard let labelsJSON else { return try target(y, yNdim, yShape) }
    guard y == nil else { throw ABIError(.invalidArgument, "give y or labels_json, not both") }
    return try stringLabels(labelsJSON, "labels_json")
}

/// String labels from a JSON list of strings (`what` names the argument in errors).
func stringLabels(_ text: UnsafePointer<CChar>?, _ what: String) throws -> Target {
    guard let list = try json(text, what).arrayValue else {
        throw ABIError(.invalidArgument, "\(what) must be a JSON list of strings")
    }
    return .labels(try list.enumerated().map { i, v in
        guard let s = v.stringValue else { throw ABIError(.invalidArgument, "\(what)[\(i)] is \(v), not a string") }
        return s
    })
}

@_cdecl("keras_estimator_describe")
public func keras_estimator_describe(_ kind: UnsafePointer<CChar>?, _ paramsJSON: UnsafePointer<CChar>?,
                                     _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                     _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                     _ labelsJSON: UnsafePointer<CChar>?, _ outputUnits: Int64,
                                     _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_estimator_describe") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let k = try string(kind, "kind")
        let (xDims, _) = try shapeArray(xNdim, xShape, "x_shape")
        guard xDims.count >= 2 else { throw ABIError(.shape, "x_shape must have at least 2 dimensions [samples, features...], got \(xDims)") }
        guard outputUnits >= 0, outputUnits <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "output_units must be >= 0 (0: unknown), got \(outputUnits)") }
        let yt = try describedTarget(y, yNdim, yShape, labelsJSON)
        guard yt.count == xDims[0] else { throw ABIError(.shape, "x_shape has \(xDims[0]) samples but y has \(yt.count)") }
        let noModel: ModelBuilder = { _, _ in throw KerasError.invalidState("keras_estimator_describe builds no model") }
        let e: KerasEstimator
        switch k {
        case "KerasClassifier", "classifier": e = KerasClassifier(model: noModel)
        case "KerasRegressor", "regressor": e = KerasRegressor(model: noModel)
        default: throw ABIError(.unknownName, "unknown estimator kind '\(k)': use \"KerasClassifier\" or \"KerasRegressor\"")
        }
        try e.setParams(try params(paramsJSON, "params_json"))
        let d = try e.describe(sampleShape: Array(xDims.dropFirst()), yt, outputUnits: outputUnits == 0 ? nil : Int(outputUnits))
        out.pointee = try ownedCString(targetDescriptionJSON(d, classifier: e.isClassifier).description)
    }
}
