import Keras
import KerasSklearn

// scikit-learn-style estimators (KerasClassifier, KerasRegressor) and grid search over them.
// Parameters travel as JSON objects with scikit-learn's keys ({"epochs": 20, "optimizer__learning_rate": 0.01}).

/// A KerasClassifier / KerasRegressor, or a Pipeline ending in one (keras_pipeline_new).
final class EstimatorBox: LockedBox {
    let estimator: Predictor
    init(_ e: Predictor) { estimator = e }

    /// The Keras estimator: this one, or the last step of this pipeline.
    func keras(_ what: String) throws -> KerasEstimator {
        if let k = estimator as? KerasEstimator { return k }
        if let p = estimator as? Pipeline, let k = p.final as? KerasEstimator { return k }
        throw ABIError(.invalidArgument, "\(what): this \(estimator.estimatorName) does not end in a KerasClassifier or KerasRegressor")
    }
}

final class SearchBox: LockedBox {
    let search: BaseSearchCV
    init(_ s: BaseSearchCV) { search = s }
}

func estimatorBox(_ h: OpaquePointer?) throws -> EstimatorBox { try Handles.resolve(h, EstimatorBox.self, kind: "keras_estimator") }
func searchBox(_ h: OpaquePointer?) throws -> SearchBox { try Handles.resolve(h, SearchBox.self, kind: "keras_search") }

func paramValue(_ j: JSON) -> ParamValue {
    switch j {
    case .null: return .none
    case .bool(let b): return .bool(b)
    case .int(let i): return .int(i)
    case .double(let d): return .double(d)
    case .string(let s): return .string(s)
    case .array(let a): return .array(a.map(paramValue))
    case .object(let o): return .dict(Dictionary(o.map { ($0.0, paramValue($0.1)) }, uniquingKeysWith: { _, b in b }))
    }
}

func jsonValue(_ v: ParamValue) -> JSON {
    switch v {
    case .none: return .null
    case .bool(let b): return .bool(b)
    case .int(let i): return .int(i)
    case .double(let d): return d.isFinite ? .double(d) : .null
    case .string(let s): return .string(s)
    case .array(let a): return .array(a.map(jsonValue))
    case .dict(let d): return .object(d.keys.sorted().map { ($0, jsonValue(d[$0] ?? .none)) })
    case .object(let o): return .string(String(describing: type(of: o)))
    }
}

func paramsJSON(_ p: Params) -> JSON { .object(p.keys.sorted().map { ($0, jsonValue(p[$0] ?? .none)) }) }

func params(_ text: UnsafePointer<CChar>?, _ what: String) throws -> Params {
    let j = try json(text, what, nullAs: .object([]))
    guard let pairs = j.objectValue else { throw ABIError(.invalidArgument, "\(what) must be a JSON object of parameters") }
    return Dictionary(pairs.map { ($0.0, paramValue($0.1)) }, uniquingKeysWith: { _, b in b })
}

/// y as a target: one label or value per sample (shape {n}) or a matrix (shape {n, k}).
func target(_ y: UnsafePointer<Float>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?) throws -> Target {
    .values(try inputTensor(y, ndim, shape, "y"))
}

@_cdecl("keras_estimator_new")
public func keras_estimator_new(_ kind: UnsafePointer<CChar>?, _ modelJSON: UnsafePointer<CChar>?,
                                _ paramsJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_estimator_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let k = try string(kind, "kind")
        let config = try string(modelJSON, "model_json")
        let parsed = try json(modelJSON, "model_json")
        // A config with {"$param": name} holes is a template that model__<name> parameters fill.
        let template = ModelTemplate.hasPlaceholders(parsed) ? try ModelTemplate(config) : nil
        if let template {
            // Checked now when every hole has a default; otherwise at the first fit.
            if template.parameters.allSatisfy({ $0.default != nil }) { _ = try modelFromConfig(try template.config([:])) }
        } else {
            _ = try modelFromJSON(config)
        }
        let p = try params(paramsJSON, "params_json")
        let e: KerasEstimator
        switch (k, template) {
        case ("KerasClassifier", nil), ("classifier", nil): e = KerasClassifier(modelConfig: config, params: [:])
        case ("KerasRegressor", nil), ("regressor", nil): e = KerasRegressor(modelConfig: config, params: [:])
        case ("KerasClassifier", let t?), ("classifier", let t?): e = KerasClassifier(modelTemplate: t, params: [:])
        case ("KerasRegressor", let t?), ("regressor", let t?): e = KerasRegressor(modelTemplate: t, params: [:])
        default: throw ABIError(.unknownName, "unknown estimator kind '\(k)': use \"KerasClassifier\" or \"KerasRegressor\"")
        }
        try e.setParams(p)
        out.pointee = Handles.make(EstimatorBox(e), kind: "keras_estimator")
    }
}

