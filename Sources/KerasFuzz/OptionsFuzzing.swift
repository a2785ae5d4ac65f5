import Foundation
import Keras
import KerasC

/// Feeds arbitrary text, through the C ABI as a C or Python caller passes it, to the JSON that
/// configures training: the compile spec (reader `compile`: keras_model_compile, then a short
/// fit), the fit/evaluate/predict options (`fit`) and an estimator's params (`estimator`:
/// keras_estimator_new, set_params, get_params, clone, keras_estimator_describe (the text as params
/// and as labels), a grid search over the text, a fit when every number in the params is small,
/// and keras_estimator_restore with the text as the fitted metadata, then its predict, score and
/// partial fit; the text as the options of keras_estimator_predict_arrays, _score_arrays and
/// _fit_arrays). Fits stop after a few batches (a callback calls
/// keras_model_stop_training), so that `"epochs": 1e18` in the input does not stall the fuzzer.
/// Any outcome but a status code (a trap, a crash, an unbounded allocation) is a bug.
public enum OptionsFuzzing {
    /// The readers this type implements (`KERAS_FUZZ_READERS`).
    public static let readers: Set<String> = ["compile", "fit", "estimator"]

    static let modelJSON = """
    {"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 3]}}, \
    {"class_name": "Dense", "config": {"units": 4, "activation": "relu"}}, \
    {"class_name": "Dense", "config": {"units": 2, "activation": "softmax"}}]}}
    """
    /// 8 rows of 3 features, one-hot targets of 2 classes, and the same classes as labels.
    static let x: [Float] = (0..<24).map { Float($0 % 5) / 5 }
    static let oneHot: [Float] = (0..<16).map { $0 % 2 == ($0 / 2) % 2 ? 1 : 0 }
    static let labels: [Float] = (0..<8).map { Float($0 % 2) }
    static let xShape: [Int64] = [8, 3], oneHotShape: [Int64] = [8, 2], labelShape: [Int64] = [8]

    /// Runs the `readers` chosen among ``readers`` on `bytes`; returns how many calls succeeded.
    @discardableResult
    public static func run(_ bytes: [UInt8], readers chosen: Set<String> = OptionsFuzzing.readers) -> Int {
        let text = String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        var accepted = 0
        if chosen.contains("compile"), let m = model() {
            if keras_model_compile(m, text) == 0 { accepted += 1 + fit(m, options: "{\"verbose\": 0}") }
            keras_model_free(m)
        }
        if chosen.contains("fit"), let m = model() {
            if keras_model_compile(m, "{\"optimizer\": \"sgd\", \"loss\": \"categorical_crossentropy\", \"metrics\": [\"accuracy\"]}") == 0 {
                accepted += runLoops(m, options: quiet(text))
            }
            keras_model_free(m)
        }
        if chosen.contains("estimator") { accepted += estimator(quiet(text)) }
        return accepted
    }

    static func model() -> OpaquePointer? {
        var m: OpaquePointer?
        return keras_model_from_json(modelJSON, &m) == 0 ? m : nil
    }

    /// `text` with `"verbose": 0` when it is a JSON object (progress bars would flood the run).
    static func quiet(_ text: String) -> String {
        guard var json = try? JSONParser.parse(text), json.objectValue != nil else { return text }
        json.set("verbose", .int(0))
        return json.description
    }

    /// fit (stopped after a few batches), evaluate and predict with `options`.
    static func runLoops(_ m: OpaquePointer, options: String) -> Int {
        var accepted = fit(m, options: options)
        var results: UnsafeMutablePointer<CChar>?
        if keras_model_evaluate(m, x, 2, xShape, oneHot, 2, oneHotShape, options, nil, 0, &results) == 0 { accepted += 1 }
        keras_string_free(results)
        var out = [Float](repeating: 0, count: 16)
        if keras_model_predict(m, x, 2, xShape, options, nil, 0, &out, 16, nil, nil) == 0 { accepted += 1 }
        return accepted
    }

