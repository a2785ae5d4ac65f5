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

/// A traced class's entry (`{"module", "class_name", "registered_name"}`), checked.
private struct TracedEntry {
    let className: String
    let module: String?
    let registered: String

    init(_ entryJSON: UnsafePointer<CChar>?, _ kind: String) throws {
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
        self.className = className
        self.module = moduleJSON.stringValue
        self.registered = registered
    }

    /// The node the plugin's `fn` traces in `graph` from `argument` for an object of `config`.
    func trace(_ kind: String, _ fn: CRegularizerTraceFn, _ ud: UserData, _ config: JSON,
               _ graph: OpGraph, _ argument: Int) throws -> Int {
        let builder = makeBuilder(BuilderContext(function: graph))
        defer { freeBuilder(builder) }
        var node: Int64 = -1
        try CallbackMessage.check("\(kind) '\(className)': trace") {
            config.description.withCString { fn(ud.pointer, $0, builder, Int64(argument), &node) }
        }
        guard node >= 0 && node <= Int64(Int32.max) else {
            throw ABIError(.invalidArgument, "\(kind) '\(className)': the trace gave no \(kind == "regularizer" ? "penalty" : "rate") node (got \(node))")
        }
        return Int(node)
    }
}

@_cdecl("keras_register_regularizer_graph")
public func keras_register_regularizer_graph(_ entryJSON: UnsafePointer<CChar>?, _ fn: CRegularizerTraceFn?,
                                             _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_regularizer_graph") {
        let entry = try TracedEntry(entryJSON, "regularizer")
        guard let fn else { throw ABIError(.invalidArgument, "regularizer '\(entry.className)': trace must not be NULL") }
        let ud = UserData(userData, free)
        register(entry.registered, .regularizer { config in
            TracedRegularizer(className: entry.className, module: entry.module, registeredName: entry.registered, config: config) { graph, argument in
                try entry.trace("regularizer", fn, ud, config, graph, argument)
            }
        })
    }
}

@_cdecl("keras_register_schedule_graph")
public func keras_register_schedule_graph(_ entryJSON: UnsafePointer<CChar>?, _ fn: CRegularizerTraceFn?,
                                          _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_schedule_graph") {
        let entry = try TracedEntry(entryJSON, "learning rate schedule")
        guard let fn else { throw ABIError(.invalidArgument, "learning rate schedule '\(entry.className)': trace must not be NULL") }
        let ud = UserData(userData, free)
        register(entry.registered, .schedule { config in
            try TracedSchedule(className: entry.className, module: entry.module, registeredName: entry.registered, config: config) { graph, step in
                try entry.trace("learning rate schedule", fn, ud, config, graph, step)
            }
        })
    }
}