/// A KerasClassifier / KerasRegressor (`kind`, parameters `paramsJSON`) that trains the model
/// handle's model itself, sharing its lock, into `out` once `prepare` (run under that lock)
/// accepted it: keras_estimator_from_model and keras_estimator_restore.
func estimator(training model: OpaquePointer?, _ kind: UnsafePointer<CChar>?, _ paramsJSON: UnsafePointer<CChar>?,
               _ out: UnsafeMutablePointer<OpaquePointer?>?, prepare: (KerasEstimator, Model) throws -> Void = { _, _ in }) throws {
    let out = try requireOut(out, "out")
    out.pointee = nil
    let k = try string(kind, "kind")
    let mbox = try modelBox(model)
    let p = try params(paramsJSON, "params_json")
    let m = mbox.locked { mbox.model }
    let e: KerasEstimator
    switch k {
    case "KerasClassifier", "classifier": e = KerasClassifier(training: m)
    case "KerasRegressor", "regressor": e = KerasRegressor(training: m)
    default: throw ABIError(.unknownName, "unknown estimator kind '\(k)': use \"KerasClassifier\" or \"KerasRegressor\"")
    }
    try e.setParams(p)
    try mbox.locked { try prepare(e, m) }
    out.pointee = Handles.make(EstimatorBox(e, sharingLockOf: mbox), kind: "keras_estimator")
}

@_cdecl("keras_estimator_from_model")
public func keras_estimator_from_model(_ kind: UnsafePointer<CChar>?, _ model: OpaquePointer?,
                                       _ paramsJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_estimator_from_model") { try estimator(training: model, kind, paramsJSON, out) }
}

@_cdecl("keras_estimator_free")
public func keras_estimator_free(_ h: OpaquePointer?) { Handles.free(h, kind: "keras_estimator") }

@_cdecl("keras_estimator_set_params")
public func keras_estimator_set_params(_ h: OpaquePointer?, _ paramsJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_estimator_set_params") {
        let box = try estimatorBox(h)
        let p = try params(paramsJSON, "params_json")
        try box.locked { try box.estimator.setParams(p) }
    }
}

@_cdecl("keras_estimator_get_params")
public func keras_estimator_get_params(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_estimator_get_params") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        out.pointee = try ownedCString(paramsJSON(box.locked { box.estimator.getParams(deep: true) }).description)
    }
}

@_cdecl("keras_estimator_clone")
public func keras_estimator_clone(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_estimator_clone") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        guard let copy = try box.locked({ try box.estimator.clone() }) as? Predictor else {
            throw ABIError(.internal, "clone did not give an estimator that predicts")
        }
        out.pointee = Handles.make(EstimatorBox(copy), kind: "keras_estimator")
    }
}

@_cdecl("keras_estimator_fit")
public func keras_estimator_fit(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?) -> Int32 {
    guardedLoop("keras_estimator_fit") {
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        try box.locked { try box.estimator.fit(xt, yt, sampleWeight: nil) }
    }
}