    /// Stops the fit it is given to after four batches.
    static let stopper: CCallbackFn = { user, event, _, _ in
        guard let user, event == 5 else { return 0 }   // KERAS_ON_TRAIN_BATCH_END
        let state = user.assumingMemoryBound(to: (OpaquePointer?, Int).self)
        state.pointee.1 += 1
        if state.pointee.1 >= 4 { _ = keras_model_stop_training(state.pointee.0) }
        return 0
    }

    static func fit(_ m: OpaquePointer, options: String) -> Int {
        let state = UnsafeMutablePointer<(OpaquePointer?, Int)>.allocate(capacity: 1)
        state.initialize(to: (m, 0))
        defer { state.deallocate() }
        var cb: OpaquePointer?
        guard keras_callback_new_masked("fuzz-stopper", stopper, state, nil, 1 << 5, &cb) == 0 else { return 0 }
        defer { keras_callback_free(cb) }
        var history: UnsafeMutablePointer<CChar>?
        let rc = [cb].withUnsafeBufferPointer { keras_model_fit(m, x, 2, xShape, oneHot, 2, oneHotShape, options, $0.baseAddress, 1, &history) }
        keras_string_free(history)
        return rc == 0 ? 1 : 0
    }

    /// A grid search over `params` as a grid; an estimator made with `params`, its params read
    /// back and set again, cloned, and fitted (quietly, `params` being an object) when no number
    /// in `params` exceeds 64 in magnitude.
    static func estimator(_ params: String) -> Int {
        var accepted = 0
        var base: OpaquePointer?
        if keras_estimator_new("KerasRegressor", modelJSON, "{\"verbose\": 0}", &base) == 0 {
            var search: OpaquePointer?
            if keras_grid_search_new(base, params, "{\"cv\": 2}", &search) == 0 { accepted += 1 }
            keras_search_free(search)
            keras_estimator_free(base)
        }
        accepted += describe(params) + restore(params) + callOptions(params)
        var e: OpaquePointer?
        guard keras_estimator_new("KerasClassifier", modelJSON, params, &e) == 0, let e else { return accepted }
        defer { keras_estimator_free(e) }
        accepted += 1
        var text: UnsafeMutablePointer<CChar>?
        if keras_estimator_get_params(e, &text) == 0, let text {
            if keras_estimator_set_params(e, text) == 0 { accepted += 1 }
        }
        keras_string_free(text)
        var copy: OpaquePointer?
        if keras_estimator_clone(e, &copy) == 0 { accepted += 1 }
        keras_estimator_free(copy)
        if let json = try? JSONParser.parse(params), json.objectValue != nil, largestNumber(json) <= 64 {
            if keras_estimator_fit(e, x, 2, xShape, labels, 1, labelShape) == 0 {
                accepted += 1
                var out = [Float](repeating: 0, count: 16), score = 0.0
                if keras_estimator_predict(e, x, 2, xShape, &out, 16, nil, nil) == 0 { accepted += 1 }
                if keras_estimator_score(e, x, 2, xShape, labels, 1, labelShape, &score) == 0 { accepted += 1 }
            }
        }
        return accepted
    }

    /// A fitted classifier's keras_estimator_predict_arrays, _score_arrays and _fit_arrays with
    /// `options` as each call's options.
    static func callOptions(_ options: String) -> Int {
        var e: OpaquePointer?
        let params = "{\"epochs\": 1, \"verbose\": 0, \"loss\": \"categorical_crossentropy\"}"
        guard keras_estimator_new("KerasClassifier", modelJSON, params, &e) == 0, let e else { return 0 }
        defer { keras_estimator_free(e) }
        guard keras_estimator_fit(e, x, 2, xShape, labels, 1, labelShape) == 0 else { return 0 }
        return arrays(e, options: options)
    }

