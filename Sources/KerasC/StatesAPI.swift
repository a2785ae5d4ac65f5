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

/// The model's seed generators in Keras's order of `model.variables`, each with the name of the
/// model's layer holding it (itself, or a wrapper or RNN around it).
private func seedGenerators(_ box: ModelBox) -> [(layer: String, generator: SeedGenerator)] {
    var out: [(layer: String, generator: SeedGenerator)] = []
    var seen = Set<ObjectIdentifier>()
    for top in box.model.sublayers {
        for (_, g) in top.allSeedGenerators where seen.insert(ObjectIdentifier(g)).inserted {
            out.append((top.name, g))
        }
    }
    return out
}

private func seedGenerator(_ box: ModelBox, _ index: Int32) throws -> (layer: String, generator: SeedGenerator) {
    let all = seedGenerators(box)
    guard index >= 0 && Int(index) < all.count else {
        throw ABIError(.invalidArgument, "seed generator index \(index) is out of range: model '\(box.model.name)' has \(all.count)")
    }
    return all[Int(index)]
}

/// Keras: the number of `seed_generator_state` variables in `model.variables`.
@_cdecl("keras_model_seed_generator_count")
public func keras_model_seed_generator_count(_ handle: OpaquePointer?, _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_model_seed_generator_count") {
        let count = try requireOut(count, "count")
        let box = try modelBox(handle)
        count.pointee = Int32(box.locked { seedGenerators(box).count })
    }
}

/// Seed generator `index`: its name and its layer's (caller-owned strings, either out may be
/// NULL) and its state `[seed, counter]`.
@_cdecl("keras_model_seed_generator")
public func keras_model_seed_generator(_ handle: OpaquePointer?, _ index: Int32,
                                       _ name: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                       _ layerName: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                       _ state: UnsafeMutablePointer<UInt32>?) -> Int32 {
    guarded("keras_model_seed_generator") {
        name?.pointee = nil
        layerName?.pointee = nil
        let state = try requireOut(state, "state")
        let box = try modelBox(handle)
        let (layer, g, value) = try box.locked { () -> (String, SeedGenerator, [UInt32]) in
            let (layer, g) = try seedGenerator(box, index)
            return (layer, g, g.state)
        }
        state[0] = value[0]
        state[1] = value[1]
        if let name { name.pointee = try ownedCString(g.name) }
        if let layerName { layerName.pointee = try ownedCString(layer) }
    }
}

/// Sets seed generator `index`'s state to `[seed, counter]` (Keras: `state.assign(...)`).
@_cdecl("keras_model_set_seed_generator")
public func keras_model_set_seed_generator(_ handle: OpaquePointer?, _ index: Int32, _ state: UnsafePointer<UInt32>?) -> Int32 {
    guarded("keras_model_set_seed_generator") {
        guard let state else { throw ABIError(.invalidArgument, "state must not be NULL") }
        let box = try modelBox(handle)
        let (seed, counter) = (state[0], state[1])
        try box.locked { try seedGenerator(box, index).generator.assign(seed: seed, counter: counter) }
    }
}