/// Sample weights as a vector of `count` floats (NULL means none).
private func weightVector(_ w: UnsafePointer<Float>?, _ count: Int64, samples: Int?) throws -> Tensor? {
    guard let w else {
        guard count == 0 else { throw ABIError(.invalidArgument, "sample_weight is NULL but n_weights is \(count)") }
        return nil
    }
    guard count > 0 else { throw ABIError(.invalidArgument, "n_weights must be positive when sample_weight is given, got \(count)") }
    var shape = [count]
    let t = try inputTensor(w, 1, &shape, "sample_weight")
    guard !t.hasNonFinite else { throw ABIError(.data, "sample_weight contains NaN or infinite values") }
    guard Int(count) == samples else {
        throw ABIError(.shape, "sample_weight has \(count) values for \(samples ?? 0) samples")
    }
    return t
}

/// fit(x, y, sample_weight=w): one weight per sample.
@_cdecl("keras_estimator_fit_weighted")
public func keras_estimator_fit_weighted(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                         _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                         _ w: UnsafePointer<Float>?, _ nWeights: Int64) -> Int32 {
    guardedLoop("keras_estimator_fit_weighted") {
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        let sw = try weightVector(w, nWeights, samples: xt.shape.first)
        try box.locked { try box.estimator.fit(xt, yt, sampleWeight: sw) }
    }
}

/// The box's KerasClassifier / KerasRegressor itself, for the calls that hand it the caller's
/// callbacks (a Pipeline transforms x before its last step; it has keras_estimator_fit_weighted).
func trainedDirectly(_ box: EstimatorBox, _ what: String) throws -> KerasEstimator {
    guard let k = box.estimator as? KerasEstimator else {
        throw ABIError(.invalidArgument, "\(what): this \(box.estimator.estimatorName) is not a KerasClassifier or KerasRegressor (a Pipeline transforms x first; use keras_estimator_fit_weighted)")
    }
    return k
}

/// fit(x, y, sample_weight=w) with the caller's callbacks for this fit.
@_cdecl("keras_estimator_fit_callbacks")
public func keras_estimator_fit_callbacks(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                          _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                          _ w: UnsafePointer<Float>?, _ nWeights: Int64,
                                          _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32) -> Int32 {
    guardedLoop("keras_estimator_fit_callbacks") {
        let box = try estimatorBox(h)
        let k = try trainedDirectly(box, "keras_estimator_fit_callbacks")
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        let sw = try weightVector(w, nWeights, samples: xt.shape.first)
        let cbs = try callbackList(callbacks, nCallbacks)
        try box.locked { try k.fit(xt, yt, sampleWeight: sw, callbacks: cbs) }
    }
}

/// partial_fit(x, y, classes=classes, sample_weight=w) with the caller's callbacks: one epoch,
/// continuing the model (numbered after the epochs trained so far).
@_cdecl("keras_estimator_partial_fit")
public func keras_estimator_partial_fit(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                        _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                        _ w: UnsafePointer<Float>?, _ nWeights: Int64,
                                        _ classes: UnsafePointer<Float>?, _ nClasses: Int64,
                                        _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32) -> Int32 {
    guardedLoop("keras_estimator_partial_fit") {
        let box = try estimatorBox(h)
        let k = try trainedDirectly(box, "keras_estimator_partial_fit")
        guard nClasses >= 0, nClasses <= Int64(Int32.max), (classes == nil) == (nClasses == 0) else {
            throw ABIError(.invalidArgument, "keras_estimator_partial_fit: classes and n_classes must be both given (n_classes > 0) or NULL and 0, got n_classes \(nClasses)")
        }
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        let sw = try weightVector(w, nWeights, samples: xt.shape.first)
        let given = classes.map { Target.values(Tensor(Array(UnsafeBufferPointer(start: $0, count: Int(nClasses))))) }
        let cbs = try callbackList(callbacks, nCallbacks)
        try box.locked { try k.partialFit(xt, yt, sampleWeight: sw, classes: given, callbacks: cbs) }
    }
}

