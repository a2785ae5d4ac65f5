extension RNN {
    /// Runs the cell one step at a time on the tape: any ``RNNCell`` (for the built-in cells, the
    /// path of recurrent dropout in training). Returns the outputs of every step `(batch, steps,
    /// outputSize)`, the last step's output, then the last states. Masked steps carry the states
    /// through and output the carried first state, as Keras's scan does (in a stack, the last
    /// cell's first state); unrolled, the previous step's output (zeros at first), as its loop does.
    func runSteps(_ x: Tensor, mask: Tensor?, initialStates: [Tensor], training: Bool) throws -> [Tensor] {
        let (b, steps, f) = (x.shape[0], x.shape[1], x.shape[2])
        let widths = cell.stateSize
        if !training { (cell as? Layer)?.passInferenceDropoutDraws() }
        try cell.beginSequence(batch: b, features: f, training: training)
        defer { cell.endSequence() }
        var states = initialStates.isEmpty ? widths.map { Tensor(shape: [b, $0]) } : initialStates
        var outputs: [Tensor] = []
        outputs.reserveCapacity(steps)
        let timeMajor = try Ops.transpose(x, [1, 0, 2])
        let previous = (cell as? StackedRNNCells)?.lastCellFirstState ?? 0
        var lastOutput: Tensor?
        for t in 0..<steps {
            let s = goBackwards ? steps - 1 - t : t
            var (out, next) = try cell.call(Ops.reshape(Ops.take(timeMajor, [s]), [b, f]), states: states, training: training)
            try checkStep(out, next, batch: b)
            if let mask {
                let keep = stepKeep(mask, steps: steps, step: s, leading: [b])
                let carried: Tensor
                if unroll {
                    carried = lastOutput ?? Tensor(shape: out.shape)
                } else if states.indices.contains(previous), states[previous].shape == out.shape {
                    carried = states[previous]
                } else {
                    throw KerasError.shapeMismatch("\(className) '\(name)': with a mask, a masked step outputs the cell's first state, so \(cell.className) '\(cell.name)' needs output_size equal to state_size[0], got \(out.shape[1]) and \(widths)")
                }
                out = try Ops.where(keep(out.shape[1]), out, carried)
                next = try zip(next, states).map { try Ops.where(keep($0.shape[1]), $0, $1) }
            }
            outputs.append(try Ops.expandDims(out, axis: 1))
            lastOutput = out
            states = next
        }
        guard let last = outputs.last else {
            throw KerasError.shapeMismatch("\(className) '\(name)': the sequence has no time steps, got inputs \(x.shape)")
        }
        return [try Ops.concatenate(outputs, axis: 1), try Ops.reshape(last, [b, cell.outputSize])] + states
    }

    /// The 0/1 factor Keras's loop applies to the outputs beyond carrying states, in output
    /// order: `(batch, steps, 1)` for the sequence, `(batch, 1)` for the last output; nil where it
    /// changes nothing. With `zeroOutputForMask` a masked step outputs zeros (Keras's scan, the last
    /// output included); unrolled, a step outputs zeros until the first unmasked one (the fused op
    /// carries the initial state there; the step path, `stepped`, already did it).
    func maskedOutputFactor(_ mask: Tensor, batch: Int, steps: Int, stepped: Bool) -> Tensor? {
        guard unroll ? !stepped : zeroOutputForMask, steps > 0 else { return nil }
        let factor = Tensor(shape: returnSequences ? [batch, steps, 1] : [batch, 1])
        for b in 0..<batch {
            var seen = false
            for t in 0..<steps {
                let on = mask.data[b * steps + (goBackwards ? steps - 1 - t : t)] != 0
                seen = seen || on
                let value: Float = (unroll ? seen : on) ? 1 : 0
                if returnSequences { factor.data[b * steps + t] = value } else if t == steps - 1 { factor.data[b] = value }
            }
        }
        return factor
    }

    /// A cell's step result must be `(batch, outputSize)` and its states of ``RNNCell/stateSize``.
    private func checkStep(_ out: Tensor, _ states: [Tensor], batch: Int) throws {
        let widths = cell.stateSize
        guard out.shape == [batch, cell.outputSize], states.count == widths.count,
              zip(states, widths).allSatisfy({ $0.shape == [batch, $1] }) else {
            throw KerasError.shapeMismatch("\(className) '\(name)': \(cell.className) '\(cell.name)'.call must return an output of shape [\(batch), \(cell.outputSize)] (output_size) and states of widths \(widths) (state_size), got \(out.shape) and \(states.map(\.shape))")
        }
    }
}

/// The 0/1 mask of step `step` of a `(batch, steps)` mask broadcast to `leading + [width]`
/// (`[batch]` for a recurrent cell's `(batch, width)`, `[batch, spatial...]` for a ConvLSTM's
/// states), one tensor per width.
func stepKeep(_ mask: Tensor, steps: Int, step: Int, leading: [Int]) -> (Int) -> Tensor {
    var made: [Int: Tensor] = [:]
    let batch = leading.first ?? 0, perSample = leading.dropFirst().reduce(1, *)
    return { width in
        if let t = made[width] { return t }
        let keep = Tensor(shape: leading + [width]), count = perSample * width
        for i in 0..<batch where mask.data[i * steps + step] != 0 { (keep.data + i * count).update(repeating: 1, count: count) }
        made[width] = keep
        return keep
    }
}
