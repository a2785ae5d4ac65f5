import Keras
import KerasSklearn

// Randomized search and cross-validation over an estimator, and the options every search shares.

/// The options of a search or a cross-validation: {"cv": 5 | [{"train": [...], "test": [...]}, ...],
/// "scoring": "accuracy" | ["accuracy", "f1_macro"], "n_jobs", "refit", "verbose",
/// "return_train_score", "random_state"} plus the call's own keys.
struct SearchSettings {
    let options: Options
    let cv: CV
    let scorers: [Scorer]?
    let nJobs: Int
    let refit: Bool
    let verbose: Int
    let returnTrainScore: Bool
    let randomState: Int?

    /// The one scorer a search ranks by.
    var scoring: Scorer? { scorers?.first }

    init(_ text: UnsafePointer<CChar>?, extra: [String], what: String = "search options") throws {
        let o = try Options(try json(text, "options_json", nullAs: .object([])), what: what,
                            allowed: ["cv", "scoring", "n_jobs", "refit", "verbose", "return_train_score", "random_state"] + extra)
        options = o
        cv = try SearchSettings.cv(o.json["cv"], what)
        if let s = o.json["scoring"], !s.isNull {
            let names = try (s.arrayValue ?? [s]).map { n -> String in
                guard let name = n.stringValue else { throw ABIError(.invalidArgument, "\(what): 'scoring' must be a scorer name or a list of names, got \(s)") }
                return name
            }
            guard !names.isEmpty else { throw ABIError(.invalidArgument, "\(what): 'scoring' is an empty list") }
            scorers = try names.map { try Scorer.named($0) }
        } else {
            scorers = nil
        }
        nJobs = try o.int("n_jobs") ?? 1
        refit = try o.bool("refit") ?? true
        verbose = try o.int("verbose") ?? 0
        returnTrainScore = try o.bool("return_train_score") ?? false
        randomState = try o.int("random_state")
    }

    /// `5`, or explicit splits `[{"train": [0, 1, ...], "test": [2, ...]}, ...]` (for example
    /// the ones a scikit-learn splitter made).
    private static func cv(_ j: JSON?, _ what: String) throws -> CV {
        guard let j, !j.isNull else { return 5 }
        if let k = j.intValue { return .folds(k) }
        guard let list = j.arrayValue, !list.isEmpty else {
            throw ABIError(.invalidArgument, "\(what): 'cv' must be a number of folds or a non-empty list of {\"train\": [...], \"test\": [...]}")
        }
        return .splits(try list.enumerated().map { i, s in
            func indices(_ key: String) throws -> [Int] {
                guard let a = s[key]?.arrayValue else { throw ABIError(.invalidArgument, "\(what): cv[\(i)] needs a '\(key)' list of row indices") }
                return try a.map { v in
                    guard let n = v.intValue, n >= 0 else { throw ABIError(.invalidArgument, "\(what): cv[\(i)].\(key) holds \(v), not a row index") }
                    return n
                }
            }
            return Split(train: try indices("train"), test: try indices("test"))
        })
    }
}

/// A distribution of `param_distributions_json`: a list (choice), or {"choice": [...]},
/// {"uniform": [low, high]}, {"loguniform": [low, high]}, {"randint": [low, high]}.
private func distribution(_ key: String, _ j: JSON) throws -> ParamDistribution {
    if let list = j.arrayValue {
        guard !list.isEmpty else { throw ABIError(.invalidArgument, "param_distributions_json: '\(key)' is an empty list") }
        return .choice(list.map(paramValue))
    }
    guard let pairs = j.objectValue, pairs.count == 1, let (kind, args) = pairs.first else {
        throw ABIError(.invalidArgument, "param_distributions_json: '\(key)' must be a list of values or one of {\"choice\": [...]}, {\"uniform\": [low, high]}, {\"loguniform\": [low, high]}, {\"randint\": [low, high]}, got \(j.description.prefix(80))")
    }
    if kind == "choice" {
        guard let list = args.arrayValue, !list.isEmpty else { throw ABIError(.invalidArgument, "param_distributions_json: '\(key)': choice needs a non-empty list") }
        return .choice(list.map(paramValue))
    }
    guard let bounds = args.arrayValue, bounds.count == 2, let low = bounds[0].doubleValue, let high = bounds[1].doubleValue else {
        throw ABIError(.invalidArgument, "param_distributions_json: '\(key)': \(kind) needs [low, high], got \(args)")
    }
    let d: ParamDistribution
    switch kind {
    case "uniform": d = .uniform(low, high)
    case "loguniform": d = .logUniform(low, high)
    case "randint":
        guard let lo = bounds[0].intValue, let hi = bounds[1].intValue else {
            throw ABIError(.invalidArgument, "param_distributions_json: '\(key)': randint needs integer bounds, got \(args)")
        }
        d = .randInt(lo, hi)
    default:
        throw ABIError(.invalidArgument, "param_distributions_json: '\(key)': unknown distribution '\(kind)' (choice, uniform, loguniform, randint)")
    }
    return d
}

