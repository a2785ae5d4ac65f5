import Keras

// Keras objects used on their own, as keras.io shows them: an initializer called with a shape,
// a constraint called on a weight, a learning-rate schedule called with a step, an optimizer
// applying gradients to variables that belong to no model. The numbers are the library's, those
// training uses.

/// A shape of rank 0 (a scalar) to KERAS_MAX_RANK: `shapeArray`'s checks, a scalar allowed.
private func anyRankShape(_ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ what: String) throws -> (shape: [Int], count: Int) {
    if ndim == 0 { return ([], 1) }
    return try shapeArray(ndim, shape, what)
}

/// A new tensor drawn by an initializer (see keras.h).
@_cdecl("keras_initializer_draw")
public func keras_initializer_draw(_ initializerJSON: UnsafePointer<CChar>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?,
                                   _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64) -> Int32 {
    guarded("keras_initializer_draw") {
        let initializer = try deserializeInitializer(try json(initializerJSON, "initializer_json"))
        let (dims, _) = try anyRankShape(ndim, shape, "shape")
        let value = initializer(dims)
        guard value.shape == dims else {
            throw ABIError(.shape, "the initializer \(initializer.className) made a value of shape \(value.shape) for the shape \(dims)")
        }
        try copyOut(value, out, capacity, nil, nil, "out")
    }
}

/// A weight projected by a constraint, in place (see keras.h).
@_cdecl("keras_constraint_apply")
public func keras_constraint_apply(_ constraintJSON: UnsafePointer<CChar>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?,
                                   _ values: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded("keras_constraint_apply") {
        let constraint = try deserializeConstraint(try json(constraintJSON, "constraint_json"))
        let (dims, count) = try anyRankShape(ndim, shape, "shape")
        guard let values else {
            if count == 0 { return }
            throw ABIError(.invalidArgument, "values is NULL")
        }
        let t = Tensor(shape: dims)
        t.data.update(from: values, count: count)
        let w = Variable(t, name: "w")
        constraint.apply(w)
        let projected = w.numpy
        values.update(from: projected.data, count: Swift.min(count, projected.count))
    }
}

/// A learning-rate schedule's rate at a step (see keras.h).
@_cdecl("keras_schedule_value")
public func keras_schedule_value(_ scheduleJSON: UnsafePointer<CChar>?, _ step: Double,
                                 _ rate: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("keras_schedule_value") {
        let rate = try requireOut(rate, "rate")
        guard step.isFinite else { throw ABIError(.invalidArgument, "step must be a finite number, got \(step)") }
        let schedule = try LearningRateSchedule.deserialize(try json(scheduleJSON, "schedule_json"))
        rate.pointee = Double(Float(schedule.value(at: step)))
    }
}

/// An optimizer used on its own: the optimizer, and the variables it has updated keyed by the
/// caller's keys, in the order it first saw them (Keras's `optimizer.variables` order).
final class OptimizerBox: LockedBox {
    let optimizer: Optimizer
    var keys: [Int64] = []
    var variables: [Int64: Variable] = [:]
    /// Left out of weight decay (Keras's `exclude_from_weight_decay`), set before the first step.
    var excludedKeys: Set<Int64> = []
    var excludedNames: [String] = []
    init(_ optimizer: Optimizer) { self.optimizer = optimizer }

    /// The variables of `keys` in that order, made on first sight (named `paths[i]`), holding the
    /// caller's current values (which may have been assigned since the last step).
    func variables(_ keys: [Int64], _ paths: [String], _ values: [Tensor]) throws -> [Variable] {
        var seen = Set<Int64>()
        defer {
            if !optimizer.isBuilt && !(excludedKeys.isEmpty && excludedNames.isEmpty) {
                let excluded = excludedKeys.compactMap { variables[$0] }
                try? optimizer.excludeFromWeightDecay(variables: excluded, names: excludedNames)
            }
        }
        return try keys.indices.map { i in
            guard seen.insert(keys[i]).inserted else {
                throw ABIError(.invalidArgument, "variable \(paths[i]) is given twice")
            }
            if let v = variables[keys[i]] {
                guard v.shape == values[i].shape else {
                    throw ABIError(.shape, "variable \(paths[i]) has shape \(values[i].shape), the optimizer built it with shape \(v.shape)")
                }
                try v.assign(values[i])
                return v
            }
            let v = Variable(values[i], name: paths[i].split(separator: "/").last.map(String.init) ?? paths[i])
            v.path = paths[i]
            variables[keys[i]] = v
            self.keys.append(keys[i])
            return v
        }
    }
}

private func optimizerBox(_ h: OpaquePointer?) throws -> OptimizerBox {
    try Handles.resolve(h, OptimizerBox.self, kind: "keras_optimizer")
}

