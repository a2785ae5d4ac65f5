import Keras

// fit / evaluate / predict over several inputs and outputs, with sample weights and validation
// arrays: the keras_array and keras_output structs of include/keras.h, read at their LP64 offsets.

/// `keras_array {const float *data; int ndim; const int64_t *shape;}` (24 bytes).
private let arrayStride = 24
/// `keras_output {float *data; int64_t capacity; int ndim; int64_t shape[KERAS_MAX_RANK];}` (88 bytes).
private let outputStride = 24 + 8 * maxRank

/// The tensors of `count` keras_array structs, borrowed; `what` names them in errors ("x[1]").
/// `borrow` false copies them (what the callee may keep).
func inputTensors(_ list: UnsafeRawPointer?, _ count: Int32, _ what: String, counted countName: String,
                  allowEmpty: Bool = false, borrow: Bool = true) throws -> [Tensor] {
    guard count >= 0 else { throw ABIError(.invalidArgument, "\(countName) is negative (\(count))") }
    if count == 0 {
        if allowEmpty { return [] }
        throw ABIError(.invalidArgument, "\(what): at least one array is needed (\(countName) is 0)")
    }
    guard count <= 1024 else { throw ABIError(.invalidArgument, "\(countName) is too large (\(count))") }
    guard let list else { throw ABIError(.invalidArgument, "\(what) is NULL but \(countName) is \(count)") }
    return try (0..<Int(count)).map { i in
        let base = list + i * arrayStride
        return try inputTensor(base.load(as: UnsafePointer<Float>?.self), base.load(fromByteOffset: 8, as: Int32.self),
                               base.load(fromByteOffset: 16, as: UnsafePointer<Int64>?.self), "\(what)[\(i)]",
                               borrow: borrow)
    }
}

/// One optional keras_array (sample weights): NULL means none.
func optionalTensor(_ p: UnsafeRawPointer?, _ what: String) throws -> Tensor? {
    guard let p else { return nil }
    return try inputTensors(p, 1, what, counted: "1")[0]
}

/// The model and the x, y and sample-weight arrays of fit, evaluate and a training step.
private func modelArrays(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32, _ y: UnsafeRawPointer?,
                         _ ny: Int32, _ sampleWeight: UnsafeRawPointer?) throws -> (ModelBox, [Tensor], [Tensor], Tensor?) {
    let box = try modelBox(handle)
    let xs = try inputTensors(x, nx, "x", counted: "nx"), ys = try inputTensors(y, ny, "y", counted: "ny", allowEmpty: true)
    return (box, xs, ys, try optionalTensor(sampleWeight, "sample_weight"))
}

/// Keras fit's validation_data from keras_array lists: val_x and val_y (both or neither, NULL
/// and 0 for none; val_x alone when the fit has no targets, `targets` false: a model compiled
/// without a loss) and val_sample_weight (NULL, or only with them); nil when none is given.
func validationArrays(_ valX: UnsafeRawPointer?, _ nvx: Int32, _ valY: UnsafeRawPointer?, _ nvy: Int32,
                      _ valSampleWeight: UnsafeRawPointer?, targets: Bool = true) throws -> (x: [Tensor], y: [Tensor], sampleWeight: Tensor?)? {
    let vxs = try inputTensors(valX, nvx, "val_x", counted: "nvx", allowEmpty: true)
    let vys = try inputTensors(valY, nvy, "val_y", counted: "nvy", allowEmpty: true)
    guard vxs.isEmpty == vys.isEmpty || (!targets && vys.isEmpty) else {
        throw ABIError(.invalidArgument, "validation data needs both val_x and val_y (got \(vxs.count) and \(vys.count) arrays)")
    }
    if !targets && !vys.isEmpty { throw ABIError(.invalidArgument, "val_y is given, but the fit has no y") }
    let vsw = try optionalTensor(valSampleWeight, "val_sample_weight")
    if vsw != nil && vxs.isEmpty { throw ABIError(.invalidArgument, "val_sample_weight is given without val_x and val_y") }
    return vxs.isEmpty ? nil : (vxs, vys, vsw)
}

