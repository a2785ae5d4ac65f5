/// The exponential moving average of the weights (`use_ema`), as Keras's base optimizer keeps it.
extension Optimizer {
    /// Keras's `_update_model_variables_moving_average` and the periodic overwrite, counted in
    /// optimizer steps (`step` is Keras's `iterations`, divided by the accumulation steps).
    func updateMovingAverages(_ states: [SlotState], _ variables: [Variable], step: Int) {
        let m: Float = step == 0 ? 0 : Float(emaMomentum)
        let overwrite = emaOverwriteFrequency.map { (step + 1) % $0 == 0 } ?? false
        for (s, v) in zip(states, variables) {
            guard let avg = s.average?.data else { continue }
            let w = v.mutableData
            for j in 0..<s.count {
                avg[j] = m * avg[j] + (1 - m) * w[j]
                if overwrite { w[j] = avg[j] }
            }
        }
    }

    /// Replaces the weights with their moving averages when `useEMA` is on. Keras:
    /// `optimizer.finalize_variable_values(var_list)`, which `fit` calls at the end of training.
    public func finalizeVariableValues(_ variables: [Variable]) {
        if !innerOptimizers.isEmpty { return innerOptimizers.forEach { $0.finalizeVariableValues(variables) } }
        guard useEMA else { return }
        for v in variables {
            guard let s = stateByVariable[ObjectIdentifier(v)], let avg = s.average, s.count == v.storedValue.count else { continue }
            v.mutableData.update(from: avg.data, count: s.count)
        }
    }

    /// Exchanges the weights with their moving averages (call twice to swap back), as Keras's
    /// `SwapEMAWeights` callback does around evaluation. Throws when `useEMA` is off.
    public func swapMovingAverages(_ variables: [Variable]) throws {
        if !innerOptimizers.isEmpty {
            let averaging = innerOptimizers.filter(\.useEMA)
            guard !averaging.isEmpty else {
                throw KerasError.invalidState("\(className): swapping moving averages needs use_ema=True on an inner optimizer")
            }
            return try averaging.forEach { try $0.swapMovingAverages(variables) }
        }
        guard useEMA else {
            throw KerasError.invalidState("\(className): swapping moving averages needs use_ema=True")
        }
        for v in variables {
            guard let s = stateByVariable[ObjectIdentifier(v)], let avg = s.average?.data, s.count == v.storedValue.count else { continue }
            let w = v.mutableData
            for j in 0..<s.count { let t = w[j]; w[j] = avg[j]; avg[j] = t }
        }
    }

    /// The moving average of `variable`, when `useEMA` is on and a step has been taken.
    public func movingAverage(of variable: Variable) -> Tensor? {
        if !innerOptimizers.isEmpty { return innerOptimizers.lazy.compactMap { $0.movingAverage(of: variable) }.first }
        guard let s = stateByVariable[ObjectIdentifier(variable)], let avg = s.average else { return nil }
        return avg.copy().viewing(variable.shape)
    }
}