@_cdecl("keras_optimizer_new")
public func keras_optimizer_new(_ optimizerJSON: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_optimizer_new") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let optimizer = try Optimizer.deserialize(try json(optimizerJSON, "optimizer_json"))
        out.pointee = Handles.make(OptimizerBox(optimizer), kind: "keras_optimizer")
    }
}

@_cdecl("keras_optimizer_free")
public func keras_optimizer_free(_ handle: OpaquePointer?) {
    Handles.free(handle, kind: "keras_optimizer")
}

/// One step over the caller's variables, or only their optimizer variables made (see keras.h).
@_cdecl("keras_optimizer_apply")
public func keras_optimizer_apply(_ handle: OpaquePointer?, _ keys: UnsafePointer<Int64>?, _ pathsJSON: UnsafePointer<CChar>?,
                                  _ values: UnsafeRawPointer?, _ gradients: UnsafeRawPointer?, _ count: Int32,
                                  _ updated: UnsafePointer<UnsafeMutablePointer<Float>?>?) -> Int32 {
    guarded("keras_optimizer_apply") {
        let box = try optimizerBox(handle)
        let tensors = try inputTensors(values, count, "values", counted: "count", allowEmpty: true, borrow: false)
        let n = tensors.count
        guard n == 0 || keys != nil else { throw ABIError(.invalidArgument, "keys is NULL but count is \(count)") }
        let keyList = (0..<n).map { keys?[$0] ?? 0 }
        let paths = try json(pathsJSON, "paths_json").arrayValue?.compactMap(\.stringValue) ?? []
        guard paths.count == n else {
            throw ABIError(.invalidArgument, "paths_json must be a list of \(n) strings (one path per variable)")
        }
        let grads = gradients == nil ? nil : try inputTensors(gradients, count, "gradients", counted: "count", allowEmpty: true)
        if let grads {
            guard let updated else { throw ABIError(.invalidArgument, "updated is NULL") }
            for i in 0..<n where grads[i].shape != tensors[i].shape {
                throw ABIError(.shape, "gradient \(i) has shape \(grads[i].shape), its variable \(paths[i]) \(tensors[i].shape)")
            }
            for i in 0..<n where updated[i] == nil && tensors[i].count > 0 {
                throw ABIError(.invalidArgument, "updated[\(i)] is NULL")
            }
        }
        try box.locked {
            let variables = try box.variables(keyList, paths, tensors)
            guard let grads, let updated else {
                box.optimizer.build(variables)
                return
            }
            try box.optimizer.apply(grads, to: variables)
            for i in 0..<n {
                let value = variables[i].numpy
                updated[i]?.update(from: value.data, count: value.count)
            }
        }
    }
}

/// Leaves variables (by key) and variables whose path contains one of names out of weight decay
/// (see keras.h).
@_cdecl("keras_optimizer_exclude_from_weight_decay")
public func keras_optimizer_exclude_from_weight_decay(_ handle: OpaquePointer?, _ keys: UnsafePointer<Int64>?, _ count: Int32,
                                                      _ namesJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_optimizer_exclude_from_weight_decay") {
        let box = try optimizerBox(handle)
        guard count >= 0, count == 0 || keys != nil else { throw ABIError(.invalidArgument, "keys is NULL or count is negative (\(count))") }
        let names = try json(namesJSON, "names_json", nullAs: .array([])).arrayValue?.compactMap(\.stringValue) ?? []
        try box.locked {
            guard !box.optimizer.isBuilt else {
                throw ABIError(.state, "`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
            }
            box.excludedKeys.formUnion((0..<Int(count)).compactMap { keys?[$0] })
            box.excludedNames += names
        }
    }
}

/// Keras's `optimizer.variables` of a standalone optimizer: their layout as JSON, their float
/// values copied into the caller's buffer (see keras.h), as keras_model_optimizer_variables.
@_cdecl("keras_optimizer_variables")
public func keras_optimizer_variables(_ handle: OpaquePointer?,
                                      _ layoutOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                      _ values: UnsafeMutablePointer<Float>?, _ capacity: Int64,
                                      _ countOut: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_optimizer_variables") {
        let (layoutOut, countOut) = try layoutAndCount(layoutOut, countOut, capacity)
        let box = try optimizerBox(handle)
        let layout: [JSON] = try box.locked {
            let entries = try box.optimizer.variableValues(for: box.keys.compactMap { box.variables[$0] })
            return try optimizerVariablesLayout(entries.map { $0.value }, paths: entries.map { $0.path }, into: values,
                                                capacity: capacity, count: countOut)
        }
        layoutOut.pointee = try ownedCString(JSON.array(layout).description)
    }
}