/// fit with arrays for every input and output, sample weights and validation data.
@_cdecl("keras_model_fit_arrays")
public func keras_model_fit_arrays(_ handle: OpaquePointer?,
                                   _ x: UnsafeRawPointer?, _ nx: Int32, _ y: UnsafeRawPointer?, _ ny: Int32,
                                   _ sampleWeight: UnsafeRawPointer?,
                                   _ valX: UnsafeRawPointer?, _ nvx: Int32, _ valY: UnsafeRawPointer?, _ nvy: Int32,
                                   _ valSampleWeight: UnsafeRawPointer?, _ options: UnsafePointer<CChar>?,
                                   _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                   _ historyOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_model_fit_arrays") {
        historyOut?.pointee = nil
        let (box, xs, ys, sw) = try modelArrays(handle, x, nx, y, ny, sampleWeight)
        let validation = try validationArrays(valX, nvx, valY, nvy, valSampleWeight, targets: !ys.isEmpty)
        try fit(box, xs, ys, sampleWeight: sw, validation: validation, options, callbacks, nCallbacks, historyOut)
    }
}

/// keras_model_fit and keras_model_fit_arrays: the model `box` holds fit on the arrays with the
/// options (Keras's fit arguments, a JSON object) and callbacks given; its History written to
/// `historyOut` where given.
func fit(_ box: ModelBox, _ xs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor? = nil,
         validation: (x: [Tensor], y: [Tensor], sampleWeight: Tensor?)? = nil, _ options: UnsafePointer<CChar>?,
         _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
         _ historyOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws {
    let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "fit options",
                        allowed: ["batch_size", "epochs", "verbose", "validation_split", "shuffle", "class_weight",
                                  "initial_epoch", "steps_per_epoch", "validation_freq", "validation_batch_size"])
    let cbs = try callbackList(callbacks, nCallbacks)
    let history = try box.locked {
        try box.model.fit(xs, ys, batchSize: o.int("batch_size"), epochs: o.int("epochs") ?? 1,
                          verbose: o.int("verbose") ?? 1, callbacks: cbs,
                          validationSplit: o.double("validation_split") ?? 0,
                          validationData: validation.map { ($0.x, $0.y) }, shuffle: o.shuffle("shuffle") ?? .all,
                          classWeight: o.classWeight("class_weight"), sampleWeight: sampleWeight,
                          initialEpoch: o.int("initial_epoch") ?? 0,
                          stepsPerEpoch: o.int("steps_per_epoch"), validationFreq: o.int("validation_freq") ?? 1,
                          validationSampleWeight: validation?.sampleWeight,
                          validationBatchSize: o.int("validation_batch_size"))
    }
    if let historyOut { historyOut.pointee = try ownedCString(historyJSON(history)) }
}

/// The History of the model's last fit as numbers; see keras.h. A fit's history_json spends
/// most of a short fit's extra time from Python writing and parsing thousands of numbers as text.
@_cdecl("keras_model_history")
public func keras_model_history(_ handle: OpaquePointer?,
                                _ layoutOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                _ values: UnsafeMutablePointer<Double>?, _ capacity: Int64,
                                _ countOut: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_model_history") {
        let (layoutOut, countOut) = try layoutAndCount(layoutOut, countOut, capacity)
        let box = try modelBox(handle)
        let columns = try box.locked { try historyColumns(box.model.history) }
        try writeCounted(columns.reduce(0) { $0 + $1.values.count }, into: values, capacity: capacity,
                         count: countOut, what: "the History") { out in
            var i = 0
            for column in columns {
                for v in column.values { out[i] = v; i += 1 }
            }
        }
        let layout = JSON.array(columns.map { [.string($0.key), .int($0.epochs), .int($0.width)] })
        layoutOut.pointee = try ownedCString(layout.description)
    }
}

