import Keras

// Models: creation, compile, fit, evaluate, predict, inspection. Each entry point validates its
// arguments, locks the model's handle and calls the Swift library.

private func storeModel(_ model: Model, _ out: UnsafeMutablePointer<OpaquePointer?>) {
    out.pointee = Handles.make(ModelBox(model), kind: "keras_model")
}

/// A model from the text of `model.to_json()` (Sequential or Functional).
@_cdecl("keras_model_from_json")
public func keras_model_from_json(_ text: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_model_from_json") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let config = try json(text, "json")
        // (holding the locks of the models its traced layers call: keras_layer_builder_model_call)
        let (model, adopted) = try AdoptedModels.collecting { try modelFromConfig(config) }
        out.pointee = Handles.make(adopted.isEmpty ? ModelBox(model) : ModelBox(model, holding: adopted), kind: "keras_model")
    }
}

/// A model loaded from a `.keras`, `.h5` or `.json` file.
@_cdecl("keras_model_load")
public func keras_model_load(_ path: UnsafePointer<CChar>?, _ compile: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_model_load") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let p = try string(path, "path")
        storeModel(try loadModel(p, compile: compile != 0), out)
    }
}

/// Nonzero opens a span of the calling thread in which the models it builds leave their
/// weights' initial values undrawn until read (a build whose weights a load replaces next);
/// zero closes it, drawing every weight still owed its values. Spans nest.
@_cdecl("keras_model_defer_initial_values")
public func keras_model_defer_initial_values(_ on: Int32) -> Int32 {
    guarded("keras_model_defer_initial_values") {
        if on != 0 { return InitialValues.beginDeferring() }
        guard InitialValues.endDeferring() else {
            throw ABIError(.state, "no span of deferred initial values is open on this thread")
        }
    }
}

/// The `training_config` of a legacy `.h5` model file as JSON text, "null" when it has none.
@_cdecl("keras_legacy_h5_training_config")
public func keras_legacy_h5_training_config(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_legacy_h5_training_config") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let p = try string(path, "path")
        out.pointee = try ownedCString(try legacyTrainingConfig(p)?.description ?? "null")
    }
}

/// An empty Sequential model.
@_cdecl("keras_sequential_new")
public func keras_sequential_new(_ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_sequential_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let n = try name.map { try string($0, "name") }
        storeModel(try Sequential(name: n), out)
    }
}

/// Appends a layer given as Keras layer JSON (`{"class_name": "Dense", "config": {...}}`).
@_cdecl("keras_sequential_add_json")
public func keras_sequential_add_json(_ handle: OpaquePointer?, _ layerJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_sequential_add_json") {
        let box = try modelBox(handle)
        let config = try json(layerJSON, "layer_json")
        try box.locked {
            guard let seq = box.model as? Sequential else {
                throw ABIError(.invalidArgument, "model '\(box.model.name)' is a \(box.model.className) model, not Sequential")
            }
            try seq.add(try deserializeLayer(config))
        }
    }
}

/// Builds a Sequential model for a batch input shape (-1 for unknown dimensions).
@_cdecl("keras_model_build")
public func keras_model_build(_ handle: OpaquePointer?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?) -> Int32 {
    guarded("keras_model_build") {
        let box = try modelBox(handle)
        guard ndim >= 1 && Int(ndim) <= maxRank else { throw ABIError(.invalidArgument, "ndim must be between 1 and \(maxRank), got \(ndim)") }
        guard let shape else { throw ABIError(.invalidArgument, "shape must not be NULL") }
        var dims: [Int?] = []
        for i in 0..<Int(ndim) {
            let d = shape[i]
            guard d >= -1, d <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "dimension \(i) is \(d); use -1 for an unknown dimension") }
            dims.append(d < 0 ? nil : Int(d))
        }
        try box.locked {
            guard let seq = box.model as? Sequential else {
                if box.model.built { return }
                throw ABIError(.invalidArgument, "model '\(box.model.name)' is not Sequential")
            }
            try seq.build(inputShape: dims)
        }
    }
}

