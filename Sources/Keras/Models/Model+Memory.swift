/// The memory a batch needs while running a model, checked against ``MemoryBudget`` before the
/// loop allocates it (issue 17: a model whose activations do not fit fails with
/// ``KerasError/outOfMemory(_:)`` instead of aborting in the allocator).
extension Model {
    /// Bytes of the outputs every layer produces for one batch of `rows` (nested models counted
    /// with their own layers; a dimension unknown beyond the batch counts as 1, so this is a
    /// lower bound).
    func activationBytes(rows: Int) throws -> Int {
        var total = 0
        for node in executionOrder where !(node.layer is InputLayer) {
            for shape in node.outputShapes {
                let dims = shape.enumerated().map { i, d in d ?? (i == 0 ? rows : 1) }
                total = try ShapeMath.sum(total, try ShapeMath.product(dims + [MemoryLayout<Float>.size], "Model '\(name)' activations"),
                                          "Model '\(name)' activations")
            }
            if let inner = node.layer as? Model, inner !== self {
                total = try ShapeMath.sum(total, try inner.activationBytes(rows: rows), "Model '\(name)' activations")
            }
        }
        return total
    }

    /// Throws ``KerasError/outOfMemory(_:)`` naming `op` when the activations of one batch of
    /// `rows` (twice that in training: the gradients flowing back are as large) exceed
    /// ``MemoryBudget/bytes`` or cannot be allocated.
    func checkActivationsFit(rows: Int, training: Bool, _ op: String) throws {
        guard rows > 0 else { return }
        let forward = try activationBytes(rows: rows)
        let bytes = training ? try ShapeMath.product([forward, 2], "\(op): Model '\(name)' activations") : forward
        try MemoryBudget.require(bytes, for: "\(op): a batch of \(rows) rows of model '\(name)' (its \(training ? "activations and gradients" : "activations"))")
    }
}