/// A History's figures key by key in Keras's order (as `historyJSON`), each `epochs` x `width`
/// values (width 1, or the class count of a metric reported per class).
func historyColumns(_ history: History?) throws -> [(key: String, epochs: Int, width: Int, values: [Double])] {
    guard let history else { return [] }
    return try orderedKeys(history.history.keys).map { key in
        guard let rows = history.perClass[key] else {
            let values = history.history[key] ?? []
            return (key, values.count, 1, values)
        }
        let width = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == width }) else {
            throw ABIError(.state, "the History's '\(key)' has a different number of class values from epoch to epoch")
        }
        return (key, rows.count, width, rows.flatMap { $0 })
    }
}

/// One training step on one batch (Keras's default `train_step`): the compiled metrics run on
/// from the previous call unless reset_metrics != 0; logs_json receives the figures after the step.
@_cdecl("keras_model_train_batch")
public func keras_model_train_batch(_ handle: OpaquePointer?,
                                    _ x: UnsafeRawPointer?, _ nx: Int32, _ y: UnsafeRawPointer?, _ ny: Int32,
                                    _ sampleWeight: UnsafeRawPointer?, _ resetMetrics: Int32,
                                    _ logsOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_train_batch") {
        let out = try requireOut(logsOut, "logs_json")
        out.pointee = nil
        let (box, xs, ys, sw) = try modelArrays(handle, x, nx, y, ny, sampleWeight)
        let (results, perClass) = try box.locked {
            try box.model.trainStepContinuing(xs, ys, sampleWeight: sw, resetMetrics: resetMetrics != 0)
        }
        out.pointee = try ownedCString(jsonObject(results, perClass: perClass).description)
    }
}

/// keras_model_train_batch with the figures written as numbers into a caller buffer (no JSON
/// per batch): what a loop driven from the host (a PyDataset's batches) calls for each batch.
@_cdecl("keras_model_train_batch_values")
public func keras_model_train_batch_values(_ handle: OpaquePointer?,
                                           _ x: UnsafeRawPointer?, _ nx: Int32, _ y: UnsafeRawPointer?, _ ny: Int32,
                                           _ sampleWeight: UnsafeRawPointer?, _ resetMetrics: Int32,
                                           _ layoutOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                           _ values: UnsafeMutablePointer<Double>?, _ capacity: Int64,
                                           _ countOut: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_model_train_batch_values") {
        layoutOut?.pointee = nil
        let count = try requireOut(countOut, "count")
        count.pointee = 0
        guard capacity >= 0 else { throw ABIError(.invalidArgument, "capacity is negative (\(capacity))") }
        let (box, xs, ys, sw) = try modelArrays(handle, x, nx, y, ny, sampleWeight)
        let (results, perClass) = try box.locked {
            try box.model.trainStepContinuing(xs, ys, sampleWeight: sw, resetMetrics: resetMetrics != 0)
        }
        let columns = results.map { key, value in (key, perClass[key] ?? [value]) }
        if let layoutOut {
            let layout = JSON.array(columns.map { [.string($0.0), .int($0.1.count)] })
            layoutOut.pointee = try ownedCString(layout.description)
        }
        try writeCounted(columns.reduce(0) { $0 + $1.1.count }, into: values, capacity: capacity,
                         count: count, what: "the step's figures") { out in
            var i = 0
            for (_, figures) in columns {
                for v in figures { out[i] = v; i += 1 }
            }
        }
    }
}