/// Records the size of the first batch that built a Sequential made without an input
/// (``Sequential/recordFirstBatch(_:)``).
@_cdecl("keras_sequential_record_first_batch")
public func keras_sequential_record_first_batch(_ handle: OpaquePointer?, _ batch: Int64) -> Int32 {
    guarded("keras_sequential_record_first_batch") {
        let box = try modelBox(handle)
        guard batch > 0, batch <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "batch must be a positive size, got \(batch)") }
        try box.locked {
            guard let seq = box.model as? Sequential else { throw ABIError(.invalidArgument, "model '\(box.model.name)' is not Sequential") }
            try seq.recordFirstBatch(Int(batch))
        }
    }
}

/// Frees a model. NULL is ignored.
@_cdecl("keras_model_free")
public func keras_model_free(_ handle: OpaquePointer?) {
    Handles.free(handle, kind: "keras_model")
}

/// Compiles from `{"optimizer": ..., "loss": ..., "metrics": [...], "loss_weights": ...}`.
@_cdecl("keras_model_compile")
public func keras_model_compile(_ handle: OpaquePointer?, _ spec: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_model_compile") {
        let box = try modelBox(handle)
        var config = try json(spec, "spec_json")
        _ = try Options(config, what: "compile spec", allowed: ["optimizer", "loss", "metrics", "loss_weights", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile"])
        if config["optimizer"] == nil || config["optimizer"]?.isNull == true { config.set("optimizer", "rmsprop") }
        try box.locked {
            do {
                try box.model.compileFromConfig(config)
            } catch KerasError.io(let m) {
                throw ABIError(.invalidArgument, m)
            }
        }
    }
}

/// The callbacks of a `(keras_callback* const*, count)` pair.
func callbackList(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int32) throws -> [Callback] {
    guard count >= 0 else { throw ABIError(.invalidArgument, "n_callbacks is negative (\(count))") }
    if count == 0 { return [] }
    guard let list else { throw ABIError(.invalidArgument, "callbacks is NULL but n_callbacks is \(count)") }
    return try (0..<Int(count)).map { i in
        do { return try callbackBox(list[i]).makeForCall() } catch let e as ABIError {
            throw ABIError(e.status, "callbacks[\(i)]: \(e.message)")
        }
    }
}

/// Trains; writes the History (`{"loss": [...], ...}`) into `*history_json` when it is not NULL.
@_cdecl("keras_model_fit")
public func keras_model_fit(_ handle: OpaquePointer?,
                            _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                            _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                            _ options: UnsafePointer<CChar>?,
                            _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                            _ historyOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_model_fit") {
        historyOut?.pointee = nil
        let box = try modelBox(handle)
        let xt = try inputTensor(x, xNdim, xShape, "x", borrow: true)
        let yt = try inputTensor(y, yNdim, yShape, "y", borrow: true)
        try fit(box, [xt], [yt], options, callbacks, nCallbacks, historyOut)
    }
}

/// Loss and metrics; writes `{"loss": ..., "accuracy": ...}` into `*results_json`.
@_cdecl("keras_model_evaluate")
public func keras_model_evaluate(_ handle: OpaquePointer?,
                                 _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                 _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                 _ options: UnsafePointer<CChar>?,
                                 _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                 _ resultsOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_model_evaluate") {
        let out = try requireOut(resultsOut, "results_json")
        out.pointee = nil
        let box = try modelBox(handle)
        let xt = try inputTensor(x, xNdim, xShape, "x", borrow: true)
        let yt = try inputTensor(y, yNdim, yShape, "y", borrow: true)
        try evaluate(box, [xt], [yt], options, callbacks, nCallbacks, out)
    }
}

