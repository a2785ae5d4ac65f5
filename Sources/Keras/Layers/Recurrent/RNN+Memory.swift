/// The buffers a recurrent layer keeps for every step of a batch beyond its output, counted with
/// the activations under ``MemoryBudget`` (issue 17), as convolution's im2col columns are.
///
/// The fused op (``RecurrentSequence``) keeps, per step and batch row, the time-major input
/// (and its dropped copy), the hidden state (and LSTM's cell), the activated gates, one more
/// `units` block (LSTM's `act(c)`, GRU's recurrent part) and the step's output even when the
/// layer returns only the last; training adds the gates' gradients (two blocks for GRU), the
/// outputs' gradient and the inputs' gradient twice (time-major, then batch-major). The step
/// path (other cells, recurrent dropout) keeps at least each step's output and states, and as
/// much again for their gradients in training.
extension RNN: KernelScratch {
    func scratchBytes(inputShape: [Int], outputShape: [Int], training: Bool) throws -> Int {
        try stepBytes(inputShape, training: training, sequenceCounted: returnSequences)
    }

    /// Those bytes for inputs `(batch, steps, features)`; `sequenceCounted`: the output sequence
    /// is the layer's output, already counted with the activations.
    func stepBytes(_ inputShape: [Int], training: Bool, sequenceCounted: Bool) throws -> Int {
        guard inputShape.count == 3 else { return 0 }
        let (f, output) = (inputShape[2], sequenceCounted ? 0 : cell.outputSize)
        let perStep: Int
        if let cell = fusedCell(training: training) {
            let u = cell.units, gates = cell.kind.gates * u, cells = cell.kind == .lstm ? 2 : 1
            let forward = f + (training && cell.dropsInputs ? f : 0) + gates + cells * u + (cell.kind == .simple ? 0 : u) + output
            let shared = cell.kind == .lstm || cell.kind == .simple
            perStep = forward + (training ? (shared ? 1 : 2) * gates + u + 2 * f : 0)
        } else {
            perStep = (cell.outputSize + cell.stateSize.reduce(0, +) + output) * (training ? 2 : 1)
        }
        return try ShapeMath.product([inputShape[0], inputShape[1], perStep, MemoryLayout<Float>.size],
                                     "\(className) '\(name)' per-step buffers")
    }
}

/// Each direction's per-step buffers and its own output sequence, which the wrapper merges into
/// its output (only the merged one is counted with the activations).
extension Bidirectional: KernelScratch {
    func scratchBytes(inputShape: [Int], outputShape: [Int], training: Bool) throws -> Int {
        try ShapeMath.sum(try forwardLayer.stepBytes(inputShape, training: training, sequenceCounted: false),
                          try backwardLayer.stepBytes(inputShape, training: training, sequenceCounted: false),
                          "Bidirectional '\(name)' per-step buffers")
    }
}