/// The two halves of a gradient-tape train_step (Keras's `with tape: y_pred = model(x,
/// training=True)` ... `optimizer.apply(tape.gradient(loss, ...))`) with one forward pass: the
/// training forward on all of x recorded (outputs and losses_json as keras_model_call's, *step_id
/// the id keras_model_train_recorded takes; masks and has_mask as keras_model_call_masked's, or
/// both NULL).
@_cdecl("keras_model_record_forward")
public func keras_model_record_forward(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32,
                                       _ outputs: UnsafeMutableRawPointer?, _ nOut: Int32,
                                       _ masks: UnsafeMutableRawPointer?, _ hasMask: UnsafeMutablePointer<Int32>?,
                                       _ stepId: UnsafeMutablePointer<Int64>?,
                                       _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_record_forward") {
        lossesOut?.pointee = nil
        let id = try requireOut(stepId, "step_id")
        let box = try modelBox(handle)
        let xs = try inputTensors(x, nx, "x", counted: "nx")
        guard nOut >= 0 else { throw ABIError(.invalidArgument, "n_outputs is negative (\(nOut))") }
        guard let outputs else { throw ABIError(.invalidArgument, "outputs must not be NULL") }
        let masksOut = try masks.map { ($0, try requireOut(hasMask, "has_mask")) }
        let r = try box.locked { try box.model.recordTrainingForward(xs) }
        try writeCall(r.outputs, r.masks, r.losses, outputs, nOut, masks: masksOut, lossesOut)
        id.pointee = Int64(r.id)
    }
}

/// The training step of the forward pass keras_model_record_forward recorded as step_id: its
/// loss against y (and sample weights), gradients through that forward, the optimizer's update,
/// the metrics; logs as keras_model_train_batch's.
@_cdecl("keras_model_train_recorded")
public func keras_model_train_recorded(_ handle: OpaquePointer?, _ stepId: Int64,
                                       _ y: UnsafeRawPointer?, _ ny: Int32,
                                       _ sampleWeight: UnsafeRawPointer?, _ resetMetrics: Int32,
                                       _ logsOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_train_recorded") {
        let out = try requireOut(logsOut, "logs_json")
        out.pointee = nil
        let box = try modelBox(handle)
        let ys = try inputTensors(y, ny, "y", counted: "ny", allowEmpty: true)
        let sw = try optionalTensor(sampleWeight, "sample_weight")
        guard let id = Int(exactly: stepId) else { throw ABIError(.invalidArgument, "step_id \(stepId) is out of range") }
        let (results, perClass) = try box.locked {
            try box.model.trainRecordedStep(id: id, ys: ys, sampleWeight: sw, resetMetrics: resetMetrics != 0)
        }
        out.pointee = try ownedCString(jsonObject(results, perClass: perClass).description)
    }
}

/// evaluate with arrays for every input and output and optional sample weights.
@_cdecl("keras_model_evaluate_arrays")
public func keras_model_evaluate_arrays(_ handle: OpaquePointer?,
                                 _ x: UnsafeRawPointer?, _ nx: Int32, _ y: UnsafeRawPointer?, _ ny: Int32,
                                 _ sampleWeight: UnsafeRawPointer?, _ options: UnsafePointer<CChar>?,
                                 _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                 _ resultsOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_model_evaluate_arrays") {
        let out = try requireOut(resultsOut, "results_json")
        out.pointee = nil
        let (box, xs, ys, sw) = try modelArrays(handle, x, nx, y, ny, sampleWeight)
        try evaluate(box, xs, ys, sampleWeight: sw, options, callbacks, nCallbacks, out)
    }
}

/// keras_model_evaluate and keras_model_evaluate_arrays: the model `box` holds evaluated on the
/// arrays with the options (batch_size, verbose) and callbacks given; `{"loss": ..., ...}`
/// (per-class figures as lists) written to `out`.
func evaluate(_ box: ModelBox, _ xs: [Tensor], _ ys: [Tensor], sampleWeight: Tensor? = nil,
              _ options: UnsafePointer<CChar>?, _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
              _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws {
    let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "evaluate options",
                        allowed: ["batch_size", "verbose"])
    let cbs = try callbackList(callbacks, nCallbacks)
    let (results, perClass) = try box.locked {
        (try box.model.evaluateDict(xs, ys, batchSize: o.int("batch_size"), verbose: o.int("verbose") ?? 1,
                                    sampleWeight: sampleWeight, callbacks: cbs), box.model.perClassResults)
    }
    out.pointee = try ownedCString(jsonObject(results, perClass: perClass).description)
}

