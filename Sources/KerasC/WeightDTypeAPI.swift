import Keras

// The dtypes of a model's weights, and the exact values of its integer ones (a layer's counter:
// Keras's `add_weight(dtype="int32")`; int64 held as int32 and uint32 as bit patterns, as Keras
// on jax holds them), which keras_model_get_weight gives as floats.

/// Each weight's dtype, in keras_model_weight_count's order, as a JSON list (`["float32", "int32"]`;
/// also "int64", "uint32").
@_cdecl("keras_model_weight_dtypes")
public func keras_model_weight_dtypes(_ handle: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_weight_dtypes") {
        let out = try requireOut(json, "json")
        out.pointee = nil
        let box = try modelBox(handle)
        let names = box.locked { box.model.weights.map { JSON.string($0.dtype.rawValue) } }
        out.pointee = try ownedCString(JSON.array(names).description)
    }
}

/// The integer weight `index`'s exact 32-bit values, into `out` (`capacity` values; a uint32
/// weight's as bit patterns).
@_cdecl("keras_model_get_weight_int32")
public func keras_model_get_weight_int32(_ handle: OpaquePointer?, _ index: Int32, _ out: UnsafeMutablePointer<Int32>?, _ capacity: Int64) -> Int32 {
    guarded("keras_model_get_weight_int32") {
        let box = try modelBox(handle)
        let values = try box.locked { () -> [Int32] in
            let v = try weight(box, index)
            guard v.dtype.isInteger else {
                throw ABIError(.invalidArgument, "weight \(index) ('\(v.path)') is \(v.dtype.rawValue), not an integer weight: read it with keras_model_get_weight")
            }
            return v.integers
        }
        guard capacity >= 0, Int64(values.count) <= capacity else {
            throw ABIError(.bufferTooSmall, "weight \(index): its \(values.count) values do not fit the buffer of \(capacity)")
        }
        guard let out else {
            if values.isEmpty { return }
            throw ABIError(.invalidArgument, "weight \(index): the output buffer is NULL")
        }
        for i in 0..<values.count { out[i] = values[i] }
    }
}

/// Replaces the integer weight `index` with `count` exact 32-bit values (a uint32 weight's as bit
/// patterns).
@_cdecl("keras_model_set_weight_int32")
public func keras_model_set_weight_int32(_ handle: OpaquePointer?, _ index: Int32, _ data: UnsafePointer<Int32>?, _ count: Int64) -> Int32 {
    guarded("keras_model_set_weight_int32") {
        let box = try modelBox(handle)
        try box.locked {
            let v = try weight(box, index)
            guard v.dtype.isInteger else {
                throw ABIError(.invalidArgument, "weight \(index) ('\(v.path)') is \(v.dtype.rawValue), not an integer weight: set it with keras_model_set_weight")
            }
            let n = v.shape.reduce(1, *)
            guard count == Int64(n) else {
                throw ABIError(.shape, "weight '\(v.path)' has shape \(v.shape) (\(n) values), got \(count) values")
            }
            guard let data else {
                if n == 0 { return }
                throw ABIError(.invalidArgument, "data must not be NULL")
            }
            try v.assign(integers: Array(UnsafeBufferPointer(start: data, count: n)))
        }
    }
}

/// The optimizer's step count (Keras: `optimizer.iterations`, an int32 variable).
@_cdecl("keras_model_optimizer_iterations")
public func keras_model_optimizer_iterations(_ handle: OpaquePointer?, _ iterations: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_model_optimizer_iterations") {
        let out = try requireOut(iterations, "iterations")
        let box = try modelBox(handle)
        out.pointee = try box.locked {
            guard let opt = box.model.optimizer else {
                throw ABIError(.state, "model '\(box.model.name)' is not compiled: it has no optimizer")
            }
            return Int64(opt.iterations)
        }
    }
}

/// Keras's `model.optimizer.variables` of a compiled model, with the weight each belongs to: their
/// layout as JSON, their float values copied into the caller's buffer (see keras.h). Writing
/// 150K slot values of a 75K-weight Adam model as JSON text took half of the call from Python.
@_cdecl("keras_model_optimizer_variables")
public func keras_model_optimizer_variables(_ handle: OpaquePointer?,
                                            _ layoutOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                            _ values: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                            _ countOut: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_model_optimizer_variables") {
        let (layoutOut, countOut) = try layoutAndCount(layoutOut, countOut, capacity)
        let box = try modelBox(handle)
        let layout: [JSON] = try box.locked {
            guard box.model.optimizer != nil else {
                throw ABIError(.state, "model '\(box.model.name)' is not compiled: it has no optimizer")
            }
            let entries = try box.model.optimizerVariables()
            let items = try optimizerVariablesLayout(entries.map { $0.value }, paths: entries.map { $0.path }, into: values,
                                                     capacity: capacity, count: countOut)
            let weights = box.model.weights
            return zip(items, entries).map { item, entry in
                var item = item
                let owner = entry.owner.flatMap { v in weights.firstIndex { $0 === v } }
                item.set("owner", owner.map { JSON.int($0) } ?? JSON.null)
                item.set("owner_path", entry.owner.map { JSON.string($0.path) } ?? JSON.null)
                return item
            }
        }
        layoutOut.pointee = try ownedCString(JSON.array(layout).description)
    }
}

/// Sets every optimizer variable of a compiled model (Keras: `optimizer.variables[i].assign(v)`;
/// see keras.h).
@_cdecl("keras_model_set_optimizer_variables")
public func keras_model_set_optimizer_variables(_ handle: OpaquePointer?, _ valuesJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_model_set_optimizer_variables") {
        let box = try modelBox(handle)
        let values = try optimizerVariableValues(valuesJSON)
        try box.locked {
            guard box.model.optimizer != nil else {
                throw ABIError(.state, "model '\(box.model.name)' is not compiled: it has no optimizer")
            }
            try box.model.restoreOptimizerVariables(values)
        }
    }
}

/// Sets the optimizer's step count (Keras: `optimizer.iterations.assign(n)`).
@_cdecl("keras_model_set_optimizer_iterations")
public func keras_model_set_optimizer_iterations(_ handle: OpaquePointer?, _ iterations: Int64) -> Int32 {
    guarded("keras_model_set_optimizer_iterations") {
        let box = try modelBox(handle)
        try box.locked {
            guard box.model.optimizer != nil else {
                throw ABIError(.state, "model '\(box.model.name)' is not compiled: it has no optimizer")
            }
            guard iterations >= 0 else {
                throw ABIError(.invalidArgument, "iterations must not be negative, got \(iterations)")
            }
            try box.model.assignOptimizerIterations(Int(iterations))
        }
    }
}
