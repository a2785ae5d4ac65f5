import Keras
import KerasSklearn

// scikit-learn's Pipeline over a library estimator: transformer steps, then the estimator. The
// handle is a keras_estimator, so searches and cross-validation fit the transformers inside each
// fold, and grids route by step name ("scale__with_mean", "clf__model__hidden").

/// The scikit-learn class names a pipeline step may name.
private let transformerNames = ["MinMaxScaler", "StandardScaler"]

/// A new transformer of the scikit-learn class `name`, nil for one the library does not have.
private func makeTransformer(_ name: String) -> Estimator? {
    switch name {
    case "StandardScaler": return StandardScaler()
    case "MinMaxScaler": return MinMaxScaler()
    default: return nil
    }
}

/// One step of steps_json: {"name": "scale", "class": "StandardScaler", "params": {...}}.
private func transformerStep(_ j: JSON, _ i: Int) throws -> (String, Estimator) {
    guard let name = j["name"]?.stringValue, let cls = j["class"]?.stringValue else {
        throw ABIError(.invalidArgument, "steps_json[\(i)] must be {\"name\": ..., \"class\": ..., \"params\": {...}}, got \(j.description.prefix(80))")
    }
    guard let step = makeTransformer(cls) else {
        throw ABIError(.unknownName, "steps_json[\(i)] ('\(name)'): unknown transformer class '\(cls)' (known: \(transformerNames.joined(separator: ", ")))")
    }
    if let p = j["params"], !p.isNull {
        guard let pairs = p.objectValue else {
            throw ABIError(.invalidArgument, "steps_json[\(i)] ('\(name)'): 'params' must be a JSON object, got \(p.description.prefix(80))")
        }
        try step.setParams(Dictionary(pairs.map { ($0.0, paramValue($0.1)) }, uniquingKeysWith: { _, b in b }))
    }
    return (name, step)
}

/// A Pipeline of the transformers in steps_json followed by a copy of `final`, named final_name.
@_cdecl("keras_pipeline_new")
public func keras_pipeline_new(_ stepsJSON: UnsafePointer<CChar>?, _ final: OpaquePointer?, _ finalName: UnsafePointer<CChar>?,
                               _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_pipeline_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        guard let list = try json(stepsJSON, "steps_json").arrayValue else {
            throw ABIError(.invalidArgument, "steps_json must be a list of {\"name\": ..., \"class\": ..., \"params\": {...}}")
        }
        let name = try string(finalName, "final_name")
        let box = try estimatorBox(final)
        let last = try box.locked { try box.estimator.clone() }
        let steps = try list.enumerated().map { try transformerStep($1, $0) }
        out.pointee = Handles.make(EstimatorBox(try Pipeline(steps + [(name, last)])), kind: "keras_estimator")
    }
}