/// fit (partial == 0) or partial_fit (partial != 0, with classes_json) on string labels.
@_cdecl("keras_estimator_fit_labels")
public func keras_estimator_fit_labels(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                       _ labelsJSON: UnsafePointer<CChar>?, _ w: UnsafePointer<Float>?, _ nWeights: Int64,
                                       _ partial: Int32, _ classesJSON: UnsafePointer<CChar>?,
                                       _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32) -> Int32 {
    guardedLoop("keras_estimator_fit_labels") {
        let box = try estimatorBox(h)
        guard let k = box.estimator as? KerasClassifier else {
            throw ABIError(.invalidArgument, "keras_estimator_fit_labels: this \(box.estimator.estimatorName) is not a KerasClassifier (string labels are class labels)")
        }
        guard classesJSON == nil || partial != 0 else {
            throw ABIError(.invalidArgument, "keras_estimator_fit_labels: classes_json applies to partial fits (partial != 0) only")
        }
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try stringLabels(labelsJSON, "labels_json")
        let sw = try weightVector(w, nWeights, samples: xt.shape.first)
        let classes = try classesJSON.map { try stringLabels($0, "classes_json") }
        let cbs = try callbackList(callbacks, nCallbacks)
        try box.locked {
            if partial != 0 {
                try k.partialFit(xt, yt, sampleWeight: sw, classes: classes, callbacks: cbs)
            } else {
                try k.fit(xt, yt, sampleWeight: sw, callbacks: cbs)
            }
        }
    }
}

/// Predicted string labels as a JSON list.
@_cdecl("keras_estimator_predict_labels")
public func keras_estimator_predict_labels(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                           _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_estimator_predict_labels") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        guard let labels = try box.locked({ try box.estimator.predict(xt) }).strings else {
            throw ABIError(.state, "keras_estimator_predict_labels: the estimator was fitted on numbers; use keras_estimator_predict")
        }
        out.pointee = try ownedCString(JSON.array(labels.map { .string($0) }).description)
    }
}

/// score(x, y, sample_weight=w).
@_cdecl("keras_estimator_score_weighted")
public func keras_estimator_score_weighted(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                           _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                           _ w: UnsafePointer<Float>?, _ nWeights: Int64,
                                           _ score: UnsafeMutablePointer<Double>?) -> Int32 {
    guardedLoop("keras_estimator_score_weighted") {
        let score = try requireOut(score, "score")
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        let sw = try weightVector(w, nWeights, samples: xt.shape.first)
        score.pointee = try box.locked { try box.estimator.score(xt, yt, sampleWeight: sw) }
    }
}

private func predictorOutput(_ t: Target, _ what: String) throws -> Tensor {
    guard let v = t.tensor else { throw ABIError(.state, "\(what): the predictions are string labels; fit with numeric labels from C") }
    return v
}

@_cdecl("keras_estimator_predict")
public func keras_estimator_predict(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                    _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                    _ outShape: UnsafeMutablePointer<Int64>?, _ outNdim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guardedLoop("keras_estimator_predict") {
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let r = try predictorOutput(try box.locked { try box.estimator.predict(xt) }, "predict")
        try copyOut(r, out, capacity, outShape, outNdim, "predict")
    }
}

@_cdecl("keras_estimator_predict_proba")
public func keras_estimator_predict_proba(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                          _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                          _ outShape: UnsafeMutablePointer<Int64>?, _ outNdim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guardedLoop("keras_estimator_predict_proba") {
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let r = try box.locked { try box.estimator.predictProba(xt) }
        try copyOut(r, out, capacity, outShape, outNdim, "predict_proba")
    }
}

@_cdecl("keras_estimator_score")
public func keras_estimator_score(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                  _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                  _ score: UnsafeMutablePointer<Double>?) -> Int32 {
    guardedLoop("keras_estimator_score") {
        let score = try requireOut(score, "score")
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        score.pointee = try box.locked { try box.estimator.score(xt, yt, sampleWeight: nil) }
    }
}

// MARK: Grid search

