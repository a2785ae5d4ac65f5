#if canImport(Glibc)
import Glibc
#endif
import Keras

/// `int (*)(void *user_data, int event, int64_t index, const char *logs_json)`.
public typealias CCallbackFn = @convention(c) (UnsafeMutableRawPointer?, Int32, Int64, UnsafePointer<CChar>?) -> Int32
/// `void (*)(void *user_data)`.
public typealias CFreeFn = @convention(c) (UnsafeMutableRawPointer?) -> Void

/// The message a failing user callback leaves with keras_callback_error, per thread.
enum CallbackMessage {
    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { free($0) }
        return k
    }()

    static func set(_ message: UnsafePointer<CChar>?) {
        if let old = pthread_getspecific(key) { free(old) }
        pthread_setspecific(key, message.flatMap { strdup($0) })
    }

    /// Takes (and clears) the message left by the callback that just failed.
    static func take() -> String? {
        guard let p = pthread_getspecific(key) else { return nil }
        let s = String(cString: p.assumingMemoryBound(to: CChar.self))
        free(p)
        pthread_setspecific(key, nil)
        return s
    }

    /// Calls a user function; a non-zero return becomes `KerasError.callbackFailed` naming the
    /// object, the hook and the user's message.
    static func check(_ what: String, _ call: () -> Int32) throws {
        _ = take()
        let code = call()
        guard code == 0 else {
            let m = take()
            throw KerasError.callbackFailed("\(what) failed with code \(code)" + (m.map { ": \($0)" } ?? " (no message: call keras_callback_error before returning non-zero)"))
        }
    }
}

/// Sets the message reported when the user callback that is running returns non-zero.
@_cdecl("keras_callback_error")
public func keras_callback_error(_ message: UnsafePointer<CChar>?) {
    CallbackMessage.set(message)
}

/// User data and its destructor, owned by a handle (or a registered object): freed once, when the
/// last owner goes.
final class UserData: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
    let free: CFreeFn?
    init(_ pointer: UnsafeMutableRawPointer?, _ free: CFreeFn?) {
        self.pointer = pointer
        self.free = free
    }
    deinit { free?(pointer) }
}

/// The hooks of keras_callback_event, in the header's order.
enum CallbackEvent: Int32 {
    case trainBegin = 0, trainEnd, epochBegin, epochEnd, trainBatchBegin, trainBatchEnd,
         testBegin, testEnd, testBatchBegin, testBatchEnd,
         predictBegin, predictEnd, predictBatchBegin, predictBatchEnd

    var hookName: String {
        ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"][Int(rawValue)]
    }
}

/// A Keras callback whose every hook calls one C function.
final class CFunctionCallback: Callback, @unchecked Sendable {
    let fn: CCallbackFn
    let userData: UserData
    let name: String
    /// Bit `1 << event` set for each hook that calls fn.
    let events: UInt32

    /// Every hook of keras_callback_event.
    static let allEvents: UInt32 = (1 << 14) - 1
    /// The batch-level hooks: without them the training loop need not make per-batch logs.
    static let batchEvents: UInt32 = [CallbackEvent.trainBatchBegin, .trainBatchEnd, .testBatchBegin, .testBatchEnd,
                                      .predictBatchBegin, .predictBatchEnd].reduce(0) { $0 | (1 << $1.rawValue) }

    init(name: String, fn: CCallbackFn, userData: UserData, events: UInt32 = CFunctionCallback.allEvents) {
        self.fn = fn
        self.userData = userData
        self.name = name
        self.events = events
    }

    override var wantsBatchLogs: Bool { events & CFunctionCallback.batchEvents != 0 }

    private func fire(_ event: CallbackEvent, _ index: Int, _ logs: Logs, adding extra: [(String, JSON)] = []) throws {
        guard events & (1 << event.rawValue) != 0 else { return }
        let text = JSON.object(orderedKeys(logs.keys).map { k in (k, logs[k].map { $0.isFinite ? .double($0) : .null } ?? .null) }
                               + extra).description
        try CallbackMessage.check("callback '\(name)' \(event.hookName)" + (index >= 0 ? "(\(index))" : "")) {
            text.withCString { fn(userData.pointer, event.rawValue, Int64(index), $0) }
        }
    }

