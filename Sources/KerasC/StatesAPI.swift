import Keras

/// The states the recurrent layer named `layerName` carries (none when it is not stateful or has
/// not run yet), read under the model's lock.
private func layerStates(_ box: ModelBox, _ layerName: UnsafePointer<CChar>?) throws -> [Tensor] {
    let name = try string(layerName, "layer_name")
    return try box.locked { try box.model.recurrentLayer(name: name).currentStates() ?? [] }
}

/// Keras: `model.get_layer(name).reset_states()`.
@_cdecl("keras_model_reset_states")
public func keras_model_reset_states(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_model_reset_states") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        try box.locked { try box.model.recurrentLayer(name: name).resetStates() }
    }
}

/// The number of states the layer carries: Keras's `len(layer.states)`, 0 for `None`.
@_cdecl("keras_model_layer_state_count")
public func keras_model_layer_state_count(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                                          _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_layer_state_count") {
        let count = try requireOut(count, "count")
        count.pointee = Int32(try layerStates(try modelBox(handle), layerName).count)
    }
}

/// State `index` of the layer: its shape into `shape` (capacity entries), its values into `out`.
@_cdecl("keras_model_layer_state")
public func keras_model_layer_state(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?, _ index: Int32,
                                    _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                    _ shape: UnsafeMutablePointer<Int64>?, _ shapeCapacity: Int32,
                                    _ ndim: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_layer_state") {
        let ndim = try requireOut(ndim, "ndim")
        let states = try layerStates(try modelBox(handle), layerName)
        guard index >= 0 && Int(index) < states.count else {
            throw ABIError(.invalidArgument, "state index \(index) is out of range: the layer carries \(states.count) states")
        }
        let s = states[Int(index)]
        ndim.pointee = Int32(s.rank)
        let shape = try requireOut(shape, "shape")
        guard Int(shapeCapacity) >= s.rank else {
            throw ABIError(.bufferTooSmall, "state \(index) has rank \(s.rank), the shape buffer holds \(shapeCapacity)")
        }
        for (i, d) in s.shape.enumerated() { shape[i] = Int64(d) }
        try copyOut(s, out, capacity, nil, nil, "state \(index)")
    }
}