/// Predictions into the caller's buffer; see keras.h.
@_cdecl("keras_model_predict")
public func keras_model_predict(_ handle: OpaquePointer?,
                                _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                _ options: UnsafePointer<CChar>?,
                                _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                _ outShape: UnsafeMutablePointer<Int64>?, _ outNdim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guardedLoop("keras_model_predict") {
        let box = try modelBox(handle)
        let xt = try inputTensor(x, xNdim, xShape, "x", borrow: true)
        let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "predict options",
                            allowed: ["batch_size", "verbose"])
        let cbs = try callbackList(callbacks, nCallbacks)
        let result = try box.locked {
            try box.model.predict(xt, batchSize: o.int("batch_size"), verbose: o.int("verbose") ?? 0, callbacks: cbs)
        }
        try copyOut(result, out, capacity, outShape, outNdim, "predict")
    }
}

/// The output of the layer named `layer_name` when the model runs on `x`.
@_cdecl("keras_model_layer_output")
public func keras_model_layer_output(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                                     _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                     _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                     _ outShape: UnsafeMutablePointer<Int64>?, _ outNdim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guardedLoop("keras_model_layer_output") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        let xt = try inputTensor(x, xNdim, xShape, "x", borrow: true)
        let result = try box.locked { try box.model.intermediateOutput(layer: name, xt) }
        try copyOut(result, out, capacity, outShape, outNdim, "layer '\(name)'")
    }
}

/// The output shape for `batch` samples; unknown non-batch dimensions are -1. A `batch` of -1
/// asks for the shape as the model infers it, every unknown dimension -1 (the batch among them,
/// where it is one: an output's first axis need not be the batch, as `ops.transpose` of a
/// `(None, 3)` tensor's `(3, None)`).
@_cdecl("keras_model_output_shape")
public func keras_model_output_shape(_ handle: OpaquePointer?, _ batch: Int64, _ shape: UnsafeMutablePointer<Int64>?,
                                     _ capacity: Int32, _ ndim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_output_shape") {
        let box = try modelBox(handle)
        let shape = try requireOut(shape, "shape")
        let ndim = try requireOut(ndim, "ndim")
        guard batch >= -1 else { throw ABIError(.invalidArgument, "batch is negative (\(batch))") }
        let s = try box.locked { () throws -> [Int64] in
            guard box.model.built, let s = box.model.outputShape else {
                throw ABIError(.state, "model '\(box.model.name)' is not built yet: add an input layer, call keras_model_build, or fit/predict once")
            }
            return batch < 0 ? s.map { Int64($0 ?? -1) } : outputShapeForBatch(s, of: box.model, batch: batch)
        }
        ndim.pointee = Int32(s.count)
        guard Int(capacity) >= s.count else { throw ABIError(.bufferTooSmall, "the output has rank \(s.count), the shape buffer holds \(capacity)") }
        for (i, d) in s.enumerated() { shape[i] = d }
    }
}

/// The summary table as Keras prints it.
@_cdecl("keras_model_summary")
public func keras_model_summary(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_summary") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        out.pointee = try ownedCString(box.locked { box.model.summaryText() })
    }
}

/// `model.to_json()`.
@_cdecl("keras_model_to_json")
public func keras_model_to_json(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_to_json") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        out.pointee = try ownedCString(box.locked { box.model.toJSON() })
    }
}

/// Ends the running fit after the current batch (Keras `model.stop_training = True`).
@_cdecl("keras_model_stop_training")
public func keras_model_stop_training(_ handle: OpaquePointer?) -> Int32 {
    guarded("keras_model_stop_training") {
        let box = try modelBox(handle)
        box.locked { box.model.stopTraining = true }
    }
}

// MARK: Files

/// The C entry points on a file of a model (save, load weights, export): `guarded(function)`
/// around the model `handle` holds and `path`, checked in that order, with `body` run under the
/// model's lock.
func guardedModelFile(_ function: String, _ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                      _ body: (Model, String) throws -> Void) -> Int32 {
    guarded(function) {
        let box = try modelBox(handle)
        let p = try string(path, "path")
        try box.locked { try body(box.model, p) }
    }
}