    override func onTrainBegin(logs: Logs) throws { try fire(.trainBegin, -1, logs) }
    override func onTrainEnd(logs: Logs) throws { try fire(.trainEnd, -1, logs) }
    override func onEpochBegin(_ epoch: Int, logs: Logs) throws { try fire(.epochBegin, epoch, logs) }
    override func onEpochEnd(_ epoch: Int, logs: Logs) throws { try fire(.epochEnd, epoch, logs) }
    override func onTrainBatchBegin(_ batch: Int, logs: Logs) throws { try fire(.trainBatchBegin, batch, logs) }
    override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { try fire(.trainBatchEnd, batch, logs) }
    override func onTestBegin(logs: Logs) throws { try fire(.testBegin, -1, logs) }
    override func onTestEnd(logs: Logs) throws { try fire(.testEnd, -1, logs) }
    override func onTestBatchBegin(_ batch: Int, logs: Logs) throws { try fire(.testBatchBegin, batch, logs) }
    override func onTestBatchEnd(_ batch: Int, logs: Logs) throws { try fire(.testBatchEnd, batch, logs) }
    override func onPredictBegin(logs: Logs) throws { try fire(.predictBegin, -1, logs) }
    override func onPredictEnd(logs: Logs) throws { try fire(.predictEnd, -1, logs) }
    override func onPredictBatchBegin(_ batch: Int, logs: Logs) throws { try fire(.predictBatchBegin, batch, logs) }
    override func onPredictBatchEnd(_ batch: Int, logs: Logs) throws { try fire(.predictBatchEnd, batch, logs) }
    /// Keras's `logs["outputs"]`: the batch's predictions as nested lists, one per output.
    override func onPredictBatchEnd(_ batch: Int, logs: Logs, outputs: [Tensor]) throws {
        guard events & (1 << CallbackEvent.predictBatchEnd.rawValue) != 0 else { return }
        try fire(.predictBatchEnd, batch, logs, adding: [("outputs", .array(outputs.map(nestedJSON)))])
    }
}

/// A tensor's values as nested JSON lists of its shape (null for NaN or infinity).
private func nestedJSON(_ t: Tensor) -> JSON {
    let values = t.scalars, shape = t.shape
    func nest(_ axis: Int, _ offset: Int) -> JSON {
        guard axis < shape.count else {
            let v = values[offset]
            return v.isFinite ? .double(Double(v)) : .null
        }
        let stride = shape[(axis + 1)...].reduce(1, *)
        return .array((0..<shape[axis]).map { nest(axis + 1, offset + $0 * stride) })
    }
    return nest(0, 0)
}

/// A callback handle: makes a fresh Swift callback for each fit/evaluate/predict call, so that
/// one handle can be passed to several calls (and threads) without sharing loop state.
final class CallbackBox: LockedBox {
    let make: () throws -> Callback
    /// The callback made for the latest call (keras_callback_state reports its state).
    private(set) var last: Callback?
    init(_ make: @escaping () throws -> Callback) { self.make = make }

    /// A fresh callback for one call, remembered as the latest.
    func makeForCall() throws -> Callback {
        let callback = try make()
        locked { last = callback }
        return callback
    }
}

func callbackBox(_ h: OpaquePointer?) throws -> CallbackBox { try Handles.resolve(h, CallbackBox.self, kind: "keras_callback") }

/// A callback calling `fn` for every hook.
@_cdecl("keras_callback_new")
public func keras_callback_new(_ name: UnsafePointer<CChar>?, _ fn: CCallbackFn?, _ userData: UnsafeMutableRawPointer?,
                               _ freeUserData: CFreeFn?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_callback_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        guard let fn else { throw ABIError(.invalidArgument, "fn must not be NULL") }
        let n = try name.map { try string($0, "name") } ?? "callback"
        let data = UserData(userData, freeUserData)
        out.pointee = Handles.make(CallbackBox { CFunctionCallback(name: n, fn: fn, userData: data) }, kind: "keras_callback")
    }
}

/// A built-in Keras callback by class name and constructor arguments.
/// A callback calling `fn` only for the hooks whose bit (`1 << event`) is set in `events`.
@_cdecl("keras_callback_new_masked")
public func keras_callback_new_masked(_ name: UnsafePointer<CChar>?, _ fn: CCallbackFn?, _ userData: UnsafeMutableRawPointer?,
                                      _ freeUserData: CFreeFn?, _ events: UInt32,
                                      _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_callback_new_masked") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        guard let fn else { throw ABIError(.invalidArgument, "fn must not be NULL") }
        guard events & ~CFunctionCallback.allEvents == 0 else {
            throw ABIError(.invalidArgument, "events 0x\(String(events, radix: 16)) has bits beyond the 14 hooks (mask 0x\(String(CFunctionCallback.allEvents, radix: 16)))")
        }
        let n = try name.map { try string($0, "name") } ?? "callback"
        let data = UserData(userData, freeUserData)
        out.pointee = Handles.make(CallbackBox { CFunctionCallback(name: n, fn: fn, userData: data, events: events) }, kind: "keras_callback")
    }
}

