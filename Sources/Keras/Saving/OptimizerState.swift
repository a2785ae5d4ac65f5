/// The optimizer's variables in Keras's order, for `optimizer/vars/<i>` in `.weights.h5` and
/// `optimizer_weights` in legacy `.h5`: `iteration`, `learning_rate` (unless it is a schedule),
/// the moving averages (`use_ema`), the gradient accumulators, the slots, then the optimizer's
/// own scalars (Nadam's running product).
///
/// Keras creates slots with `add_optimizer_variables(vars, [names])`, one call per group of
/// names, interleaving the names of a group per variable (Adam: m₀ v₀ m₁ v₁ …, then v̂₀ v̂₁ …
/// with amsgrad). `Optimizer.slotGroups` lists those groups; this library keeps each variable's
/// slots in one buffer (slot k at `k * count`), and this type maps one order to the other.
enum OptimizerState {
    /// One optimizer variable: its Keras-style name, shape, and how to read and restore it.
    struct Entry {
        let name: String
        let shape: [Int]
        /// For the integer variables (iteration counts): their value, written as Keras's int32.
        let integer: (() -> Int)?
        let read: () throws -> Tensor
        /// Restores the value (already checked against `shape`).
        let write: (Tensor) throws -> Void

        /// An entry backed by a buffer of `shape`.
        static func buffer(_ name: String, _ shape: [Int], _ p: UnsafeMutablePointer<Float>) -> Entry {
            let count = shape.reduce(1, *)
            return Entry(name: name, shape: shape, integer: nil,
                         read: { try Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(start: p, count: count))) },
                         write: { t in p.update(from: t.data, count: Swift.min(t.count, count)) })
        }

        /// A scalar read and restored through closures.
        static func scalar(_ name: String, get: @escaping () -> Float, set: @escaping (Float) throws -> Void) -> Entry {
            Entry(name: name, shape: [], integer: nil, read: { Tensor(get()) },
                  write: { t in if let v = t.scalar { try set(v) } })
        }

        /// An iteration count (checked to be a sane count before anything is restored).
        static func counter(_ name: String, get: @escaping () -> Int, set: @escaping (Int) -> Void) -> Entry {
            Entry(name: name, shape: [], integer: get, read: { Tensor(Float(get())) },
                  write: { t in set(Int(t.scalar ?? 0)) })
        }
    }

    /// Every optimizer variable for `variables` (the model's trainable weights in Keras order), as
    /// Keras lists `optimizer.variables`: the iteration, the learning rate (unless scheduled),
    /// then what `build` makes (moving averages, gradient accumulators, slots, the optimizer's
    /// own scalars); wrappers (LossScaleOptimizer) append their inner optimizers' variables.
    static func entries(_ o: Optimizer, variables all: [Variable]) -> [Entry] {
        let variables = all.filter { $0.dtype == .float32 }   // (integer ones are not optimized)
        let prefix = o.name
        var out = [Entry.counter("\(prefix)/iteration", get: { o.ownIterations }, set: { o.ownIterations = $0 })]
        if o.schedule == nil {
            out.append(.scalar("\(prefix)/learning_rate", get: { o.ownLearningRate }, set: { lr in
                if lr.isFinite, lr >= 0 { o.ownLearningRate = lr }
            }))
        }
        if let lso = o as? LossScaleOptimizer {
            out.append(.counter("\(prefix)/step_counter", get: { lso.stepCounter }, set: { lso.stepCounter = $0 }))
            out.append(.scalar("\(prefix)/dynamic_scale", get: { lso.dynamicScale }, set: { v in
                if v.isFinite, v > 0 { lso.dynamicScale = v }
            }))
            return out + entries(lso.inner, variables: variables)
        }
        if let multi = o as? MultiOptimizer {
            // An inner optimizer given no variable is never built: Keras keeps only its iteration
            // and learning rate.
            for (inner, share) in multi.delegates(for: variables) {
                let all = entries(inner, variables: share)
                out += share.isEmpty ? Array(all.prefix(inner.schedule == nil ? 2 : 1)) : all
            }
            return out
        }
        let states = o.statesForSaving(variables)
        func varName(_ v: Variable) -> String { v.path.replacingSlashes() }
        for (v, s) in zip(variables, states) {
            if let avg = s.average { out.append(.buffer("\(prefix)/\(varName(v))_average", v.shape, avg.data)) }
        }
        for (v, s) in zip(variables, states) {
            if let acc = s.accumulator { out.append(.buffer("\(prefix)/\(varName(v))_gradient_accumulator", v.shape, acc.data)) }
        }
        let flat = o.slotGroups.flatMap { $0 }
        for group in o.slotGroups {
            for (v, s) in zip(variables, states) {
                for name in group {
                    let k = flat.firstIndex(of: name) ?? 0
                    guard o.hasSlot(k, for: v) else { continue }
                    out.append(.buffer("\(prefix)/\(varName(v))_\(name)", o.slotShape(k, of: v.shape), s.slots.data + k * s.count))
                }
            }
        }
        return out + extraEntries(o)
    }

    private static func extraEntries(_ o: Optimizer) -> [Entry] {
        o.extraScalarNames.enumerated().map { i, name in
            .scalar("\(o.name)/\(name)", get: { i < o.extraScalars.count ? o.extraScalars[i] : 0 },
                    set: { v in
                        var all = o.extraScalars
                        if i < all.count { all[i] = v; o.extraScalars = all }
                    })
        }
    }

    /// Writes entry `e` as dataset `key` of `g` (iteration counts as int32, as Keras).
    static func write(_ e: Entry, to g: HDF5Group, as key: String) throws {
        if let count = e.integer { try g.writeInt32(key, Int32(clamping: count())) } else { try g.writeTensor(key, try e.read()) }
    }

    /// Restores every entry from `values` (already checked against the entries' shapes); iteration
    /// counts are checked first, so that a bad file changes nothing.
    static func restore(_ o: Optimizer, entries: [Entry], from values: [Tensor]) throws {
        guard values.count == entries.count else {
            throw KerasError.io("Optimizer '\(o.name)': expected \(entries.count) variables, the file has \(values.count)")
        }
        for (e, t) in zip(entries, values) where e.integer != nil {
            let n = t.scalar ?? 0
            guard n.isFinite, n >= 0, n < 1e15 else {
                throw KerasError.io("Optimizer '\(o.name)': bad value \(n) for \(e.name) in the file")
            }
        }
        for (e, t) in zip(entries, values) { try e.write(t) }
    }
}

