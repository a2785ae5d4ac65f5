import Foundation
import Keras

// A regularizer written as a composition of ops (Keras: a `keras.regularizers.Regularizer`
// subclass whose `__call__` uses `keras.ops`): the plugin traces its penalty into a function
// graph, once per shape of tensor regularized; the library runs it natively on every step and
// differentiates it with its own autodiff (``TracedRegularizer``).

/// keras_regularizer_trace_fn: (user_data, config_json, graph, argument, *penalty) -> status.
public typealias CRegularizerTraceFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?,
                                                       UnsafeMutableRawPointer?, Int64,
                                                       UnsafeMutablePointer<Int64>?) -> Int32

@_cdecl("keras_register_regularizer_graph")
public func keras_register_regularizer_graph(_ entryJSON: UnsafePointer<CChar>?, _ fn: CRegularizerTraceFn?,
                                             _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_regularizer_graph") {
        let entry = try json(entryJSON, "entry_json")
        guard let className = entry["class_name"]?.stringValue, !className.isEmpty else {
            throw ABIError(.invalidArgument, "entry_json must have a non-empty 'class_name', got \(entry.description.prefix(120))")
        }
        let registered = entry["registered_name"]?.stringValue ?? className
        guard !registered.isEmpty else { throw ABIError(.invalidArgument, "regularizer '\(className)': registered_name must not be empty") }
        // Plain strings only are kept: the registration lives as long as the process.
        let moduleJSON = entry["module"] ?? .null
        guard moduleJSON.isNull || moduleJSON.stringValue != nil else {
            throw ABIError(.invalidArgument, "regularizer '\(className)': module must be a string or null, got \(moduleJSON)")
        }
        let module = moduleJSON.stringValue
        guard let fn else { throw ABIError(.invalidArgument, "regularizer '\(className)': trace must not be NULL") }
        let ud = UserData(userData, free)
        register(registered, .regularizer { config in
            let text = config.description
            return TracedRegularizer(className: className, module: module, registeredName: registered, config: config) { graph, argument in
                let builder = makeBuilder(BuilderContext(function: graph))
                defer { freeBuilder(builder) }
                var node: Int64 = -1
                try CallbackMessage.check("regularizer '\(className)': trace") {
                    text.withCString { fn(ud.pointer, $0, builder, Int64(argument), &node) }
                }
                guard node >= 0 && node <= Int64(Int32.max) else {
                    throw ABIError(.invalidArgument, "regularizer '\(className)': the trace gave no penalty node (got \(node))")
                }
                return Int(node)
            }
        })
    }
}
