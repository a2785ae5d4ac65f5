import Keras

// The state Keras keeps in objects a binding holds its own copy of: the variables of a model's
// compiled metrics (Keras's `metric.variables`) and the attributes of a built-in callback after
// the fit that used it (Keras's `early_stopping.stopped_epoch`).

@_cdecl("keras_model_metric_variables")
public func keras_model_metric_variables(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_metric_variables") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        let states = box.locked { box.model.compiledMetricStates }
        let list = JSON.array(states.map { s in
            .object([("name", .string(s.name)), ("class_name", .string(s.className)),
                     ("loss_tracker", .bool(s.isLossTracker)), ("variables", .array(s.variables.map(\.json)))])
        })
        out.pointee = try ownedCString(list.description)
    }
}

@_cdecl("keras_callback_state")
public func keras_callback_state(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_callback_state") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try callbackBox(handle)
        // before any call: the state a fresh callback starts a fit with
        let callback = try box.locked { () throws -> Callback in try box.last ?? box.make() }
        let state = callback.state
        out.pointee = try ownedCString(JSON.object(state).description)
    }
}

@_cdecl("keras_metric_variables")
public func keras_metric_variables(_ metricJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_metric_variables") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let metric = try builtInMetric(metricJSON, "keras_metric_variables")
        out.pointee = try ownedCString(JSON.array(metric.stateVariables.map(\.json)).description)
    }
}

@_cdecl("keras_metric_stateless_result")
public func keras_metric_stateless_result(_ metricJSON: UnsafePointer<CChar>?, _ variablesJSON: UnsafePointer<CChar>?,
                                          _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_metric_stateless_result") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let metric = try builtInMetric(metricJSON, "keras_metric_stateless_result")
        guard let pairs = try json(variablesJSON, "variables_json").objectValue else {
            throw KerasError.invalidArgument("keras_metric_stateless_result: variables_json must be an object {name: [values]}")
        }
        var values = [String: [Double]]()
        for (name, value) in pairs {
            let items = value.arrayValue ?? [value]
            values[name] = try items.map { (item: JSON) throws -> Double in
                if item.isNull { return .nan }
                guard let v = item.doubleValue else {
                    throw KerasError.invalidArgument("keras_metric_stateless_result: variable '\(name)' holds a non-number \(item)")
                }
                return v
            }
        }
        try metric.assignStateVariables(values)
        let number = { (v: Float) -> JSON in v.isFinite ? .double(Double(v)) : .null }
        let result: JSON = metric.reportsPerClass ? .array(try metric.resultValues().map(number)) : number(try metric.result())
        out.pointee = try ownedCString(JSON.object([("result", result),
                                                    ("variables", .array(metric.stateVariables.map(\.json)))]).description)
    }
}

/// A fresh built-in metric from its Keras config {"class_name": ..., "config": {...}}.
private func builtInMetric(_ metricJSON: UnsafePointer<CChar>?, _ what: String) throws -> Metric {
    let object = try json(metricJSON, "metric_json")
    guard let className = object["class_name"]?.stringValue else {
        throw KerasError.invalidArgument("\(what): metric_json needs a \"class_name\" string, got \(object)")
    }
    let given = object["config"] ?? .object([])
    return try Metric.from(className: className, config: given.isNull ? .object([]) : given)
}
