extension Loss {
    /// The reduced loss where only the values that `mask` marks (nonzero) count: Keras's loss of
    /// a prediction that carries a mask (`Masking`, `Embedding(mask_zero=True)`). The mask joins
    /// the loss's own (`ignore_class`) and becomes part of the sample weights, rescaled so that a
    /// mean is over the unmasked values (Keras's `apply_mask`).
    public func callAsFunction(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?, mask: Tensor?) throws -> Tensor {
        guard let mask else { return try self(yTrue, yPred, sampleWeight: sampleWeight) }
        let (values, own) = try maskedPerSample(yTrue, yPred)
        var combined = mask.detached
        if let own {
            guard let shape = Kernels.broadcastShape(own.shape, combined.shape) else {
                throw KerasError.shapeMismatch("Loss '\(name)': the mask of the predictions, of shape \(mask.shape), does not fit the loss's own mask of shape \(own.shape)")
            }
            combined = Kernels.broadcast(own, combined, shape: shape) { $0 != 0 && $1 != 0 ? 1 : 0 }
        }
        return try LossReduction.reduceWeighted(values, sampleWeight: sampleWeight, mask: combined,
                                                reduction: reduction, owner: name)
    }
}
