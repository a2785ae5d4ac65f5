/// What an optimizer holds per variable, as Keras's `optimizer.variables` shows it; a wrapper
/// (``LossScaleOptimizer``, ``MultiOptimizer``) answers with its inner optimizers'.
extension Optimizer {
    /// Makes the state of `variables` now rather than on the first step (before restoring saved
    /// optimizer weights, as Keras's `optimizer.build(var_list)`).
    public func build(_ variables: [Variable]) {
        if innerOptimizers.isEmpty {
            _ = statesForSaving(variables.filter { !$0.overwriteWithGradient })
            if gradientAccumulationSteps != nil {
                for v in variables where v.overwriteWithGradient && v.dtype == .float32 { _ = overwriteAccumulator(for: v) }
            }
            return
        }
        for (o, share) in delegates(for: variables) where !share.isEmpty { o.build(share) }
    }

    /// True once a step has made per-variable state (Keras builds the optimizer on the first step).
    public var isBuilt: Bool {
        innerOptimizers.isEmpty ? !stateByVariable.isEmpty : innerOptimizers.contains { $0.isBuilt }
    }

    /// Scalars that are not per-variable slots but count among Keras's optimizer variables
    /// (Nadam's running product, LossScaleOptimizer's step counter and scale).
    public var extraScalarVariables: Int { extraScalarNames.count }

    /// How many numbers `optimizer.variables` holds in Keras: the iteration count, the learning
    /// rate (unless scheduled), moving averages, gradient accumulators, slots and extra scalars,
    /// then an inner optimizer's.
    public var variableScalarCount: Int {
        var total = 1 + (schedule == nil ? 1 : 0) + extraScalarVariables
        if !innerOptimizers.isEmpty { return innerOptimizers.reduce(total) { $0 + $1.variableScalarCount } }
        let slotCount = slotGroups.reduce(0) { $0 + $1.count }
        for s in stateByVariable.values {
            // (a float8 scale or history has only its gradient accumulator)
            if s.variable.overwriteWithGradient { total += s.accumulator == nil ? 0 : s.count; continue }
            total += (useEMA ? s.count : 0) + (s.accumulator == nil ? 0 : s.count)
            for k in 0..<slotCount where hasSlot(k, for: s.variable) {
                total += slotShape(k, of: s.variable.shape).reduce(1, *)
            }
        }
        return total
    }

    /// Slot `name` (`"momentum"`) of `variable`, in the shape Keras gives it, or nil.
    public func slot(_ name: String, of variable: Variable) -> Tensor? {
        if !innerOptimizers.isEmpty { return innerOptimizers.lazy.compactMap { $0.slot(name, of: variable) }.first }
        guard let s = stateByVariable[ObjectIdentifier(variable)],
              let k = slotGroups.flatMap({ $0 }).firstIndex(of: name), hasSlot(k, for: variable) else { return nil }
        let shape = slotShape(k, of: variable.shape)
        let out = Tensor(shape: shape, repeating: 0)
        out.data.update(from: s.slots.data + k * s.count, count: Swift.min(shape.reduce(1, *), s.count))
        return out
    }
}