@_cdecl("keras_randomized_search_new")
public func keras_randomized_search_new(_ h: OpaquePointer?, _ distributionsJSON: UnsafePointer<CChar>?,
                                        _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_randomized_search_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try estimatorBox(h)
        let d = try json(distributionsJSON, "param_distributions_json")
        guard let pairs = d.objectValue, !pairs.isEmpty else {
            throw ABIError(.invalidArgument, "param_distributions_json must be a non-empty object of distributions")
        }
        var distributions: [String: ParamDistribution] = [:]
        for (k, v) in pairs { distributions[k] = try distribution(k, v) }
        let o = try SearchSettings(options, extra: ["n_iter"])
        let nIter = try o.options.int("n_iter") ?? 10
        guard nIter >= 1 else { throw ABIError(.invalidArgument, "search options: n_iter must be at least 1, got \(nIter)") }
        let base = try box.locked { try box.estimator.clone() }
        let s = RandomizedSearchCV(base, distributions, nIter: nIter, scoring: o.scoring, nJobs: o.nJobs, refit: o.refit,
                                   cv: o.cv, verbose: o.verbose, returnTrainScore: o.returnTrainScore, randomState: o.randomState)
        // Bad bounds are reported now rather than at fit.
        _ = try s.candidates()
        out.pointee = Handles.make(SearchBox(s), kind: "keras_search")
    }
}

/// scikit-learn's cross_validate: fits a copy of the estimator on each split and scores it.
@_cdecl("keras_cross_validate")
public func keras_cross_validate(_ h: OpaquePointer?, _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?,
                                 _ y: UnsafePointer<Float>?, _ yNdim: Int32, _ yShape: UnsafePointer<Int64>?,
                                 _ options: UnsafePointer<CChar>?,
                                 _ resultOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guardedLoop("keras_cross_validate") {
        let out = try requireOut(resultOut, "result_json")
        out.pointee = nil
        let box = try estimatorBox(h)
        let xt = try inputTensor(x, xNdim, xShape, "x")
        let yt = try target(y, yNdim, yShape)
        let o = try SearchSettings(options, extra: [], what: "cross_validate options")
        guard o.options.json["refit"] == nil, o.options.json["verbose"] == nil else {
            throw ABIError(.invalidArgument, "cross_validate options: 'refit' and 'verbose' belong to searches")
        }
        let base = try box.locked { try box.estimator.clone() }
        let r = try crossValidate(base, xt, yt, cv: o.cv, scoring: o.scorers, nJobs: o.nJobs,
                                  returnTrainScore: o.returnTrainScore, randomState: o.randomState)
        func list(_ v: [Double]) -> JSON { .array(v.map { $0.isFinite ? .double($0) : .null }) }
        var pairs: [(String, JSON)] = [("fit_time", list(r.fitTime)), ("score_time", list(r.scoreTime))]
        let keys = r.scores.keys.sorted { a, b in (a.hasPrefix("test_") ? 0 : 1, a) < (b.hasPrefix("test_") ? 0 : 1, b) }
        for k in keys { pairs.append((k, list(r.scores[k] ?? []))) }
        out.pointee = try ownedCString(JSON.object(pairs).description)
    }
}
