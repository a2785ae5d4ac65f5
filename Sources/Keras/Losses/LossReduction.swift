/// Keras's weighting and reduction of per-sample loss values (`keras.src.losses.loss`).
enum LossReduction {
    /// Keras's `squeeze_or_expand_to_same_rank`: when ranks differ by one and the longer has a
    /// trailing 1, squeeze it (or, when the shorter has rank 1, expand that one).
    static func matchRanks(_ a: Tensor, _ b: Tensor, expandRank1: Bool = true) throws -> (Tensor, Tensor) {
        var a = a, b = b
        if a.rank == b.rank + 1, a.shape.last == 1 {
            if b.rank == 1 && expandRank1 { b = try Ops.reshape(b, b.shape + [1]) } else { a = try Ops.reshape(a, Array(a.shape.dropLast())) }
        } else if b.rank == a.rank + 1, b.shape.last == 1 {
            if a.rank == 1 && expandRank1 { a = try Ops.reshape(a, a.shape + [1]) } else { b = try Ops.reshape(b, Array(b.shape.dropLast())) }
        }
        return (a, b)
    }

    /// Targets and predictions brought to the same rank, targets detached (no gradient).
    static func prepare(_ yTrue: Tensor, _ yPred: Tensor) throws -> (Tensor, Tensor) {
        let (t, p) = try matchRanks(yTrue.detached, yPred)
        return (t.detached, p)
    }

    /// Keras's `reduce_weighted_values`: the mask folds into the weights (rescaled so that a
    /// mean counts only unmasked values), the weights multiply the values, then the reduction.
    static func reduceWeighted(_ values: Tensor, sampleWeight: Tensor?, mask: Tensor?, reduction: Loss.Reduction,
                               owner: String) throws -> Tensor {
        var weights = sampleWeight?.detached
        if let mask {
            let floatMask: Tensor
            if reduction == .mean || reduction == .sumOverBatchSize {
                var valid: Float = 0
                for i in 0..<mask.count where mask.data[i] != 0 { valid += 1 }
                let scale = valid == 0 ? 0 : Float(mask.count) / valid
                floatMask = Kernels.map(mask) { $0 != 0 ? scale : 0 }
            } else {
                floatMask = Kernels.map(mask) { $0 != 0 ? 1 : 0 }
            }
            if let w = weights {
                let (m, w2) = try matchRanks(floatMask, w)
                weights = try broadcastProduct(w2, m, owner)
            } else {
                weights = floatMask
            }
        }
        var weighted = values
        if let w = weights {
            let (v, w2) = try matchRanks(values, w)
            // A scalar (a loss that reduced the batch itself) times the weights, as numpy broadcasts.
            weighted = try Ops.multiply(v, v.rank == 0 ? w2 : try weightsShaped(w2, like: v, owner))
            weights = w2
        }
        if reduction == .none || weighted.rank == 0 || weighted.shape == [0] { return weighted }
        let total = try Ops.sum(weighted)
        if reduction == .sum { return total }
        var divisor = Float(weighted.count)
        if reduction == .meanWithSampleWeight, let w = weights {
            divisor = 0
            for i in 0..<w.count { divisor += w.data[i] }
        }
        return divisor == 0 ? Ops.affine(total, scale: 0) : total * (1 / divisor)
    }

    /// Weights that broadcast against `values` as numpy does, or, where Keras would fail, shaped
    /// `[batch, 1, ...]` when they hold one weight per sample.
    static func weightsShaped(_ w: Tensor, like values: Tensor, _ owner: String) throws -> Tensor {
        if Kernels.broadcastShape(w.shape, values.shape) == values.shape { return w }
        if w.rank < values.rank, Array(values.shape.prefix(w.rank)) == w.shape {
            return w.viewing(w.shape + Array(repeating: 1, count: values.rank - w.rank))
        }
        throw KerasError.shapeMismatch("\(owner): sample_weight of shape \(w.shape) does not fit loss values of shape \(values.shape)")
    }

    private static func broadcastProduct(_ a: Tensor, _ b: Tensor, _ owner: String) throws -> Tensor {
        guard let shape = Kernels.broadcastShape(a.shape, b.shape) else {
            throw KerasError.shapeMismatch("\(owner): sample_weight of shape \(a.shape) does not fit the mask of shape \(b.shape)")
        }
        return Kernels.broadcast(a, b, shape: shape, *)
    }
}
