/// The optimizer's variables in Keras's order, for `optimizer/vars/<i>` in `.weights.h5` and
/// `optimizer_weights` in legacy `.h5`: `iteration`, `learning_rate` (unless it is a schedule),
/// the moving averages (`use_ema`), then the slots.
///
/// Keras creates slots with `add_optimizer_variables(vars, [names])`, one call per group of
/// names, interleaving the names of a group per variable (Adam: m₀ v₀ m₁ v₁ …, then v̂₀ v̂₁ …
/// with amsgrad). `Optimizer.slotGroups` lists those groups; this library keeps each variable's
/// slots in one buffer (slot k at `k * count`), and this type maps one order to the other.
enum OptimizerState {
    /// One optimizer variable: its Keras-style name and where its numbers live.
    struct Entry {
        let name: String
        let shape: [Int]
        /// The numbers, or nil for the iteration and learning rate scalars.
        let pointer: UnsafeMutablePointer<Float>?
    }

    /// Whether the optimizer's state can be written in Keras's layout (Nadam's running product
    /// is a variable this library does not expose).
    static func isSupported(_ o: Optimizer) -> Bool { o.extraScalarVariables == 0 }

    /// Every optimizer variable for `variables` (the model's trainable weights in Keras order).
    static func entries(_ o: Optimizer, variables: [Variable]) -> [Entry] {
        let prefix = o.name
        var out = [Entry(name: "\(prefix)/iteration", shape: [], pointer: nil)]
        if o.schedule == nil { out.append(Entry(name: "\(prefix)/learning_rate", shape: [], pointer: nil)) }
        let states = o.statesForSaving(variables)
        func varName(_ v: Variable) -> String { v.path.replacingSlashes() }
        if o.useEMA {
            for (v, s) in zip(variables, states) {
                out.append(Entry(name: "\(prefix)/\(varName(v))_average", shape: v.shape, pointer: s.average?.data))
            }
        }
        let flat = o.slotGroups.flatMap { $0 }
        for group in o.slotGroups {
            for (v, s) in zip(variables, states) {
                for name in group {
                    let k = flat.firstIndex(of: name) ?? 0
                    out.append(Entry(name: "\(prefix)/\(varName(v))_\(name)", shape: v.shape, pointer: s.slots.data + k * s.count))
                }
            }
        }
        return out
    }

    /// The value of entry `i` as a tensor (iteration and learning rate as scalars).
    static func value(_ o: Optimizer, _ e: Entry, index i: Int) throws -> Tensor {
        if i == 0 { return Tensor(Float(o.iterations)) }
        guard let p = e.pointer else { return Tensor(o.learningRate) }
        let count = e.shape.reduce(1, *)
        return try Tensor(shape: e.shape, scalars: Array(UnsafeBufferPointer(start: p, count: count)))
    }

    /// Restores iteration, learning rate and slots from `values` (already checked against the
    /// entries' shapes).
    static func restore(_ o: Optimizer, entries: [Entry], from values: [Tensor]) throws {
        guard values.count == entries.count else {
            throw KerasError.io("Optimizer '\(o.name)': expected \(entries.count) variables, the file has \(values.count)")
        }
        let iteration = values[0].scalar ?? 0
        guard iteration.isFinite, iteration >= 0, iteration < 1e15 else {
            throw KerasError.io("Optimizer '\(o.name)': bad iteration count \(iteration) in the file")
        }
        for (e, t) in zip(entries, values).dropFirst() {
            if let p = e.pointer {
                p.update(from: t.data, count: t.count)
            } else if let lr = t.scalar, lr.isFinite, lr >= 0, o.schedule == nil {
                try o.setLearningRate(lr)
            }
        }
        o.iterations = Int(iteration)
    }
}

extension String {
    /// `sequential/dense/kernel` → `sequential_dense_kernel`, as Keras names optimizer slots.
    func replacingSlashes() -> String { String(map { $0 == "/" ? "_" : $0 }) }
}
