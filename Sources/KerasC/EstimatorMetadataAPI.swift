import Keras
import KerasSklearn

// What a fitted estimator learned about its data, for bindings that build their own meta
// (SciKeras's `meta` / fitted attributes) from the library's single implementation.

/// The fitted estimator's metadata and history as a JSON object with SciKeras's keys.
func estimatorMetadataJSON(_ e: KerasEstimator) throws -> JSON {
    guard let m = e.metadata else {
        throw ABIError(.state, "keras_estimator_metadata: this \(e.estimatorName) is not fitted; call keras_estimator_fit first")
    }
    let history = e.history.keys.sorted().map { key in
        (key, JSON.array((e.history[key] ?? []).map { $0.isFinite ? .double($0) : .null }))
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
        ("history_", .object(history)),
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
