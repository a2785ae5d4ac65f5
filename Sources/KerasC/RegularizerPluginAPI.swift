import Foundation
import Keras

// Objects written as a composition of ops (Keras: a `keras.regularizers.Regularizer` subclass
// whose `__call__` uses `keras.ops`, a `LearningRateSchedule` subclass whose `__call__(step)`
// does): the plugin traces the object's function into a function graph of one argument; the
// library runs it natively (``TracedRegularizer``: once per shape of tensor regularized,
// differentiated with its own autodiff; ``TracedSchedule``: once, at each step's count).

/// keras_regularizer_trace_fn and keras_schedule_trace_fn:
/// (user_data, config_json, graph, argument, *output) -> status.
public typealias CRegularizerTraceFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?,
                                                       UnsafeMutableRawPointer?, Int64,
                                                       UnsafeMutablePointer<Int64>?) -> Int32

/// A traced class's entry (`{"module", "class_name", "registered_name"}`), checked; `kind`
/// names the object in errors.
private func tracedClass(_ entryJSON: UnsafePointer<CChar>?, _ kind: String) throws -> TracedClass {
    let entry = try json(entryJSON, "entry_json")
    guard let className = entry["class_name"]?.stringValue, !className.isEmpty else {
        throw ABIError(.invalidArgument, "entry_json must have a non-empty 'class_name', got \(entry.description.prefix(120))")
    }
    let registered = entry["registered_name"]?.stringValue ?? className
    guard !registered.isEmpty else { throw ABIError(.invalidArgument, "\(kind) '\(className)': registered_name must not be empty") }
    // Plain strings only are kept: the registration lives as long as the process.
    let moduleJSON = entry["module"] ?? .null
    guard moduleJSON.isNull || moduleJSON.stringValue != nil else {
        throw ABIError(.invalidArgument, "\(kind) '\(className)': module must be a string or null, got \(moduleJSON)")
    }
    return TracedClass(className: className, module: moduleJSON.stringValue, registeredName: registered)
}

/// Registers the traced class of `entryJSON` (one of `kind`, whose trace gives its `value` node):
/// `object` makes an object of it from its config and the trace of the plugin's `fn` for that
/// config. The checks and the trace call of both entry points.
private func registerTraced(_ entryJSON: UnsafePointer<CChar>?, _ fn: CRegularizerTraceFn?,
                            _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?, kind: String, value: String,
                            _ object: @escaping (TracedClass, @escaping (JSON) -> TracedClass.Trace) -> KerasObject) throws {
    let traced = try tracedClass(entryJSON, kind)
    guard let fn else { throw ABIError(.invalidArgument, "\(kind) '\(traced.className)': trace must not be NULL") }
    let ud = UserData(userData, free)
    let what = "\(kind) '\(traced.className)'"
    register(traced.registeredName, object(traced) { config in
        { graph, argument in
            let builder = makeBuilder(BuilderContext(function: graph))
            defer { freeBuilder(builder) }
            var node: Int64 = -1
            try CallbackMessage.check("\(what): trace") {
                config.description.withCString { fn(ud.pointer, $0, builder, Int64(argument), &node) }
            }
            guard node >= 0 && node <= Int64(Int32.max) else {
                throw ABIError(.invalidArgument, "\(what): the trace gave no \(value) node (got \(node))")
            }
            return Int(node)
        }
    })
}

@_cdecl("keras_register_regularizer_graph")
public func keras_register_regularizer_graph(_ entryJSON: UnsafePointer<CChar>?, _ fn: CRegularizerTraceFn?,
                                             _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_regularizer_graph") {
        try registerTraced(entryJSON, fn, userData, free, kind: "regularizer", value: "penalty") { traced, trace in
            .regularizer { config in TracedRegularizer(traced, config: config, trace: trace(config)) }
        }
    }
}

@_cdecl("keras_register_schedule_graph")
public func keras_register_schedule_graph(_ entryJSON: UnsafePointer<CChar>?, _ fn: CRegularizerTraceFn?,
                                          _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_schedule_graph") {
        try registerTraced(entryJSON, fn, userData, free, kind: "learning rate schedule", value: "rate") { traced, trace in
            .schedule { config in try TracedSchedule(traced, config: config, trace: trace(config)) }
        }
    }
}