@_cdecl("keras_model_save")
public func keras_model_save(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ overwrite: Int32) -> Int32 {
    guardedModelFile("keras_model_save", handle, path) { model, p in try model.save(p, overwrite: overwrite != 0) }
}

@_cdecl("keras_model_archive_config")
public func keras_model_archive_config(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_archive_config") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        out.pointee = try ownedCString(box.locked { box.model.archiveConfig().description })
    }
}

@_cdecl("keras_model_save_config")
public func keras_model_save_config(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ overwrite: Int32,
                                    _ configJSON: UnsafePointer<CChar>?) -> Int32 {
    guardedModelFile("keras_model_save_config", handle, path) { model, p in
        try model.save(p, overwrite: overwrite != 0, archiveConfig: try json(configJSON, "config_json"))
    }
}

@_cdecl("keras_model_save_weights")
public func keras_model_save_weights(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ overwrite: Int32) -> Int32 {
    guardedModelFile("keras_model_save_weights", handle, path) { model, p in try model.saveWeights(p, overwrite: overwrite != 0) }
}

@_cdecl("keras_model_load_weights")
public func keras_model_load_weights(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    guardedModelFile("keras_model_load_weights", handle, path) { model, p in _ = try model.loadWeights(p) }
}

// MARK: Weights

@_cdecl("keras_model_weight_count")
public func keras_model_weight_count(_ handle: OpaquePointer?, _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_weight_count") {
        let count = try requireOut(count, "count")
        let box = try modelBox(handle)
        count.pointee = Int32(box.locked { box.model.weights.count })
    }
}

func weight(_ box: ModelBox, _ index: Int32) throws -> Variable {
    let ws = box.model.weights
    guard index >= 0 && Int(index) < ws.count else {
        throw ABIError(.invalidArgument, "weight index \(index) is out of range: model '\(box.model.name)' has \(ws.count) weights")
    }
    return ws[Int(index)]
}

/// The path (`dense/kernel`) and shape of weight `index`; `*name` is caller-owned.
@_cdecl("keras_model_weight_info")
public func keras_model_weight_info(_ handle: OpaquePointer?, _ index: Int32,
                                    _ name: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                    _ shape: UnsafeMutablePointer<Int64>?, _ capacity: Int32,
                                    _ ndim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_weight_info") {
        name?.pointee = nil
        let box = try modelBox(handle)
        let ndim = try requireOut(ndim, "ndim")
        let v = try box.locked { try weight(box, index) }
        ndim.pointee = Int32(v.shape.count)
        if v.shape.count > 0 {
            let shape = try requireOut(shape, "shape")
            guard Int(capacity) >= v.shape.count else {
                throw ABIError(.bufferTooSmall, "weight '\(v.path)' has rank \(v.shape.count), the shape buffer holds \(capacity)")
            }
            for (i, d) in v.shape.enumerated() { shape[i] = Int64(d) }
        }
        if let name { name.pointee = try ownedCString(v.path) }
    }
}

/// Whether weight `index` is trained by fit (Keras: it is in model.trainable_weights).
@_cdecl("keras_model_weight_trainable")
public func keras_model_weight_trainable(_ handle: OpaquePointer?, _ index: Int32, _ trainable: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_weight_trainable") {
        let trainable = try requireOut(trainable, "trainable")
        let box = try modelBox(handle)
        trainable.pointee = try box.locked {
            let v = try weight(box, index)
            return box.model.trainableWeights.contains { $0 === v } ? 1 : 0
        }
    }
}