/// `void (*)(void *user_data, const char *text)`.
public typealias CPrintFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void

/// Sends progress bars, callback messages and printed text to `fn` instead of stdout (NULL: back
/// to stdout).
@_cdecl("keras_set_print_hook")
public func keras_set_print_hook(_ fn: CPrintFn?, _ userData: UnsafeMutableRawPointer?, _ dynamic: Int32) {
    guard let fn else { PrintHook.set(nil); return }
    let ud = UnsafeSendablePointer(userData)
    PrintHook.set(PrintHook(dynamic: dynamic != 0) { text in text.withCString { fn(ud.pointer, $0) } })
}

/// A raw pointer carried into a closure that may run on any thread.
struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
    init(_ p: UnsafeMutableRawPointer?) { pointer = p }
}

@_cdecl("keras_callback_from_config")
public func keras_callback_from_config(_ className: UnsafePointer<CChar>?, _ arguments: UnsafePointer<CChar>?,
                                       _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_callback_from_config") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let cls = try string(className, "class_name")
        let args = try json(arguments, "args_json", nullAs: .object([]))
        _ = try callback(className: cls, arguments: args)
        out.pointee = Handles.make(CallbackBox { try callback(className: cls, arguments: args) }, kind: "keras_callback")
    }
}

@_cdecl("keras_callback_free")
public func keras_callback_free(_ handle: OpaquePointer?) {
    Handles.free(handle, kind: "keras_callback")
}

/// `int (*)(void *user_data, int64_t epoch, double lr, double *new_lr)`.
public typealias CScheduleFn = @convention(c) (UnsafeMutableRawPointer?, Int64, Double, UnsafeMutablePointer<Double>?) -> Int32

/// Keras's LearningRateScheduler with a C schedule.
@_cdecl("keras_callback_lr_scheduler_new")
public func keras_callback_lr_scheduler_new(_ fn: CScheduleFn?, _ userData: UnsafeMutableRawPointer?, _ freeUserData: CFreeFn?,
                                            _ verbose: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_callback_lr_scheduler_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        guard let fn else { throw ABIError(.invalidArgument, "schedule must not be NULL") }
        guard verbose >= 0 else { throw ABIError(.invalidArgument, "verbose must not be negative, got \(verbose)") }
        let data = UserData(userData, freeUserData)
        out.pointee = Handles.make(CallbackBox {
            LearningRateScheduler(verbose: Int(verbose)) { epoch, lr in
                var next = lr
                try CallbackMessage.check("LearningRateScheduler schedule(\(epoch))") { fn(data.pointer, Int64(epoch), lr, &next) }
                return next
            }
        }, kind: "keras_callback")
    }
}

/// The library's callbacks driven by the caller's own training loop (keras_model_callbacks_begin).
final class CallbackRunBox: LockedBox {
    let modelBox: ModelBox
    let loop: LoopCallbacks
    init(_ modelBox: ModelBox, _ loop: LoopCallbacks) {
        self.modelBox = modelBox
        self.loop = loop
    }
}

/// Logs as a caller's loop gives them: a JSON object of numbers (null: NaN).
func loopLogs(_ text: UnsafePointer<CChar>?) throws -> Logs {
    let parsed = try json(text, "logs_json", nullAs: .object([]))
    guard let pairs = parsed.objectValue else { throw ABIError(.invalidArgument, "logs_json must be a JSON object, got \(parsed)") }
    var logs: Logs = [:]
    for (k, v) in pairs {
        if v.isNull { logs[k] = .nan; continue }
        guard let d = v.doubleValue else {
            throw ABIError(.invalidArgument, "logs_json: '\(k)' must be a number or null, got \(v)")
        }
        logs[k] = d
    }
    return logs
}

