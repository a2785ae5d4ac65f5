/// Keras's `optimizer.variables` of an optimizer used on its own (`optimizer.apply(grads, vars)`
/// over variables that belong to no model).
extension Optimizer {
    /// Keras's `optimizer.variables` once built for `variables` (those it updates, in the order it
    /// first saw them): each one's path (`adam/iteration`, `adam/learning_rate`, then the slots,
    /// `adam/w_momentum`, named after the variable's `path` as Keras names them) and its value.
    public func variableValues(for variables: [Variable]) throws -> [(path: String, value: OptimizerVariableValue)] {
        try OptimizerState.entries(self, variables: variables).map { ($0.name, try $0.read()) }
    }

    /// Sets the step count: the next step is step `n + 1` (schedules, decay and Adam's bias
    /// correction read it). Keras: `optimizer.iterations.assign(n)`.
    public func assignIterations(_ n: Int) throws {
        guard n >= 0, n <= OptimizerState.maxCount else {
            throw KerasError.invalidArgument("\(name): the optimizer's iterations must not be negative or past 2^53, got \(n)")
        }
        iterations = n
    }

    /// Sets Keras's `optimizer.variables` for `variables` (``variableValues(for:)``'s order) from
    /// `values`; a count or a shape that differs changes nothing. Keras: `optimizer.set_weights`.
    public func restoreVariableValues(_ values: [OptimizerVariableValue], for variables: [Variable]) throws {
        let entries = OptimizerState.entries(self, variables: variables)
        guard values.count == entries.count else {
            throw KerasError.invalidArgument("\(name): the optimizer has \(entries.count) variables, \(values.count) values were given")
        }
        for (e, v) in zip(entries, values) where e.shape != v.shape {
            throw KerasError.shapeMismatch("Optimizer variable \(e.name) has shape \(e.shape) not compatible with provided weight shape \(v.shape)")
        }
        try OptimizerState.restore(self, entries: entries, from: values)
    }
}