/// predict for several inputs into one caller buffer per output.
@_cdecl("keras_model_predict_arrays")
public func keras_model_predict_arrays(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32,
                                _ options: UnsafePointer<CChar>?,
                                _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                _ outputs: UnsafeMutableRawPointer?, _ nOut: Int32) -> Int32 {
    guardedLoop("keras_model_predict_arrays") {
        let box = try modelBox(handle)
        let xs = try inputTensors(x, nx, "x", counted: "nx")
        guard nOut >= 0 else { throw ABIError(.invalidArgument, "n_outputs is negative (\(nOut))") }
        guard let outputs else { throw ABIError(.invalidArgument, "outputs must not be NULL") }
        let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "predict options",
                            allowed: ["batch_size", "verbose"])
        let cbs = try callbackList(callbacks, nCallbacks)
        let results = try box.locked { () throws -> [Tensor] in
            return try box.model.predict(xs, batchSize: o.int("batch_size"), verbose: o.int("verbose") ?? 0, callbacks: cbs)
        }
        try writeOutputs(results, outputs, nOut, "predict")
    }
}

/// Copies `results` into the caller's keras_output buffers (n of them), writing every shape
/// first-fit; BUFFER_TOO_SMALL after the others when one does not fit. A nil result leaves its
/// buffer as it is.
func writeOutputs(_ results: [Tensor?], _ outputs: UnsafeMutableRawPointer, _ nOut: Int32, _ what: String) throws {
    guard Int(nOut) == results.count else {
        throw ABIError(.shape, "\(what): the model gives \(results.count) output(s), n_outputs is \(nOut)")
    }
    var tooSmall: ABIError?
    for (i, result) in results.enumerated() {
        guard let r = result else { continue }
        let base = outputs + i * outputStride
        let data = base.load(as: UnsafeMutablePointer<Float>?.self)
        let capacity = base.load(fromByteOffset: 8, as: Int64.self)
        let ndim = (base + 16).assumingMemoryBound(to: Int32.self)
        let shape = (base + 24).assumingMemoryBound(to: Int64.self)
        do {
            try copyOut(r, data, capacity, shape, ndim, "\(what) output \(i)")
        } catch let e as ABIError where e.status == .bufferTooSmall {
            tooSmall = tooSmall ?? e
        }
    }
    if let tooSmall { throw tooSmall }
}

/// Keras's `model.losses` entries as JSON: [{"layer": [names from the model's layer down],
/// "value": v}, ...].
private func lossesJSON(_ losses: [LayerLoss]) -> String {
    JSON.array(losses.map { l in
        .object([("layer", .array(l.path.map { .string($0) })), ("value", .double(Double(l.value)))])
    }).description
}

@_cdecl("keras_model_call")
public func keras_model_call(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32, _ training: Int32,
                             _ outputs: UnsafeMutableRawPointer?, _ nOut: Int32,
                             _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_call") {
        try modelCall(handle, x, nx, training, outputs, nOut, masks: nil, lossesOut)
    }
}

@_cdecl("keras_model_call_masked")
public func keras_model_call_masked(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32, _ training: Int32,
                                    _ outputs: UnsafeMutableRawPointer?, _ nOut: Int32,
                                    _ masks: UnsafeMutableRawPointer?, _ hasMask: UnsafeMutablePointer<Int32>?,
                                    _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_call_masked") {
        guard let masks else { throw ABIError(.invalidArgument, "masks must not be NULL") }
        try modelCall(handle, x, nx, training, outputs, nOut, masks: (masks, try requireOut(hasMask, "has_mask")), lossesOut)
    }
}

