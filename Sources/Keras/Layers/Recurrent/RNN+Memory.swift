/// The buffers a recurrent layer keeps for every step of a batch beyond its output, counted with
/// the activations under ``MemoryBudget`` (issue 17), as convolution's im2col columns are.
///
/// The fused op (``RecurrentSequence``) keeps, per step and batch row, the time-major input
/// (and its dropped copy), the hidden state (and LSTM's cell), the activated gates, one more
/// `units` block (LSTM's `act(c)`, GRU's recurrent part) and the step's output even when the
/// layer returns only the last; training adds the gates' gradients (two blocks for GRU), the
/// outputs' gradient, the inputs' gradient twice (time-major, then batch-major) and, for LSTM and
/// SimpleRNN, the `[x | h_prev | 1]` rows of the one weight-gradient GEMM. The step
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
            let gathered = shared ? f + u + (cell.useBias ? 1 : 0) : 0
            perStep = forward + (training ? (shared ? 1 : 2) * gates + u + 2 * f + gathered : 0)
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

/// ConvLSTM's buffers beyond its output (issue 17), per step, batch row and output position, for
/// ``ConvLSTMCell/run(_:states:goBackwards:keepSequence:training:)``: the input convolution's
/// gate pre-activations (4 blocks of `filters`) and each step's copy of them (4), the recurrent
/// convolution's output (4), their sum (4) and its four gate slices (4), the activated gates (4),
/// `f·c`, `i·g` and `c` (3), `act(c)` and `h` (2), and with `return_sequences` the time-major
/// output sequence (1); training keeps as much again for their gradients. Beside them the two
/// convolutions' im2col columns (window × channels and window × filters per position, twice in
/// training, none where the direct kernel runs) and the time-major copy of the input (twice in
/// training).
extension ConvLSTM: KernelScratch {
    func scratchBytes(inputShape: [Int], outputShape: [Int], training: Bool) throws -> Int {
        let r = Self.spatialRank
        guard inputShape.count == r + 3 else { return 0 }
        let context = "\(className) '\(name)' per-step buffers"
        let state = try stepOutputShape(inputShape.map { Optional($0) }).map { $0 ?? 1 }
        let spatial = dataFormat == .channelsLast ? Array(state.dropFirst().dropLast()) : Array(state.dropFirst(2))
        let positions = try ShapeMath.product(spatial, context)
        let channels = inputShape[dataFormat == .channelsLast ? r + 2 : 2]
        let window = try ShapeMath.product(kernelSize, context)
        let copies = training ? 2 : 1
        func columns(_ k: Int) throws -> Int { k <= Kernels.directConvLimit ? 0 : try ShapeMath.product([k, copies], context) }
        let blocks = (4 + 4 + 4 + 4 + 4 + 4 + 3 + 2 + (returnSequences ? 1 : 0)) * copies
        let perPosition = try ShapeMath.sum(try ShapeMath.product([blocks, filters], context),
                                            try ShapeMath.sum(try columns(try ShapeMath.product([window, channels], context)),
                                                              try columns(try ShapeMath.product([window, filters], context)), context),
                                            context)
        let steps = try ShapeMath.product([inputShape[0], inputShape[1], positions, perPosition], context)
        let input = try ShapeMath.product(inputShape + [copies], context)
        return try ShapeMath.product([try ShapeMath.sum(steps, input, context), MemoryLayout<Float>.size], context)
    }
}
