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
                total = try ShapeMath.sum(total, try ShapeMath.product(Self.resolved(shape, rows) + [MemoryLayout<Float>.size],
                                                                       "Model '\(name)' activations"),
                                          "Model '\(name)' activations")
            }
            if let inner = node.layer as? Model, inner !== self {
                total = try ShapeMath.sum(total, try inner.activationBytes(rows: rows), "Model '\(name)' activations")
            }
        }
        return total
    }

    /// Bytes of the scratch buffers the layers' kernels hold beyond their outputs for one batch
    /// of `rows` (``KernelScratch``: im2col columns, recurrent per-step buffers), nested models included.
    func scratchBytes(rows: Int, training: Bool) throws -> Int {
        var total = 0
        for node in executionOrder {
            if let layer = node.layer as? KernelScratch, let input = node.inputs.first, let output = node.outputShapes.first {
                let bytes = try layer.scratchBytes(inputShape: Self.resolved(input.shape, rows),
                                                   outputShape: Self.resolved(output, rows), training: training)
                total = try ShapeMath.sum(total, bytes, "Model '\(name)' kernel scratch")
            }
            if let inner = node.layer as? Model, inner !== self {
                total = try ShapeMath.sum(total, try inner.scratchBytes(rows: rows, training: training),
                                          "Model '\(name)' kernel scratch")
            }
        }
        return total
    }

    /// `shape` with the batch dimension `rows` and any other unknown dimension 1.
    static func resolved(_ shape: [Int?], _ rows: Int) -> [Int] {
        shape.enumerated().map { i, d in d ?? (i == 0 ? rows : 1) }
    }

    /// Throws ``KerasError/outOfMemory(_:)`` naming `op` when one batch of `rows` does not fit
    /// ``MemoryBudget/bytes`` or cannot be allocated: its activations (twice that in training:
    /// the gradients flowing back are as large), the kernels' scratch buffers and, in training,
    /// the optimizer's state (slots, moving averages, accumulators: held for the whole fit).
    func checkActivationsFit(rows: Int, training: Bool, _ op: String) throws {
        guard rows > 0 else { return }
        let context = "\(op): Model '\(name)' memory"
        let forward = try activationBytes(rows: rows)
        let activations = training ? try ShapeMath.product([forward, 2], context) : forward
        let scratch = try scratchBytes(rows: rows, training: training)
        let state = training ? try compiled?.optimizer.stateBytes(for: trainableWeights) ?? 0 : 0
        let bytes = try ShapeMath.sum(try ShapeMath.sum(activations, scratch, context), state, context)
        var parts = [training ? "activations and gradients" : "activations"]
        if scratch > 0 { parts.append("\(scratch) bytes of kernel scratch") }
        if state > 0 { parts.append("\(state) bytes of optimizer state") }
        try MemoryBudget.require(bytes, for: "\(op): a batch of \(rows) rows of model '\(name)' (its \(parts.joined(separator: ", ")))")
    }
}

/// A layer whose kernels hold buffers beyond its outputs while a batch runs, counted with the
/// activations under ``MemoryBudget``.
protocol KernelScratch {
    /// Bytes of those buffers for one call on `inputShape` giving `outputShape` (batch first),
    /// with what the backward pass adds in `training`.
    func scratchBytes(inputShape: [Int], outputShape: [Int], training: Bool) throws -> Int
}

extension Optimizer {
    /// Bytes of the state this optimizer keeps for `variables` (made on the first step and held
    /// from then on), as ``SlotState`` allocates it: the slots (one variable-sized buffer each),
    /// moving averages, gradient accumulators and the scratch buffer for clipped or averaged
    /// gradients; a wrapper answers with its inner ones'.
    func stateBytes(for variables: [Variable]) throws -> Int {
        let context = "\(className) '\(name)' state"
        if !innerOptimizers.isEmpty {
            return try delegates(for: variables).reduce(0) { try ShapeMath.sum($0, try $1.0.stateBytes(for: $1.1), context) }
        }
        let slotCount = slotGroups.reduce(0) { $0 + $1.count }
        let clips = clipnorm != nil || clipvalue != nil || globalClipnorm != nil || lossScaleFactor != nil
        let perValue = (useEMA ? 1 : 0) + (gradientAccumulationSteps != nil ? 2 : clips ? 1 : 0)
        var total = 0
        for v in variables {
            total = try ShapeMath.sum(total, v.count, context)
        }
        return try ShapeMath.product([total, slotCount + perValue, MemoryLayout<Float>.size], context)
    }
}