@_cdecl("keras_model_call_with_masks")
public func keras_model_call_with_masks(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ xMasks: UnsafeRawPointer?,
                                        _ nx: Int32, _ training: Int32,
                                        _ outputs: UnsafeMutableRawPointer?, _ nOut: Int32,
                                        _ masks: UnsafeMutableRawPointer?, _ hasMask: UnsafeMutablePointer<Int32>?,
                                        _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_call_with_masks") {
        guard let masks else { throw ABIError(.invalidArgument, "masks must not be NULL") }
        guard let xMasks else { throw ABIError(.invalidArgument, "x_masks must not be NULL") }
        // One keras_array per input; a NULL data pointer: that input carries no mask.
        let given = try (0..<Int(Swift.max(nx, 0))).map { i -> Tensor? in
            let base = xMasks + i * arrayStride
            guard let data = base.load(as: UnsafePointer<Float>?.self) else { return nil }
            return try inputTensor(data, base.load(fromByteOffset: 8, as: Int32.self),
                                   base.load(fromByteOffset: 16, as: UnsafePointer<Int64>?.self), "x_masks[\(i)]")
        }
        try modelCall(handle, x, nx, training, outputs, nOut, inputMasks: given,
                      masks: (masks, try requireOut(hasMask, "has_mask")), lossesOut)
    }
}

