/// Evaluates (and predicts) with the moving averages of the weights that an optimizer made with
/// `useEMA: true` keeps, swapping them in for the loop and back afterwards; with `swapOnEpoch`
/// the averages are also in the model at the end of each epoch, for the callbacks after this one
/// (a ModelCheckpoint saves them). Keras: `SwapEMAWeights(swap_on_epoch=False)`.
///
/// ```swift
/// model.compile(optimizer: try SGD(learningRate: 0.1, options: OptimizerArguments(useEMA: true)), loss: .meanSquaredError)
/// try model.fit(x, y, epochs: 5, callbacks: [SwapEMAWeights(swapOnEpoch: true)], validationSplit: 0.2)
/// ```
/// As in Keras 3.15, the end of `predict` does not swap back (Keras's `on_predict_end` tests the
/// wrong flag), so the averages stay in the model until the next evaluation ends.
public final class SwapEMAWeights: Callback, @unchecked Sendable {
    public let swapOnEpoch: Bool
    private var emaWeightsInModel = false

    public init(swapOnEpoch: Bool = false) {
        self.swapOnEpoch = swapOnEpoch
    }

    public override var wantsBatchLogs: Bool { false }

    /// The model's trainable weights and the optimizer keeping their averages.
    private func target() throws -> (Optimizer, [Variable]) {
        guard let model, let optimizer = model.optimizer else {
            throw KerasError.invalidState("SwapEMAWeights: the model has no optimizer (compile it first)")
        }
        guard optimizer.useEMA else {
            throw KerasError.invalidArgument("SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. Received: use_ema=False")
        }
        return (optimizer, model.trainableWeights)
    }

    private func swap(toEMA: Bool) throws {
        let (optimizer, variables) = try target()
        try optimizer.swapMovingAverages(variables)
        emaWeightsInModel = toEMA
    }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws {
        if swapOnEpoch && emaWeightsInModel { try swap(toEMA: false) }
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        guard swapOnEpoch && !emaWeightsInModel else { return }
        try swap(toEMA: true)
        if epoch == (params["epochs"] ?? 0) - 1 {
            // Keras's `_finalize_ema_values`: the averages take the (averaged) weights.
            let (optimizer, variables) = try target()
            optimizer.setMovingAveragesToWeights(variables)
        }
    }

    public override func onTestBegin(logs: Logs) throws { if !emaWeightsInModel { try swap(toEMA: true) } }
    public override func onTestEnd(logs: Logs) throws { if emaWeightsInModel { try swap(toEMA: false) } }
    public override func onPredictBegin(logs: Logs) throws { if !emaWeightsInModel { try swap(toEMA: true) } }
    public override func onPredictEnd(logs: Logs) throws { if !emaWeightsInModel { try swap(toEMA: false) } }
}

extension Optimizer {
    /// Sets each moving average to its weight's current value.
    func setMovingAveragesToWeights(_ variables: [Variable]) {
        for v in variables {
            guard let s = stateByVariable[ObjectIdentifier(v)], let avg = s.average, s.count == v.storedValue.count else { continue }
            avg.data.update(from: v.storedValue.data, count: s.count)
        }
    }
}
