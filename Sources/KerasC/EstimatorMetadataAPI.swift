import Keras
import KerasSklearn

// What a fitted estimator learned about its data, for bindings that build their own meta
// (SciKeras's `meta` / fitted attributes) from the library's single implementation.

/// The fitted estimator's metadata and history as a JSON object with SciKeras's keys.
func estimatorMetadataJSON(_ e: KerasEstimator) throws -> JSON {
    guard let m = e.metadata else {
        throw ABIError(.state, "keras_estimator_metadata: this \(e.estimatorName) is not fitted; call keras_estimator_fit first")
    }
    return .object([
        ("n_features_in_", .int(m.nFeaturesIn)),
        ("n_classes_", e.isClassifier ? .int(m.nClasses) : .null),
        ("classes_", e.isClassifier ? .array(m.classes.map { .string($0) }) : .null),
        ("n_outputs_", .int(m.nOutputs)),
        ("n_outputs_expected_", .int(1)),
        ("output_units", .int(m.nOutputsExpected)),
        ("target_type_", .string(m.targetType.rawValue)),
        ("output_activation", .string(m.outputActivation.description)),
        ("default_loss", .string(m.defaultLoss)),
        ("history_", historyJSON(e.history, perClass: e.perClassHistory, keys: e.history.keys.sorted())),
    ])
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
