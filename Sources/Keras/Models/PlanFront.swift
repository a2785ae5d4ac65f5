/// The layers before a ``StepPlan``'s Dense stack that one stage runs: a ``PooledConvFront``
/// (the small convnets), a ``RecurrentFront`` (the sequence models) or an ``AttentionFront``
/// (a self-attention and its pooling), read when the graph is built (``PlanLayers``).
protocol PlanFront {
    /// The number of the model's layers it covers.
    var layerCount: Int { get }
    /// True while its layers still hold the front's weights.
    func matches() -> Bool
    /// True when every layer of the front trains as the plan does (trainable weights, no
    /// regularizer, no dropout the plan does not draw).
    var isPlain: Bool { get }
    /// The stage for batches shaped as `x`, or nil where the general step would run these
    /// layers otherwise than the stage does.
    func stage(for x: Tensor) -> PlanFrontStage?
}

/// A ``PlanFront`` in a ``StepPlan`` for batches of one shape: its buffers, kept from step to
/// step, and its forward and backward over the kernels the general step runs.
protocol PlanFrontStage: AnyObject {
    /// Floats per sample of the output (the Dense stack's input width).
    var width: Int { get }
    /// The last ``forward(_:training:)``'s output.
    var output: UnsafePointer<Float> { get }
    /// The number of the front's weights with a gradient buffer.
    var weightCount: Int { get }
    /// True when the plan's test steps may run this stage.
    var tests: Bool { get }
    /// The gradient buffer of `v`, when it is one of the front's weights.
    func gradient(of v: Variable) -> Tensor?
    /// The stage's output for the batch `x`.
    func forward(_ x: UnsafePointer<Float>, training: Bool) -> UnsafePointer<Float>
    /// The weight gradients from `upstream`, the gradient of the last forward's output.
    func backward(_ x: UnsafePointer<Float>, upstream: UnsafePointer<Float>)
}