/// Which layer of the model lists each weight, in keras_model_weight_count's order: the first of
/// `model.layers` whose `weights` hold it, as Keras's `model.weights` walks them (a traced layer
/// lists the models its call reuses, whose paths do not name it); null for the model's own.
@_cdecl("keras_model_weight_layers")
public func keras_model_weight_layers(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_weight_layers") {
        let out = try requireOut(json, "json")
        out.pointee = nil
        let box = try modelBox(handle)
        let names = box.locked { () -> [JSON] in
            var owner: [ObjectIdentifier: String] = [:]
            for layer in box.model.layers {
                for v in layer.weights where owner[ObjectIdentifier(v)] == nil { owner[ObjectIdentifier(v)] = layer.name }
            }
            return box.model.weights.map { v in owner[ObjectIdentifier(v)].map { .string($0) } ?? .null }
        }
        out.pointee = try ownedCString(JSON.array(names).description)
    }
}

/// Each weight's ``Variable/serial``, in keras_model_weight_count's order: one number per
/// variable, the same in every model holding it (a nested model, a shared layer), never reused.
@_cdecl("keras_model_weight_ids")
public func keras_model_weight_ids(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_weight_ids") {
        let out = try requireOut(json, "json")
        out.pointee = nil
        let box = try modelBox(handle)
        let ids = box.locked { box.model.weights.map { JSON.int(Int(truncatingIfNeeded: $0.serial)) } }
        out.pointee = try ownedCString(JSON.array(ids).description)
    }
}

@_cdecl("keras_model_get_weight")
public func keras_model_get_weight(_ handle: OpaquePointer?, _ index: Int32, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64) -> Int32 {
    guarded("keras_model_get_weight") {
        let box = try modelBox(handle)
        let value = try box.locked { try weight(box, index).numpy }
        try copyOut(value, out, capacity, nil, nil, "weight \(index)")
    }
}

@_cdecl("keras_model_set_weight")
public func keras_model_set_weight(_ handle: OpaquePointer?, _ index: Int32, _ data: UnsafePointer<Float>?, _ count: Int64) -> Int32 {
    guarded("keras_model_set_weight") {
        let box = try modelBox(handle)
        try box.locked {
            let v = try weight(box, index)
            let n = v.shape.reduce(1, *)
            guard count == Int64(n) else {
                throw ABIError(.shape, "weight '\(v.path)' has shape \(v.shape) (\(n) values), got \(count) values")
            }
            guard let data else { throw ABIError(.invalidArgument, "data must not be NULL") }
            let t = Tensor(shape: v.shape)
            t.data.update(from: data, count: n)
            guard !t.hasNonFinite else { throw ABIError(.data, "the values for weight '\(v.path)' contain NaN or infinity") }
            try v.assign(t)
        }
    }
}

// MARK: Learning rate, summary and weight-loading options

/// The optimizer's current learning rate (Keras: `model.optimizer.learning_rate`).
@_cdecl("keras_model_learning_rate")
public func keras_model_learning_rate(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("keras_model_learning_rate") {
        let out = try requireOut(out, "learning_rate")
        let box = try modelBox(handle)
        out.pointee = try box.locked {
            guard let o = box.model.optimizer else { throw ABIError(.state, "model '\(box.model.name)' is not compiled: it has no optimizer") }
            return Double(o.learningRate)
        }
    }
}

/// Sets the optimizer's learning rate; callable from a callback during fit.
@_cdecl("keras_model_set_learning_rate")
public func keras_model_set_learning_rate(_ handle: OpaquePointer?, _ value: Double) -> Int32 {
    guarded("keras_model_set_learning_rate") {
        let box = try modelBox(handle)
        guard value.isFinite, value >= 0 else { throw ABIError(.invalidArgument, "the learning rate must be a finite number >= 0, got \(value)") }
        try box.locked {
            guard let o = box.model.optimizer else { throw ABIError(.state, "model '\(box.model.name)' is not compiled: it has no optimizer") }
            try o.setLearningRate(Float(value))
        }
    }
}