@_cdecl("keras_grid_search_new")
public func keras_grid_search_new(_ h: OpaquePointer?, _ gridJSON: UnsafePointer<CChar>?, _ options: UnsafePointer<CChar>?,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_grid_search_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        let g = try json(gridJSON, "param_grid_json")
        // One grid (an object of lists) or several (a list of such objects), as scikit-learn takes.
        let gridList = g.arrayValue ?? [g]
        guard !gridList.isEmpty else { throw ABIError(.invalidArgument, "param_grid_json must be a non-empty object of lists") }
        let grids = try gridList.map { one -> [String: [ParamValue]] in
            guard let pairs = one.objectValue, !pairs.isEmpty else {
                throw ABIError(.invalidArgument, "param_grid_json must be a non-empty object of lists (or a list of them)")
            }
            var grid: [String: [ParamValue]] = [:]
            for (k, v) in pairs {
                guard let list = v.arrayValue, !list.isEmpty else { throw ABIError(.invalidArgument, "param_grid_json: '\(k)' must be a non-empty list") }
                grid[k] = list.map(paramValue)
            }
            return grid
        }
        let o = try SearchSettings(options, extra: [])
        let base = try box.locked { try box.estimator.clone() }
        let s = GridSearchCV(base, grids: grids, scoring: o.scoring, nJobs: o.nJobs, refit: o.refit, cv: o.cv, verbose: o.verbose,
                             returnTrainScore: o.returnTrainScore, randomState: o.randomState)
        out.pointee = Handles.make(SearchBox(s), kind: "keras_search")
    }
}

@_cdecl("keras_search_free")
public func keras_search_free(_ h: OpaquePointer?) { Handles.free(h, kind: "keras_search") }

@_cdecl("keras_search_fit")
public func keras_search_fit(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                             _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?) -> Int32 {
    guardedLoop("keras_search_fit") {
        let box = try searchBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        try box.locked { try box.search.fit(xt, yt) }
    }
}

/// {"best_params": {...}, "best_score": s, "best_index": i, "n_splits": k, "refit_time": s,
/// "refit_speculated": b, "schedule": [{"candidate": c, "split": s or null (the refit), "worker": w
/// or null (the calling thread after the fits), "start": s, "end": s, "cpu": s}, ...], "cv_results": {...}}.
@_cdecl("keras_search_results")
public func keras_search_results(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_search_results") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try searchBox(h)
        let j: JSON = try box.locked {
            let s = box.search
            guard let r = s.cvResults else { throw ABIError(.state, "the search has not been fitted: call keras_search_fit first") }
            let numeric = r.keys.filter { $0 != "params" && $0 != "rank_test_score" && !$0.hasPrefix("param_") }
            var cv: [(String, JSON)] = numeric.map { k in (k, .array((r[k] ?? []).map { $0.isFinite ? .double($0) : .null })) }
            for k in r.paramColumns.keys.sorted() { cv.append(("param_" + k, .array((r.paramColumns[k] ?? []).map(jsonValue)))) }
            cv.append(("rank_test_score", .array(r.rankTestScore.map { .int($0) })))
            cv.append(("params", .array(r.params.map(paramsJSON))))
            return .object([("best_params", s.bestParams.map(paramsJSON) ?? .null),
                            ("best_score", s.bestScore.map { $0.isFinite ? .double($0) : .null } ?? .null),
                            ("best_index", s.bestIndex.map { .int($0) } ?? .null),
                            ("n_splits", s.nSplits.map { .int($0) } ?? .null),
                            ("refit_time", s.refitTime.map { .double($0) } ?? .null),
                            ("refit_speculated", .bool(s.refitSpeculated)),
                            ("schedule", .array(s.schedule.map { f in
                                .object([("candidate", .int(f.candidate)), ("split", f.split.map { .int($0) } ?? .null),
                                         ("worker", f.worker.map { .int($0) } ?? .null),
                                         ("start", .double(f.start)), ("end", .double(f.end)), ("cpu", .double(f.cpu))])
                            })),
                            ("cv_results", .object(cv))])
        }
        out.pointee = try ownedCString(j.description)
    }
}

/// The refitted best estimator (a new handle sharing the fitted model).
@_cdecl("keras_search_best_estimator")
public func keras_search_best_estimator(_ h: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_search_best_estimator") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try searchBox(h)
        guard let best = box.locked({ box.search.bestEstimator }) as? Predictor else {
            throw ABIError(.state, "no best estimator: fit the search first (with refit true)")
        }
        out.pointee = Handles.make(EstimatorBox(best), kind: "keras_estimator")
    }
}
