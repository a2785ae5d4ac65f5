extension RNN {
    /// Runs the cell one step at a time on the tape: any ``RNNCell`` (for the built-in cells, the
    /// path of recurrent dropout in training). Returns the outputs of every step `(batch, steps,
    /// outputSize)`, the last step's output, then the last states. Masked steps carry the states
    /// through and output the previous output, as Keras's scan does (its first state; in a stack,
    /// the last cell's first state).
    func runSteps(_ x: Tensor, mask: Tensor?, initialStates: [Tensor], training: Bool) throws -> [Tensor] {
        let (b, steps, f) = (x.shape[0], x.shape[1], x.shape[2])
        let widths = cell.stateSize
        try cell.beginSequence(batch: b, features: f, training: training)
        defer { cell.endSequence() }
        var states = initialStates.isEmpty ? widths.map { Tensor(shape: [b, $0]) } : initialStates
        var outputs: [Tensor] = []
        outputs.reserveCapacity(steps)
        let timeMajor = try Ops.transpose(x, [1, 0, 2])
        let previous = (cell as? StackedRNNCells)?.lastCellFirstState ?? 0
        for t in 0..<steps {
            let s = goBackwards ? steps - 1 - t : t
            var (out, next) = try cell.call(Ops.reshape(Ops.take(timeMajor, [s]), [b, f]), states: states, training: training)
            try checkStep(out, next, batch: b)
            if let mask {
                let keep = Self.stepKeep(mask, batch: b, steps: steps, step: s)
                if !states.indices.contains(previous) || states[previous].shape != out.shape {
                    throw KerasError.shapeMismatch("\(className) '\(name)': with a mask, a masked step outputs the cell's first state, so \(cell.className) '\(cell.name)' needs output_size equal to state_size[0], got \(out.shape[1]) and \(widths)")
                }
                out = try Ops.where(keep(out.shape[1]), out, states[previous])
                next = try zip(next, states).map { try Ops.where(keep($0.shape[1]), $0, $1) }
            }
            outputs.append(try Ops.expandDims(out, axis: 1))
            states = next
        }
        guard let last = outputs.last else {
            throw KerasError.shapeMismatch("\(className) '\(name)': the sequence has no time steps, got inputs \(x.shape)")
        }
        return [try Ops.concatenate(outputs, axis: 1), try Ops.reshape(last, [b, cell.outputSize])] + states
    }

    /// A cell's step result must be `(batch, outputSize)` and its states of ``RNNCell/stateSize``.
    private func checkStep(_ out: Tensor, _ states: [Tensor], batch: Int) throws {
        let widths = cell.stateSize
        guard out.shape == [batch, cell.outputSize], states.count == widths.count,
              zip(states, widths).allSatisfy({ $0.shape == [batch, $1] }) else {
            throw KerasError.shapeMismatch("\(className) '\(name)': \(cell.className) '\(cell.name)'.call must return an output of shape [\(batch), \(cell.outputSize)] (output_size) and states of widths \(widths) (state_size), got \(out.shape) and \(states.map(\.shape))")
        }
    }

    /// The 0/1 mask of step `step` broadcast to `(batch, width)`, one tensor per width.
    private static func stepKeep(_ mask: Tensor, batch: Int, steps: Int, step: Int) -> (Int) -> Tensor {
        var made: [Int: Tensor] = [:]
        return { width in
            if let t = made[width] { return t }
            let keep = Tensor(shape: [batch, width])
            for i in 0..<batch where mask.data[i * steps + step] != 0 { (keep.data + i * width).update(repeating: 1, count: width) }
            made[width] = keep
            return keep
        }
    }
}