/// The summary table with Keras's summary() options.
@_cdecl("keras_model_summary_ex")
public func keras_model_summary_ex(_ handle: OpaquePointer?, _ options: UnsafePointer<CChar>?,
                                   _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_summary_ex") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "summary options",
                            allowed: ["line_length", "style", "positions", "show_trainable", "layer_range",
                                      "subclass_layers", "batch_size", "unknown_shape_layers", "trainable",
                                      "trainable_layers", "layer_types", "expand_nested", "nested_batch_sizes",
                                      "graph_shape_layers"])
        let lineLength = try o.int("line_length")
        if let n = lineLength, n < 20 || n > 1000 {
            throw ABIError(.invalidArgument, "summary options: line_length must be between 20 and 1000, got \(n)")
        }
        let style: SummaryStyle
        switch try o.string("style") ?? "keras3" {
        case "keras3": style = .keras3
        case "keras2": style = .keras2
        case let s: throw ABIError(.invalidArgument, "summary options: style must be \"keras3\" or \"keras2\", got \"\(s)\"")
        }
        var positions: [Double]?
        if let p = o.json["positions"], !p.isNull {
            guard let list = p.arrayValue, let values = Optional(list.compactMap(\.doubleValue)), values.count == list.count,
                  zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }), (values.first ?? 0) > 0, (values.last ?? 2) <= 1 else {
                throw ABIError(.invalidArgument, "summary options: 'positions' must be increasing fractions in (0, 1], got \(p)")
            }
            positions = values
        }
        var layerRange: (String, String)?
        if let r = o.json["layer_range"], !r.isNull {
            guard let pair = r.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue else {
                throw ABIError(.invalidArgument, "summary options: 'layer_range' must be two layer names (regular expressions), got \(r)")
            }
            layerRange = (a, b)
        }
        let showTrainable = try o.bool("show_trainable") ?? false
        let expandNested = try o.bool("expand_nested") ?? false
        var subclassLayers: [String]?
        if let l = o.json["subclass_layers"], !l.isNull {
            guard let list = l.arrayValue, let names = Optional(list.compactMap(\.stringValue)), names.count == list.count else {
                throw ABIError(.invalidArgument, "summary options: 'subclass_layers' must be a list of layer names, got \(l)")
            }
            subclassLayers = names
        }
        // A name with "/" is the path of a nested model's row (NestedSummary), from the outer
        // model's row down.
        func names(_ key: String) throws -> Set<String> {
            guard let l = o.json[key], !l.isNull else { return [] }
            guard let list = l.arrayValue, let names = Optional(list.compactMap(\.stringValue)), names.count == list.count else {
                throw ABIError(.invalidArgument, "summary options: '\(key)' must be a list of layer names, got \(l)")
            }
            return Set(names)
        }
        var nested = NestedSummary(graphShapes: try names("graph_shape_layers"))
        let unknownShapes = try names("unknown_shape_layers").filter { !$0.contains("/") }
        nested.unknownShapes = try names("unknown_shape_layers").filter { $0.contains("/") }
        var layerTypes: [String: String] = [:]
        if let t = o.json["layer_types"], !t.isNull {
            guard let pairs = t.objectValue, pairs.allSatisfy({ $0.1.stringValue != nil }) else {
                throw ABIError(.invalidArgument, "summary options: 'layer_types' must map layer names to type names, got \(t)")
            }
            for (name, type) in pairs {
                if name.contains("/") { nested.types[name] = type.stringValue } else { layerTypes[name] = type.stringValue }
            }
        }
        if let b = o.json["nested_batch_sizes"], !b.isNull {
            guard let pairs = b.objectValue, pairs.allSatisfy({ ($0.1.intValue ?? -1) >= 0 }) else {
                throw ABIError(.invalidArgument, "summary options: 'nested_batch_sizes' must map nested models' rows to batch sizes, got \(b)")
            }
            for (name, size) in pairs { nested.batchSizes[name] = size.intValue }
        }
        let batchSize = try o.int("batch_size")
        if let b = batchSize, b < 0 {
            throw ABIError(.invalidArgument, "summary options: batch_size must be a count of samples, got \(b)")
        }
        // The flags a binding changed since it made the model, counted as Keras counts them.
        let trainable = try o.bool("trainable")
        var trainableLayers: [String: Bool] = [:]
        if let t = o.json["trainable_layers"], !t.isNull {
            guard let pairs = t.objectValue, pairs.allSatisfy({ $0.1.boolValue != nil }) else {
                throw ABIError(.invalidArgument, "summary options: 'trainable_layers' must map layer names to true or false, got \(t)")
            }
            for (name, flag) in pairs { trainableLayers[name] = flag.boolValue }
        }
        let options = positions != nil || layerRange != nil || showTrainable || subclassLayers != nil || !layerTypes.isEmpty
            || expandNested || !nested.graphShapes.isEmpty
        if options && style == .keras2 {
            throw ABIError(.invalidArgument, "summary options: positions, show_trainable, layer_range, subclass_layers, layer_types and expand_nested apply to the keras3 style")
        }
        out.pointee = try ownedCString(box.locked {
            try box.model.withTrainableFlags(model: trainable, layers: trainableLayers) {
                options ? try box.model.summaryText(lineLength: lineLength, positions: positions, showTrainable: showTrainable,
                                                    layerRange: layerRange, subclassLayers: subclassLayers, batchSize: batchSize,
                                                    unknownShapes: unknownShapes, layerTypes: layerTypes,
                                                    expandNested: expandNested, nested: nested)
                        : box.model.summaryText(style: style, lineLength: lineLength)
            }
        })
    }
}

