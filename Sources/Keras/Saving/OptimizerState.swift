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
    /// One optimizer variable: its Keras-style name and where its numbers live.
    struct Entry {
        /// Where an entry's numbers live.
        enum Source {
            case iteration, learningRate
            /// A buffer of the entry's shape.
            case buffer(UnsafeMutablePointer<Float>)
            /// `Optimizer.extraScalars[i]`.
            case extraScalar(Int)
        }
        let name: String
        let shape: [Int]
        let source: Source
    }

    /// Every optimizer variable for `variables` (the model's trainable weights in Keras order):
    /// as Keras's `build`, the moving averages, the gradient accumulators, the slots, then the
    /// optimizer's own scalars.
    static func entries(_ o: Optimizer, variables: [Variable]) -> [Entry] {
        let prefix = o.name
        var out = [Entry(name: "\(prefix)/iteration", shape: [], source: .iteration)]
        if o.schedule == nil { out.append(Entry(name: "\(prefix)/learning_rate", shape: [], source: .learningRate)) }
        let states = o.statesForSaving(variables)
        func varName(_ v: Variable) -> String { v.path.replacingSlashes() }
        for (v, s) in zip(variables, states) {
            if let avg = s.average { out.append(Entry(name: "\(prefix)/\(varName(v))_average", shape: v.shape, source: .buffer(avg.data))) }
        }
        for (v, s) in zip(variables, states) {
            if let acc = s.accumulator {
                out.append(Entry(name: "\(prefix)/\(varName(v))_gradient_accumulator", shape: v.shape, source: .buffer(acc.data)))
            }
        }
        let flat = o.slotGroups.flatMap { $0 }
        for group in o.slotGroups {
            for (v, s) in zip(variables, states) {
                for name in group {
                    let k = flat.firstIndex(of: name) ?? 0
                    guard o.hasSlot(k, for: v) else { continue }
                    out.append(Entry(name: "\(prefix)/\(varName(v))_\(name)", shape: o.slotShape(k, of: v.shape),
                                     source: .buffer(s.slots.data + k * s.count)))
                }
            }
        }
        for (i, name) in o.extraScalarNames.enumerated() {
            out.append(Entry(name: "\(prefix)/\(name)", shape: [], source: .extraScalar(i)))
        }
        return out
    }

    /// The value of entry `e` as a tensor (scalars for the iteration, learning rate and extras).
    static func value(_ o: Optimizer, _ e: Entry, index i: Int) throws -> Tensor {
        switch e.source {
        case .iteration: return Tensor(Float(o.iterations))
        case .learningRate: return Tensor(o.learningRate)
        case .extraScalar(let k): return Tensor(k < o.extraScalars.count ? o.extraScalars[k] : 0)
        case .buffer(let p):
            let count = e.shape.reduce(1, *)
            return try Tensor(shape: e.shape, scalars: Array(UnsafeBufferPointer(start: p, count: count)))
        }
    }

    /// Restores iteration, learning rate, slots and extras from `values` (already checked against
    /// the entries' shapes).
    static func restore(_ o: Optimizer, entries: [Entry], from values: [Tensor]) throws {
        guard values.count == entries.count else {
            throw KerasError.io("Optimizer '\(o.name)': expected \(entries.count) variables, the file has \(values.count)")
        }
        let iteration = values.first?.scalar ?? 0
        guard iteration.isFinite, iteration >= 0, iteration < 1e15 else {
            throw KerasError.io("Optimizer '\(o.name)': bad iteration count \(iteration) in the file")
        }
        var extras = o.extraScalars
        for (e, t) in zip(entries, values) {
            switch e.source {
            case .iteration: continue
            case .buffer(let p): p.update(from: t.data, count: Swift.min(t.count, e.shape.reduce(1, *)))
            case .learningRate:
                if let lr = t.scalar, lr.isFinite, lr >= 0, o.schedule == nil { try o.setLearningRate(lr) }
            case .extraScalar(let k):
                if k < extras.count, let v = t.scalar { extras[k] = v }
            }
        }
        o.extraScalars = extras
        o.iterations = Int(iteration)
    }
}

extension String {
    /// `sequential/dense/kernel` → `sequential_dense_kernel`, as Keras names optimizer slots.
    func replacingSlashes() -> String { String(map { $0 == "/" ? "_" : $0 }) }
}
