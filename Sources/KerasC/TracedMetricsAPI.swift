import Keras

// The running figures of the metrics a traced call updates (keras_layer_builder_metric), read
// back by a binding that keeps metric objects of its own (Keras's `model.loss_tracker`).

@_cdecl("keras_model_traced_metrics")
public func keras_model_traced_metrics(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_traced_metrics") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let box = try modelBox(handle)
        let states = try box.locked { try box.model.tracedMetricStates }
        let list = JSON.array(states.map { s in
            var fields: [(String, JSON)] = [("name", .string(s.name)), ("total", s.total.isFinite ? .double(s.total) : .null),
                                            ("count", s.count.map { $0.isFinite ? .double($0) : .null } ?? .null)]
            if let r = s.result { fields.append(("result", r.isFinite ? .double(r) : .null)) }
            return .object(fields)
        })
        out.pointee = try ownedCString(list.description)
    }
}