/// Loads weights, matching legacy .h5 layers by name and/or skipping shape mismatches.
@_cdecl("keras_model_load_weights_ex")
public func keras_model_load_weights_ex(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                                        _ byName: Int32, _ skipMismatch: Int32) -> Int32 {
    guardedModelFile("keras_model_load_weights_ex", handle, path) { model, p in
        _ = try model.loadWeights(p, byName: byName != 0, skipMismatch: skipMismatch != 0)
    }
}

/// A model from JSON whose nested models named as those of `nested` are those models themselves:
/// Keras's nested models, holding the same variables in every model that uses them.
@_cdecl("keras_model_from_json_sharing")
public func keras_model_from_json_sharing(_ text: UnsafePointer<CChar>?, _ nested: UnsafePointer<OpaquePointer?>?,
                                          _ nNested: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_model_from_json_sharing") {
        try modelFromJSONSharing(text, nested, nNested, "nested", layers: nil, out)
    }
}

/// keras_model_from_json_sharing whose entries named in `layers` (`[[i, "name"], ...]`: layer
/// `name` of `models[i]`) are those layers themselves: Keras's `Model(base.input,
/// base.get_layer("x").output)` holds the base's layers, with their variables. `[i, "name", true]`:
/// `models[i]` is a private model of the layer's first call (a layer built alone), whose call the
/// new model does not count (``Layer/forgetCalls(ofPrivateModel:)``).
@_cdecl("keras_model_from_json_sharing_layers")
public func keras_model_from_json_sharing_layers(_ text: UnsafePointer<CChar>?, _ models: UnsafePointer<OpaquePointer?>?,
                                                 _ nModels: Int32, _ layersJSON: UnsafePointer<CChar>?,
                                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_model_from_json_sharing_layers") {
        try modelFromJSONSharing(text, models, nModels, "models", layers: try json(layersJSON, "layers_json"), out)
    }
}