/// Built-in callbacks (keras_callback handles) fired by the caller's training loop for `model`.
@_cdecl("keras_model_callbacks_begin")
public func keras_model_callbacks_begin(_ handle: OpaquePointer?, _ callbacks: UnsafePointer<OpaquePointer?>?, _ nCallbacks: Int32,
                                        _ params: UnsafePointer<CChar>?, _ wantsBatchLogs: UnsafeMutablePointer<Int32>?,
                                        _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_model_callbacks_begin") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        let o = try Options(try json(params, "params_json", nullAs: .object([])), what: "callback params",
                            allowed: ["epochs", "steps", "verbose"])
        var p: [String: Int] = [:]
        for key in ["epochs", "steps", "verbose"] {
            if let v = try o.int(key) { p[key] = v }
        }
        let cbs = try callbackList(callbacks, nCallbacks)
        let loop = box.locked { LoopCallbacks(model: box.model, callbacks: cbs, params: p) }
        wantsBatchLogs?.pointee = loop.callbacks.wantsBatchLogs ? 1 : 0
        out.pointee = Handles.make(CallbackRunBox(box, loop), kind: "keras_callback_run")
    }
}

/// Fires one hook of a keras_model_callbacks_begin run; *result_json (caller-owned) receives
/// {"logs": ..., "stop_training": ...} and, after on_train_begin, "initial_epoch" when a callback
/// asks the loop to resume from a later epoch.
@_cdecl("keras_callback_run_event")
public func keras_callback_run_event(_ handle: OpaquePointer?, _ event: Int32, _ index: Int64,
                                     _ logsJSON: UnsafePointer<CChar>?,
                                     _ resultOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_callback_run_event") {
        let out = try requireOut(resultOut, "result_json")
        out.pointee = nil
        let run = try Handles.resolve(handle, CallbackRunBox.self, kind: "keras_callback_run")
        guard let e = CallbackEvent(rawValue: event) else {
            throw ABIError(.invalidArgument, "event \(event) is not a keras_callback_event (0...13)")
        }
        let indexed: Set<CallbackEvent> = [.epochBegin, .epochEnd, .trainBatchBegin, .trainBatchEnd, .testBatchBegin,
                                           .testBatchEnd, .predictBatchBegin, .predictBatchEnd]
        guard !indexed.contains(e) || (0...Int64(Int32.max)).contains(index) else {
            throw ABIError(.invalidArgument, "\(e.hookName): index must be an epoch or batch number >= 0, got \(index)")
        }
        var logs = try loopLogs(logsJSON)
        let i = Int(index)
        var result: [(String, JSON)] = []
        try run.modelBox.locked {
            let cbs = run.loop.callbacks
            switch e {
            case .trainBegin:
                if let epoch = try run.loop.trainBegin(logs: logs) { result.append(("initial_epoch", .int(epoch))) }
            case .trainEnd: try run.loop.trainEnd(logs: logs)
            case .epochBegin: try cbs.onEpochBegin(i, logs: logs)
            case .epochEnd: try cbs.onEpochEnd(i, updating: &logs)
            case .trainBatchBegin: try cbs.onTrainBatchBegin(i, logs: logs)
            case .trainBatchEnd: try cbs.onTrainBatchEnd(i, logs: logs)
            case .testBegin: try cbs.onTestBegin(logs: logs)
            case .testEnd: try cbs.onTestEnd(logs: logs)
            case .testBatchBegin: try cbs.onTestBatchBegin(i, logs: logs)
            case .testBatchEnd: try cbs.onTestBatchEnd(i, logs: logs)
            case .predictBegin: try cbs.onPredictBegin(logs: logs)
            case .predictEnd: try cbs.onPredictEnd(logs: logs)
            case .predictBatchBegin: try cbs.onPredictBatchBegin(i, logs: logs)
            case .predictBatchEnd: try cbs.onPredictBatchEnd(i, logs: logs)
            }
            result.insert(("stop_training", .bool(run.modelBox.model.stopTraining)), at: 0)
        }
        let logPairs = orderedKeys(logs.keys).map { k in (k, logs[k].map { $0.isFinite ? JSON.double($0) : .null } ?? .null) }
        result.insert(("logs", .object(logPairs)), at: 0)
        out.pointee = try ownedCString(JSON.object(result).description)
    }
}

@_cdecl("keras_callback_run_free")
public func keras_callback_run_free(_ handle: OpaquePointer?) {
    Handles.free(handle, kind: "keras_callback_run")
}

/// Keras's `optimizer.finalize_variable_values(model.trainable_weights)`, which fit calls once its
/// epochs are over: with use_ema the weights become their moving averages.
@_cdecl("keras_model_finalize_variable_values")
public func keras_model_finalize_variable_values(_ handle: OpaquePointer?) -> Int32 {
    guarded("keras_model_finalize_variable_values") {
        let box = try modelBox(handle)
        box.locked { box.model.finalizeVariableValues() }
    }
}