    /// keras_estimator_predict_arrays, _score_arrays and _fit_arrays of the fitted `e` with
    /// `options` as each call's options (keras_array and keras_output at keras.h's LP64
    /// offsets).
    static func arrays(_ e: OpaquePointer, options: String) -> Int {
        var accepted = 0
        let xa = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 8)
        let output = UnsafeMutableRawPointer.allocate(byteCount: 24 + 8 * 8, alignment: 8)
        var out = [Float](repeating: 0, count: 16), score = 0.0
        defer { xa.deallocate(); output.deallocate() }
        x.withUnsafeBufferPointer { xd in xShape.withUnsafeBufferPointer { xs in
            labels.withUnsafeBufferPointer { yd in labelShape.withUnsafeBufferPointer { ys in
                out.withUnsafeMutableBufferPointer { o in
                    for (i, (data, shape, rank)) in [(xd.baseAddress, xs.baseAddress, 2), (yd.baseAddress, ys.baseAddress, 1)].enumerated() {
                        (xa + 24 * i).storeBytes(of: data, as: UnsafePointer<Float>?.self)
                        (xa + 24 * i).storeBytes(of: Int64(rank), toByteOffset: 8, as: Int64.self)
                        (xa + 24 * i).storeBytes(of: shape, toByteOffset: 16, as: UnsafePointer<Int64>?.self)
                    }
                    output.storeBytes(of: o.baseAddress, as: UnsafeMutablePointer<Float>?.self)
                    output.storeBytes(of: Int64(o.count), toByteOffset: 8, as: Int64.self)
                    let x1 = UnsafeRawPointer(xa), y1 = UnsafeRawPointer(xa + 24)
                    for method in ["predict", "predict_proba"] {
                        var labelsOut: UnsafeMutablePointer<CChar>?
                        if keras_estimator_predict_arrays(e, method, x1, 1, options, nil, 0, output, &labelsOut) == 0 { accepted += 1 }
                        keras_string_free(labelsOut)
                    }
                    if keras_estimator_score_arrays(e, x1, 1, y1, nil, options, nil, 0, &score) == 0 { accepted += 1 }
                    // The fit's options have no verbose (quiet adds one; the estimator's params set it).
                    let fitOptions = (try? JSONParser.parse(options)).flatMap { $0.objectValue }
                        .map { JSON.object($0.filter { $0.0 != "verbose" }).description } ?? options
                    if keras_estimator_fit_arrays(e, x1, 1, y1, nil, nil, nil, 0, nil, 0, nil, fitOptions, nil, 0) == 0 { accepted += 1 }
                }
            } }
        } }
        return accepted
    }

    /// keras_estimator_restore with `text` as the metadata around a fresh model; when accepted,
    /// its predict, score and a partial fit.
    static func restore(_ text: String) -> Int {
        guard let m = model() else { return 0 }
        defer { keras_model_free(m) }
        var e: OpaquePointer?
        let params = "{\"verbose\": 0, \"loss\": \"sparse_categorical_crossentropy\"}"
        guard keras_estimator_restore("KerasClassifier", m, params, text, &e) == 0, let e else { return 0 }
        defer { keras_estimator_free(e) }
        var accepted = 1
        var out = [Float](repeating: 0, count: 16), score = 0.0
        if keras_estimator_predict(e, x, 2, xShape, &out, 16, nil, nil) == 0 { accepted += 1 }
        if keras_estimator_score(e, x, 2, xShape, labels, 1, labelShape, &score) == 0 { accepted += 1 }
        if keras_estimator_partial_fit(e, x, 2, xShape, labels, 1, labelShape, nil, 0, nil, 0, nil, 0) == 0 { accepted += 1 }
        return accepted
    }

    /// keras_estimator_describe with `text` as the params and as the string labels.
    static func describe(_ text: String) -> Int {
        var accepted = 0
        var out: UnsafeMutablePointer<CChar>?
        if keras_estimator_describe("KerasClassifier", text, 2, xShape, labels, 1, labelShape, nil, 0, &out) == 0 { accepted += 1 }
        keras_string_free(out)
        out = nil
        var n = [Int64(4), 3]
        if keras_estimator_describe("KerasClassifier", nil, 2, &n, nil, 0, nil, text, 2, &out) == 0 { accepted += 1 }
        keras_string_free(out)
        return accepted
    }

    /// The largest magnitude of any number in `json` (0 when there is none).
    static func largestNumber(_ json: JSON) -> Double {
        if let d = json.doubleValue { return d.isNaN ? .infinity : Swift.abs(d) }
        if let a = json.arrayValue { return a.map(largestNumber).max() ?? 0 }
        if let o = json.objectValue { return o.map { largestNumber($0.1) }.max() ?? 0 }
        return 0
    }
}