/// `model(x)` for keras_model_call and keras_model_call_masked: the outputs into the caller's
/// buffers, with their Keras masks into `masks` (and which outputs have one into `hasMask`)
/// when it is given, and the collected losses as JSON when `lossesOut` is given.
private func modelCall(_ handle: OpaquePointer?, _ x: UnsafeRawPointer?, _ nx: Int32, _ training: Int32,
                       _ outputs: UnsafeMutableRawPointer?, _ nOut: Int32, inputMasks: [Tensor?]? = nil,
                       masks: (buffers: UnsafeMutableRawPointer, present: UnsafeMutablePointer<Int32>)?,
                       _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws {
    lossesOut?.pointee = nil
    let box = try modelBox(handle)
    let xs = try inputTensors(x, nx, "x", counted: "nx")
    guard nOut >= 0 else { throw ABIError(.invalidArgument, "n_outputs is negative (\(nOut))") }
    guard let outputs else { throw ABIError(.invalidArgument, "outputs must not be NULL") }
    let mode: Bool? = training < 0 ? nil : training != 0
    let (results, outMasks, losses) = try box.locked { () throws -> ([Tensor], [Tensor?]?, [LayerLoss]) in
        if masks == nil {
            let r = try box.model.callCollectingLosses(xs, training: mode)
            return (r.outputs, nil, r.losses)
        }
        return try box.model.callWithMasksCollectingLosses(xs, inputMasks: inputMasks, training: mode)
    }
    try writeCall(results, outMasks, losses, outputs, nOut, masks: masks, lossesOut)
}

/// A call's outputs into the caller's buffers, their masks into `masks` (when given) and its
/// losses as JSON into `lossesOut` (when given).
private func writeCall(_ results: [Tensor], _ outMasks: [Tensor?]?, _ losses: [LayerLoss],
                       _ outputs: UnsafeMutableRawPointer, _ nOut: Int32,
                       masks: (buffers: UnsafeMutableRawPointer, present: UnsafeMutablePointer<Int32>)?,
                       _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws {
    try writeOutputs(results, outputs, nOut, "call")
    if let masks {
        let given = results.indices.map { i in outMasks.flatMap { i < $0.count ? $0[i] : nil } }
        for (i, m) in given.enumerated() { masks.present[i] = m == nil ? 0 : 1 }
        try writeOutputs(given, masks.buffers, nOut, "call mask")
    }
    if let lossesOut { lossesOut.pointee = try ownedCString(lossesJSON(losses)) }
}

/// Copies the optimizer state of `from` into `to`, compiled with the same optimizer over the same
/// weights (a model rebuilt from another keeps training where it was).
@_cdecl("keras_model_copy_optimizer_state")
public func keras_model_copy_optimizer_state(_ to: OpaquePointer?, _ from: OpaquePointer?) -> Int32 {
    guarded("keras_model_copy_optimizer_state") {
        let target = try modelBox(to), source = try modelBox(from)
        let values = try source.locked { try source.model.optimizerVariableValues() }
        try target.locked { try target.model.restoreOptimizerVariables(values) }
    }
}

@_cdecl("keras_model_weight_losses")
public func keras_model_weight_losses(_ handle: OpaquePointer?, _ lossesOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_weight_losses") {
        let out = try requireOut(lossesOut, "losses_json")
        out.pointee = nil
        let box = try modelBox(handle)
        let losses = try box.locked { try box.model.weightRegularizationLosses() }
        out.pointee = try ownedCString(lossesJSON(losses))
    }
}

@_cdecl("keras_model_input_count")
public func keras_model_input_count(_ handle: OpaquePointer?, _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_input_count") { try endpointCount(handle, count, \.inputs.count) }
}

@_cdecl("keras_model_output_count")
public func keras_model_output_count(_ handle: OpaquePointer?, _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_output_count") { try endpointCount(handle, count, \.outputs.count) }
}

/// Writes a built model's number of inputs or outputs (`endpoints`) to `count`.
private func endpointCount(_ handle: OpaquePointer?, _ count: UnsafeMutablePointer<Int32>?,
                           _ endpoints: KeyPath<Model, Int>) throws {
    let count = try requireOut(count, "count")
    let box = try modelBox(handle)
    count.pointee = try box.locked {
        guard box.model.built, box.model[keyPath: endpoints] > 0 else {
            throw ABIError(.state, "model '\(box.model.name)' is not built yet: add an input layer, call keras_model_build, or fit/predict once")
        }
        return Int32(box.model[keyPath: endpoints])
    }
}

/// The shape of input (`is_input` != 0) or output `index` for `batch` samples.
@_cdecl("keras_model_io_shape")
public func keras_model_io_shape(_ handle: OpaquePointer?, _ isInput: Int32, _ index: Int32, _ batch: Int64,
                                 _ shape: UnsafeMutablePointer<Int64>?, _ capacity: Int32,
                                 _ ndim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_io_shape") {
        let box = try modelBox(handle)
        let shape = try requireOut(shape, "shape")
        let ndim = try requireOut(ndim, "ndim")
        guard batch >= 0 else { throw ABIError(.invalidArgument, "batch is negative (\(batch))") }
        let s = try box.locked { () throws -> [Int64] in
            let list = isInput != 0 ? box.model.inputShapes : box.model.outputShapes
            guard box.model.built, !list.isEmpty else {
                throw ABIError(.state, "model '\(box.model.name)' is not built yet: add an input layer, call keras_model_build, or fit/predict once")
            }
            guard index >= 0 && Int(index) < list.count else {
                throw ABIError(.invalidArgument, "\(isInput != 0 ? "input" : "output") index \(index) is out of range: model '\(box.model.name)' has \(list.count)")
            }
            return isInput != 0 ? list[Int(index)].enumerated().map { i, d in i == 0 ? batch : Int64(d ?? -1) }
                : outputShapeForBatch(list[Int(index)], of: box.model, batch: batch)
        }
        ndim.pointee = Int32(s.count)
        guard Int(capacity) >= s.count else { throw ABIError(.bufferTooSmall, "the shape has rank \(s.count), the shape buffer holds \(capacity)") }
        for (i, d) in s.enumerated() { shape[i] = d }
    }
}

/// An output's shape for `batch` samples as keras.h gives it, unknown dimensions -1: its first
/// dimension is `batch`, unless the model fixes it while its inputs' batch is free. Such an
/// output has no batch axis: CenterCrop or Resizing called on one unbatched image (Keras's
/// `(height, width, channels)`) gives `(height, width, channels)` of its own, and a buffer sized
/// with the image's rows as the batch could not hold a taller result.
func outputShapeForBatch(_ shape: [Int?], of model: Model, batch: Int64) -> [Int64] {
    let batchIsFree = model.inputShapes.allSatisfy { ($0.first ?? nil) == nil }
    return shape.enumerated().map { i, d in
        guard i == 0 else { return Int64(d ?? -1) }
        if batchIsFree, let d { return Int64(d) }
        return batch
    }
}
