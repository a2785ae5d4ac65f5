/// One write of a traced call to a weight of its layer: `assign` (the node's value replaces the
/// weight's) or `assign_add` (it is added: exactly for an int32 weight, a counter).
struct WeightWrite {
    let weight: Int
    let node: Int
    let add: Bool
}

extension OpGraph {
    /// Records that the call writes node `i` to the layer's weight `index` (creation order), for
    /// `training` (nil: both modes): Keras's `self.v.assign(x)` / `assign_add(x)` in `call`, done
    /// after each run of the graph (a step of fit, evaluate or predict), in trace order. The value
    /// has the weight's shape, or is a scalar (added to or set in every element).
    public func addWeightWrite(_ index: Int, _ i: Int, add: Bool, training: Bool?) throws {
        let n = try node(i, add ? "assign_add" : "assign")
        try tracing(add ? "assign_add" : "assign")
        let w = try addWeight(index)   // (checks the index; the weight's shape)
        guard shapes[n] == shapes[w] || shapes[n].reduce(1, *) == 1 else {
            throw KerasError.shapeMismatch("op graph: \(add ? "assign_add" : "assign") to weight \(index) of shape \(formatShape(shapes[w].map { Optional($0) })) needs a value of that shape or a scalar, got \(formatShape(shapes[n].map { $0 < 0 ? nil : $0 }))")
        }
        let write = WeightWrite(weight: index, node: n, add: add)
        if training != true { writes[0].append(write) }
        if training != false { writes[1].append(write) }
    }

    /// Does the writes of mode `mode` with the values of a run.
    func performWrites(_ mode: Int, _ values: [Tensor?]) throws {
        guard !writes[mode].isEmpty else { return }
        guard let writeWeight else { throw KerasError.invalidState("op graph: the call writes to weights, but its layer takes no writes") }
        for w in writes[mode] {
            guard w.node < values.count, let v = values[w.node] else { throw KerasError.invalidState("op graph: a weight write has no value") }
            try writeWeight(w.weight, v.detached, w.add)
        }
    }
}