/// The optimizer variables `values` (named by `paths`) as keras_optimizer_variables and
/// keras_model_optimizer_variables give them (see keras.h): every float32 variable's values
/// copied one after the other into the caller's `buffer` with keras_model_history's protocol
/// (``writeCounted(_:into:capacity:count:what:_:)``), and the layout entry of each, a float32
/// one with the offset of its values there.
func optimizerVariablesLayout(_ values: [OptimizerVariableValue], paths: [String], into buffer: UnsafeMutablePointer<Float>?,
                              capacity: Int64, count: UnsafeMutablePointer<Int64>) throws -> [JSON] {
    let floats = values.compactMap { value -> Tensor? in
        if case .tensor(let t) = value { return t }
        return nil
    }
    try writeCounted(floats.reduce(0) { $0 + $1.count }, into: buffer, capacity: capacity, count: count,
                     what: "the optimizer") { out in
        var at = 0
        for t in floats {
            (out + at).update(from: t.data, count: t.count)
            at += t.count
        }
    }
    var offset = 0
    return zip(paths, values).map { path, value in
        let item = optimizerVariableJSON(path, value, offset: offset)
        if case .tensor(let t) = value { offset += t.count }
        return item
    }
}

/// One optimizer variable as the layout of keras_optimizer_variables and
/// keras_model_optimizer_variables lists it (see keras.h): path, shape, dtype and, for an int32
/// iteration count, its exact "value"; for a float32 variable, the `offset` of its values in the
/// caller's buffer (no number written as text).
func optimizerVariableJSON(_ path: String, _ value: OptimizerVariableValue, offset: Int) -> JSON {
    switch value {
    case .count(let n):
        return ["path": .string(path), "shape": .array([]), "dtype": "int32", "value": .int(n)]
    case .tensor(let t):
        return ["path": .string(path), "shape": .array(t.shape.map { .int($0) }), "dtype": "float32",
                "offset": .int(offset)]
    }
}

/// Sets Keras's `optimizer.variables` from JSON in keras_optimizer_variables's form (see keras.h).
@_cdecl("keras_optimizer_set_variables")
public func keras_optimizer_set_variables(_ handle: OpaquePointer?, _ valuesJSON: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_optimizer_set_variables") {
        let box = try optimizerBox(handle)
        let values = try optimizerVariableValues(valuesJSON)
        try box.locked {
            try box.optimizer.restoreVariableValues(values, for: box.keys.compactMap { box.variables[$0] })
        }
    }
}

/// The optimizer variables of keras_optimizer_set_variables's and
/// keras_model_set_optimizer_variables's `values_json` (see keras.h).
func optimizerVariableValues(_ valuesJSON: UnsafePointer<CChar>?) throws -> [OptimizerVariableValue] {
    guard let list = try json(valuesJSON, "values_json").arrayValue else {
        throw ABIError(.invalidArgument, "values_json must be a list of {\"shape\": [...], \"value\": ...}")
    }
    return try list.enumerated().map { i, entry in
        let shape = entry["shape"]?.arrayValue?.compactMap(\.intValue) ?? []
        guard shape.allSatisfy({ $0 >= 0 }), shape.count <= maxRank else {
            throw ABIError(.invalidArgument, "values_json[\(i)]: a bad shape \(entry["shape"] ?? .null)")
        }
        if shape.isEmpty, let n = entry["value"]?.intValue, entry["dtype"]?.stringValue == "int32" { return .count(n) }
        let numbers = entry["value"]?.arrayValue?.compactMap(\.doubleValue).map(Float.init)
            ?? entry["value"]?.doubleValue.map { [Float($0)] } ?? []
        guard numbers.count == shape.reduce(1, *) else {
            throw ABIError(.shape, "values_json[\(i)]: \(numbers.count) numbers for the shape \(shape)")
        }
        return .tensor(try Tensor(shape: shape, scalars: numbers))
    }
}

/// The optimizer's step count and the learning rate of its next step (see keras.h).
@_cdecl("keras_optimizer_state")
public func keras_optimizer_state(_ handle: OpaquePointer?, _ iterations: UnsafeMutablePointer<Int64>?,
                                  _ learningRate: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded("keras_optimizer_state") {
        let box = try optimizerBox(handle)
        box.locked {
            iterations?.pointee = Int64(box.optimizer.iterations)
            learningRate?.pointee = Double(box.optimizer.learningRate)
        }
    }
}

/// Sets the learning rate (Keras: `optimizer.learning_rate = value`; see keras.h).
@_cdecl("keras_optimizer_set_learning_rate")
public func keras_optimizer_set_learning_rate(_ handle: OpaquePointer?, _ value: Double) -> Int32 {
    guarded("keras_optimizer_set_learning_rate") {
        let box = try optimizerBox(handle)
        try box.locked { try box.optimizer.setLearningRate(Float(value)) }
    }
}

/// Sets the step count (Keras: `optimizer.iterations.assign(n)`; see keras.h).
@_cdecl("keras_optimizer_set_iterations")
public func keras_optimizer_set_iterations(_ handle: OpaquePointer?, _ iterations: Int64) -> Int32 {
    guarded("keras_optimizer_set_iterations") {
        let box = try optimizerBox(handle)
        try box.locked { try box.optimizer.assignIterations(Int(iterations)) }
    }
}
