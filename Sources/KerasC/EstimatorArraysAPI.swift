import Keras
import KerasSklearn

// The estimator's fit, predict and score over one array per model input (keras_array, as
// keras_model_fit_arrays takes them), with Keras fit's validation data and class weights, and
// predictions whose options come with the call rather than from the estimator's parameters.

/// A partial fit's `classes` option: a JSON list of numbers (exact in float32) or of strings.
private func classesOption(_ j: JSON?) throws -> Target? {
    guard let j, !j.isNull else { return nil }
    guard let list = j.arrayValue, !list.isEmpty else {
        throw ABIError(.invalidArgument, "keras_estimator_fit_arrays options: 'classes' must be a non-empty list of numbers or of strings, got \(j)")
    }
    if list.allSatisfy({ $0.stringValue != nil }) { return .labels(list.compactMap(\.stringValue)) }
    return .values(Tensor(try list.map { v -> Float in
        guard let d = v.doubleValue, d.isFinite, Double(Float(d)) == d else {
            throw ABIError(.invalidArgument, "keras_estimator_fit_arrays options: 'classes' entry \(v) is not a number float32 holds exactly (nor are all entries strings)")
        }
        return Float(d)
    }))
}

/// fit (or partial_fit) with one array per model input, validation data and class weights.
@_cdecl("keras_estimator_fit_arrays")
public func keras_estimator_fit_arrays(_ h: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32,
                                       _ y: UnsafeRawPointer?, _ labelsJSON: UnsafePointer<CChar>?,
                                       _ sampleWeight: UnsafeRawPointer?,
                                       _ valX: UnsafeRawPointer?, _ nvx: Int32, _ valY: UnsafeRawPointer?, _ nvy: Int32,
                                       _ valSampleWeight: UnsafeRawPointer?, _ options: UnsafePointer<CChar>?,
                                       _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32) -> Int32 {
    guardedLoop("keras_estimator_fit_arrays") {
        let box = try estimatorBox(h)
        let k = try trainedDirectly(box, "keras_estimator_fit_arrays")
        let xs = try inputTensors(x, nx, "x", counted: "nx")
        guard (y == nil) != (labelsJSON == nil) else {
            throw ABIError(.invalidArgument, "keras_estimator_fit_arrays: give the targets as y or as labels_json (got \(y == nil ? "neither" : "both"))")
        }
        if labelsJSON != nil && !k.isClassifier {
            throw ABIError(.invalidArgument, "keras_estimator_fit_arrays: this \(k.estimatorName) is not a KerasClassifier (string labels are class labels)")
        }
        let yt: Target = try labelsJSON.map { try stringLabels($0, "labels_json") }
            ?? .values(try inputTensors(y, 1, "y", counted: "1", borrow: false)[0])
        let sw = try optionalTensor(sampleWeight, "sample_weight")
        let validation = try validationArrays(valX, nvx, valY, nvy, valSampleWeight)
        let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "keras_estimator_fit_arrays options",
                            allowed: ["partial", "classes", "class_weight"])
        let partial = try o.bool("partial") ?? false
        let classes = try classesOption(o.json["classes"])
        let extras = KerasEstimator.FitExtras(validation: validation, classWeight: try o.classWeight("class_weight"))
        let cbs = try callbackList(callbacks, nCallbacks)
        try box.locked {
            try k.fit(inputs: xs, yt, sampleWeight: sw, callbacks: cbs, extras: extras, partial: partial, classes: classes)
        }
    }
}

/// The options of one prediction or score: {"batch_size": b (-1: one batch), "verbose": v}.
private func predictCall(_ options: UnsafePointer<CChar>?, _ callbacks: UnsafePointer<OpaquePointer?>?,
                         _ nCallbacks: Int32, _ what: String) throws -> KerasEstimator.PredictCall {
    let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "\(what) options",
                        allowed: ["batch_size", "verbose"])
    return KerasEstimator.PredictCall(batchSize: try o.int("batch_size"), verbose: try o.int("verbose"),
                                      callbacks: try callbackList(callbacks, nCallbacks))
}

