/// The optimizer's variables in Keras's order, for `optimizer/vars/<i>` in `.weights.h5` and
/// `optimizer_weights` in legacy `.h5`: `iteration`, `learning_rate`, then the slots.
///
/// Keras creates slots with `add_optimizer_variables(vars, [names])`: one call per group of slot
/// names, interleaving the names of a group per variable (Adam: m₀ v₀ m₁ v₁ …, then v̂₀ v̂₁ … when
/// amsgrad). This library keeps slots per variable (`Optimizer.slots`), index i of each list
/// being the i-th slot; the groups below map one order to the other.
enum OptimizerState {
    /// Groups of slot indices as Keras creates them, per optimizer class.
    static func slotGroups(_ o: Optimizer) -> [[Int]] {
        let n = o.slotCount
        guard n > 0 else { return [] }
        switch o.className {
        case "Adam", "AdamW", "Nadam", "Adamax":
            return n > 2 ? [[0, 1]] + (2..<n).map { [$0] } : [Array(0..<n)]
        default:
            return (0..<n).map { [$0] }
        }
    }

    /// Keras-style names of the slot variables, for legacy `.h5` `weight_names`.
    static func slotNames(_ o: Optimizer) -> [String] {
        switch o.className {
        case "Adam", "AdamW": return ["momentum", "velocity", "velocity_hat"]
        case "SGD": return ["momentum"]
        case "RMSprop":
            if o.slotCount == 3 { return ["velocity", "momentum", "average_gradient"] }
            if let r = o as? RMSprop, !r.centered, o.slotCount == 2 { return ["velocity", "momentum"] }
            return ["velocity", "average_gradient"]
        default: return (0..<o.slotCount).map { "slot\($0)" }
        }
    }

    /// (name, value) of every optimizer variable for `variables` (the model's trainable weights
    /// in Keras order); slots not created yet are zeros, as Keras's freshly built optimizer has.
    static func values(_ o: Optimizer, variables: [Variable]) -> [(String, Tensor)] {
        let prefix = o.config["name"]?.stringValue ?? o.name.lowercased()
        var out: [(String, Tensor)] = [("\(prefix)/iteration", Tensor(Float(o.iterations))),
                                       ("\(prefix)/learning_rate", Tensor(o.learningRate))]
        let names = slotNames(o)
        for group in slotGroups(o) {
            for v in variables {
                let slots = o.slots[ObjectIdentifier(v)]
                for i in group {
                    let value = (slots.flatMap { i < $0.count ? $0[i] : nil }) ?? Tensor(shape: v.shape, repeating: 0)
                    let vname = v.path.replacingSlashes() + "_" + (i < names.count ? names[i] : "slot\(i)")
                    out.append(("\(prefix)/\(vname)", value))
                }
            }
        }
        return out
    }

    /// The number of values ``values(_:variables:)`` writes.
    static func count(_ o: Optimizer, variables: [Variable]) -> Int { 2 + o.slotCount * variables.count }

    /// Restores iteration, learning rate and slots from values in Keras order. Shapes were
    /// checked by the caller against ``expectedShapes(_:variables:)``.
    static func restore(_ o: Optimizer, variables: [Variable], from values: [Tensor]) throws {
        guard values.count == count(o, variables: variables) else {
            throw KerasError.io("Optimizer '\(o.name)': expected \(count(o, variables: variables)) variables, the file has \(values.count)")
        }
        let iteration = values[0].scalar ?? 0
        guard iteration.isFinite, iteration >= 0, iteration < 1e15 else {
            throw KerasError.io("Optimizer '\(o.name)': bad iteration count \(iteration) in the file")
        }
        var slots: [ObjectIdentifier: [Tensor]] = [:]
        for v in variables { slots[ObjectIdentifier(v)] = Array(repeating: Tensor(shape: v.shape), count: o.slotCount) }
        var k = 2
        for group in slotGroups(o) {
            for v in variables {
                for i in group {
                    slots[ObjectIdentifier(v)]?[i] = values[k].copy()
                    k += 1
                }
            }
        }
        o.iterations = Int(iteration)
        if let lr = values[1].scalar, lr.isFinite, lr >= 0 { o.learningRate = lr }
        o.slots = slots
    }

    /// The shapes the file must hold, in order.
    static func expectedShapes(_ o: Optimizer, variables: [Variable]) -> [[Int]] {
        var out: [[Int]] = [[], []]
        for group in slotGroups(o) { for v in variables { for _ in group { out.append(v.shape) } } }
        return out
    }
}

extension String {
    /// `sequential/dense/kernel` → `sequential_dense_kernel`, as Keras names optimizer slots.
    func replacingSlashes() -> String { String(map { $0 == "/" ? "_" : $0 }) }
}