extension Model {
    /// The optimizer's variables for this model's weights, in Keras's `optimizer.variables` order
    /// (iteration, learning rate, slots, ...): with ``restoreOptimizerVariables(_:)`` on a model
    /// rebuilt from this one (a new graph over the same weights), training goes on where this
    /// one was, as Keras's would with the same variables.
    public func optimizerVariableValues() throws -> [Tensor] {
        guard let opt = optimizer else { throw KerasError.invalidState("Model '\(name)' is not compiled: it has no optimizer state") }
        return try OptimizerState.entries(opt, variables: kerasTrainableWeights).map { try $0.read() }
    }

    /// Restores the optimizer's variables from ``optimizerVariableValues()`` of a model with the
    /// same weights and optimizer; a count or shape that differs changes nothing.
    public func restoreOptimizerVariables(_ values: [Tensor]) throws {
        guard let opt = optimizer else { throw KerasError.invalidState("Model '\(name)' is not compiled: it has no optimizer state") }
        let entries = OptimizerState.entries(opt, variables: kerasTrainableWeights)
        guard values.count == entries.count else {
            throw KerasError.invalidArgument("Model '\(name)': its optimizer has \(entries.count) variables, \(values.count) were given (another optimizer or other weights)")
        }
        for (e, v) in zip(entries, values) where e.shape != v.shape {
            throw KerasError.shapeMismatch("Model '\(name)': optimizer variable \(e.name) has shape \(e.shape), the value given \(v.shape)")
        }
        try OptimizerState.restore(opt, entries: entries, from: values)
    }
}

extension String {
    /// `sequential/dense/kernel` → `sequential_dense_kernel`, as Keras names optimizer slots.
    func replacingSlashes() -> String { String(map { $0 == "/" ? "_" : $0 }) }
}