/// The model of config `text` holding the models of the `n` handles where its config names them
/// (nested models) and the layers `layers` lists (`[[i, "name"], ...]`), under their locks.
private func modelFromJSONSharing(_ text: UnsafePointer<CChar>?, _ handles: UnsafePointer<OpaquePointer?>?, _ n: Int32,
                                  _ what: String, layers: JSON?, _ out: UnsafeMutablePointer<OpaquePointer?>?) throws {
    let out = try requireOut(out, "out")
    out.pointee = nil
    let config = try json(text, "json")
    guard n >= 0 else { throw ABIError(.invalidArgument, "n_\(what) is negative (\(n))") }
    var boxes: [ModelBox] = []
    if n > 0 {
        guard let handles else { throw ABIError(.invalidArgument, "\(what) is NULL but n_\(what) is \(n)") }
        boxes = try (0..<Int(n)).map { try modelBox(handles[$0]) }
    }
    if let layers, layers.arrayValue == nil {
        throw ABIError(.invalidArgument, "layers_json must be a list of [model index, layer name], got \(layers.description.prefix(80))")
    }
    let (model, adopted) = try AdoptedModels.collecting { try LockedBox.locked(boxes) { () throws -> Model in
        let shared = try (layers?.arrayValue ?? []).map { pair -> Layer in
            guard let p = pair.arrayValue, p.count == 2 || p.count == 3, let i = p[0].intValue, let name = p[1].stringValue,
                  p.count == 2 || p[2].boolValue != nil else {
                throw ABIError(.invalidArgument, "layers_json: each entry must be [model index, layer name] or [model index, layer name, built alone (true or false)], got \(pair.description.prefix(80))")
            }
            guard boxes.indices.contains(i) else {
                throw ABIError(.invalidArgument, "layers_json: model index \(i) is out of range (n_models is \(n))")
            }
            guard let layer = boxes[i].model.layers.first(where: { $0.name == name }) else {
                throw ABIError(.invalidArgument, "layers_json: model '\(boxes[i].model.name)' has no layer named '\(name)'")
            }
            if p.count == 3, p[2].boolValue == true { layer.forgetCalls(ofPrivateModel: boxes[i].model) }
            return layer
        }
        return try modelFromConfig(config, reusing: boxes.map(\.model), layers: shared)
    } }
    out.pointee = Handles.make(ModelBox(model, holding: boxes + adopted), kind: "keras_model")
}

/// A second handle on the model used as layer `name` of `model` (a nested model), locking with
/// `model`'s locks.
@_cdecl("keras_model_nested_model")
public func keras_model_nested_model(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                     _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_model_nested_model") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        let n = try string(name, "name")
        let nested = try box.locked { () throws -> Model in
            // (a layer of the model, or the model a TimeDistributed of it wraps)
            let held = box.model.layers + box.model.layers.compactMap { ($0 as? TimeDistributed)?.layer }
            guard let layer = held.first(where: { $0.name == n }) else {
                throw ABIError(.invalidArgument, "model '\(box.model.name)' has no layer named '\(n)'")
            }
            guard let model = layer as? Model else {
                throw ABIError(.invalidArgument, "layer '\(n)' of model '\(box.model.name)' is a \(layer.className), not a model")
            }
            return model
        }
        out.pointee = Handles.make(ModelBox(nested, sharingLockOf: box), kind: "keras_model")
    }
}

/// Replaces the activation of layer `layer_name` (a path through nested layers with `/`) with
/// `activation_json` as a layer config holds it (`"relu"`, `null` for linear, a serialized
/// activation object): Keras's `layer.activation = f` on a built model.
@_cdecl("keras_model_set_layer_activation")
public func keras_model_set_layer_activation(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                                             _ activationJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_model_set_layer_activation") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        let activation = try deserializeActivation(try json(activationJSON, "activation_json"))
        try box.locked { try box.model.setActivation(ofLayer: name, to: activation) }
    }
}

/// Sets the `trainable` flags of the model and its layers to those of its config (Keras reads
/// them at the next compile), keeping every weight and the layers themselves.
@_cdecl("keras_model_set_trainable")
public func keras_model_set_trainable(_ handle: OpaquePointer?, _ configJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_model_set_trainable") {
        let box = try modelBox(handle)
        let config = try json(configJSON, "config_json")
        guard let inner = config["config"], inner.objectValue != nil else {
            throw ABIError(.invalidArgument, "config_json must be a model config {\"class_name\", \"config\": {...}}, got \(config.description.prefix(80))")
        }
        box.locked { box.model.takeTrainableFlags(inner) }
    }
}