/// predict / predict_proba with one array per model input and the call's own options.
@_cdecl("keras_estimator_predict_arrays")
public func keras_estimator_predict_arrays(_ h: OpaquePointer?, _ method: UnsafePointer<CChar>?,
                                           _ x: UnsafeRawPointer?, _ nx: Int32, _ options: UnsafePointer<CChar>?,
                                           _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                           _ output: UnsafeMutableRawPointer?,
                                           _ labelsOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_estimator_predict_arrays") {
        labelsOut?.pointee = nil
        let box = try estimatorBox(h)
        let name = try string(method, "method")
        guard name == "predict" || name == "predict_proba" else {
            throw ABIError(.invalidArgument, "keras_estimator_predict_arrays: method must be \"predict\" or \"predict_proba\", got '\(name)'")
        }
        let xs = try inputTensors(x, nx, "x", counted: "nx")
        guard let output else { throw ABIError(.invalidArgument, "keras_estimator_predict_arrays: output must not be NULL") }
        let call = try predictCall(options, callbacks, nCallbacks, "keras_estimator_predict_arrays")
        let result: Target = try box.locked { () throws -> Target in
            let k = try box.keras("keras_estimator_predict_arrays")
            return try k.withPredictCall(call) { () throws -> Target in
                // One input goes through the estimator itself (a Pipeline transforms it first).
                if name == "predict_proba" {
                    return .values(try xs.count == 1 ? box.estimator.predictProba(xs[0]) : k.predictProba(inputs: xs))
                }
                return try xs.count == 1 ? box.estimator.predict(xs[0]) : k.predict(inputs: xs)
            }
        }
        if let labels = result.strings {
            guard let labelsOut else {
                throw ABIError(.state, "keras_estimator_predict_arrays: the predictions are string labels (fitted on labels_json); pass labels_json")
            }
            labelsOut.pointee = try ownedCString(JSON.array(labels.map { .string($0) }).description)
            return
        }
        guard let values = result.tensor else { throw ABIError(.internal, "keras_estimator_predict_arrays: no predictions") }
        try writeOutputs([values], output, 1, name)
    }
}

/// score(x, y, sample_weight=w) with one array per model input and the call's own options.
@_cdecl("keras_estimator_score_arrays")
public func keras_estimator_score_arrays(_ h: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32,
                                         _ y: UnsafeRawPointer?, _ sampleWeight: UnsafeRawPointer?,
                                         _ options: UnsafePointer<CChar>?,
                                         _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                         _ score: UnsafeMutablePointer<Double>?) -> Int32 {
    guardedLoop("keras_estimator_score_arrays") {
        let score = try requireOut(score, "score")
        let box = try estimatorBox(h)
        let xs = try inputTensors(x, nx, "x", counted: "nx")
        let yt = Target.values(try inputTensors(y, 1, "y", counted: "1")[0])
        let sw = try optionalTensor(sampleWeight, "sample_weight")
        if let sw, sw.rank != 1 || sw.count != yt.count {
            throw ABIError(.shape, "sample_weight has shape \(sw.shape) for \(yt.count) samples")
        }
        if let sw, sw.hasNonFinite { throw ABIError(.data, "sample_weight contains NaN or infinite values") }
        let call = try predictCall(options, callbacks, nCallbacks, "keras_estimator_score_arrays")
        score.pointee = try box.locked { () throws -> Double in
            let k = try box.keras("keras_estimator_score_arrays")
            return try k.withPredictCall(call) { () throws -> Double in
                try xs.count == 1 ? box.estimator.score(xs[0], yt, sampleWeight: sw) : k.score(inputs: xs, yt, sampleWeight: sw)
            }
        }
    }
}
