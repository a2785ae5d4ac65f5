/// LSTM, GRU and SimpleRNN (and `RNN` over their cells) as ONNX's LSTM, GRU and RNN operators.
extension ONNXLayerConverter {
    /// ONNX's name (and alpha, beta) of an activation its recurrent operators take.
    private func recurrentActivation(_ f: ActivationFunction, layer: Layer) throws -> (String, [Float], [Float]) {
        switch (f.name, f.arguments.isEmpty) {
        case ("tanh", _): return ("Tanh", [], [])
        case ("sigmoid", _): return ("Sigmoid", [], [])
        case ("relu", true): return ("Relu", [], [])
        case ("linear", _): return ("Affine", [1], [0])
        case ("hard_sigmoid", _): return ("HardSigmoid", [1.0 / 6], [0.5])
        case ("elu", _): return ("Elu", [f.arguments["alpha"] ?? 1], [])
        case ("softsign", _): return ("Softsign", [], [])
        case ("softplus", _): return ("Softplus", [], [])
        default: throw unsupported(layer, "its activation '\(f.name)' has no form in ONNX's recurrent operators")
        }
    }

    /// Rows of `(units * blocks)` wide matrix `m` (as Keras lays a kernel out: `(in, blocks·units)`),
    /// transposed to ONNX's `(blocks·units, in)` with the blocks in `order`.
    private func gateRows(_ m: Tensor, units: Int, order: [Int]) throws -> [Float] {
        let t = try Ops.transpose(m, [1, 0]).scalars
        let rowWidth = m.shape[0], block = units * rowWidth
        var out: [Float] = []
        out.reserveCapacity(t.count)
        for b in order { out.append(contentsOf: t[(b * block)..<((b + 1) * block)]) }
        return out
    }

    /// The outputs of `l` over `x` (with a mask, over each row's unmasked steps, wherever they
    /// are); `timeReversed` gives the sequence output in the reverse of Keras's order (what
    /// Bidirectional merges).
    func recurrent(_ l: RNN, inputCount: Int, x: String, mask: String?, timeReversed: Bool = false) throws -> [String] {
        let s = l.name
        guard let cell = l.builtInCell, let kernel = cell.kernel?.storedValue, let recurrent = cell.recurrentKernel?.storedValue else {
            throw unsupported(l, "only LSTM, GRU and SimpleRNN (and RNN over their cells) have an ONNX form here")
        }
        guard !l.stateful else { throw unsupported(l, "stateful=True keeps states between calls, which an ONNX graph does not") }
        guard inputCount == 1 else { throw unsupported(l, "initial states given as inputs are not exported") }
        guard kernel.rank == 2, recurrent.rank == 2 else { throw unsupported(l, "its kernels are not matrices") }
        let units = cell.units, inputDim = kernel.shape[0]
        let (opType, order): (String, [Int])
        var extra: [(String, ONNXAttributeValue)] = []
        var activations: [ActivationFunction]
        var inputBias: [Float], recurrentBias: [Float]
        let bias = cell.bias?.storedValue.scalars
        let biasCount: Int
        switch cell.kind {
        case .lstm: biasCount = 4 * units
        case .gru(let resetAfter): biasCount = (resetAfter ? 6 : 3) * units
        case .simple: biasCount = units
        }
        guard bias == nil || bias?.count == biasCount else { throw unsupported(l, "its bias does not have \(biasCount) values") }
        switch cell.kind {
        case .lstm:
            // Keras gates i, f, c, o; ONNX i, o, f, c.
            (opType, order) = ("LSTM", [0, 3, 1, 2])
            activations = [cell.recurrentActivationFunction, cell.activationFunction, cell.activationFunction]
            inputBias = bias.map { b in order.flatMap { b[($0 * units)..<(($0 + 1) * units)] } } ?? Array(repeating: 0, count: 4 * units)
            recurrentBias = Array(repeating: 0, count: 4 * units)
        case .gru(let resetAfter):
            // Keras and ONNX both order the gates z, r, h; reset_after is linear_before_reset.
            (opType, order) = ("GRU", [0, 1, 2])
            activations = [cell.recurrentActivationFunction, cell.activationFunction]
            extra.append(("linear_before_reset", .int(resetAfter ? 1 : 0)))
            if let bias, resetAfter {
                inputBias = Array(bias[0..<(3 * units)])
                recurrentBias = Array(bias[(3 * units)...])
            } else {
                inputBias = bias ?? Array(repeating: 0, count: 3 * units)
                recurrentBias = Array(repeating: 0, count: 3 * units)
            }
        case .simple:
            (opType, order) = ("RNN", [0])
            activations = [cell.activationFunction]
            inputBias = bias ?? Array(repeating: 0, count: units)
            recurrentBias = Array(repeating: 0, count: units)
        }
        let blocks = order.count
        guard kernel.shape[1] == blocks * units, recurrent.shape == [units, blocks * units],
              inputBias.count == blocks * units, recurrentBias.count == blocks * units else {
            throw unsupported(l, "its weights do not have the shapes of \(opType)")
        }
        var names: [String] = [], alphas: [Float] = [], betas: [Float] = []
        for f in activations {
            let (n, a, b) = try recurrentActivation(f, layer: l)
            names.append(n); alphas += a; betas += b
        }
        var attributes: [(String, ONNXAttributeValue)] = [("hidden_size", .int(units)), ("activations", .strings(names))]
        if !alphas.isEmpty { attributes.append(("activation_alpha", .floats(alphas))) }
        if !betas.isEmpty { attributes.append(("activation_beta", .floats(betas))) }
        if l.goBackwards { attributes.append(("direction", .string("reverse"))) }
        attributes += extra
        let w = graph.constant("\(s)/W", try gateRows(kernel, units: units, order: order), shape: [1, blocks * units, inputDim])
        let r = graph.constant("\(s)/R", try gateRows(recurrent, units: units, order: order), shape: [1, blocks * units, units])
        let b = graph.constant("\(s)/B", inputBias + recurrentBias, shape: [1, 2 * blocks * units])
        // Keras is batch-major, ONNX's operators (layout 0) time-major.
        let steps = mask.map { stepsOfMask($0, x: x, scope: s) }
        let timeMajor = graph.transpose(steps?.compacted ?? x, [1, 0, 2], scope: s)
        var ins = [timeMajor, w, r, b]
        if let mask { ins.append(sequenceLengths(mask, scope: s)) }
        let outs = graph.op(opType, ins, scope: s, outputs: opType == "LSTM" ? 3 : 2, attributes)
        var results: [String] = []
        if l.returnSequences {
            // Y: (time, 1, batch, units), zero past each row's length.
            var y = graph.transpose(graph.squeeze(outs[0], axes: [1], scope: s), [1, 0, 2], scope: s)
            if let mask, let steps {
                y = outputsAtSteps(y, mask: mask, steps: steps, zeroMasked: l.zeroOutputForMask, backwards: l.goBackwards, scope: s)
            }
            if l.goBackwards != timeReversed {
                // Keras gives the outputs in the order it read them (last time step first).
                y = graph.slice(y, starts: [-1], ends: [Int(Int64.min)], axes: [1], steps: [-1], scope: s)
            }
            results.append(y)
        } else {
            results.append(graph.squeeze(outs[1], axes: [0], scope: s))
        }
        if l.returnState {
            results.append(graph.squeeze(outs[1], axes: [0], scope: s))
            if opType == "LSTM" { results.append(graph.squeeze(outs[2], axes: [0], scope: s)) }
        }
        return results
    }

    /// For a `(batch, time)` mask over `x`: `count` (int64), the unmasked steps up to each step;
    /// `total`, those of each row `(batch, 1)`; and `compacted`, `x` with each row's unmasked
    /// steps moved to its start in order (the masked ones after them), the steps ONNX's
    /// `sequence_lens` reads. Keras's masked recurrence skips the masked steps wherever they are
    /// (left padding, or any other).
    private func stepsOfMask(_ mask: String, x: String, scope s: String) -> (count: String, total: String, compacted: String) {
        let keep = graph.cast(mask, to: .int64, scope: s)
        let one = graph.int64s("\(s)/one", [1], shape: [])
        let axis = graph.int64s("\(s)/time_axis", [1], shape: [])
        let count = graph.op1("CumSum", [keep, axis], scope: s)
        let total = graph.reduce("ReduceSum", keep, axes: [1], keepdims: true, scope: s)
        let maskedCount = graph.op1("CumSum", [graph.op1("Sub", [one, keep], scope: s), axis], scope: s)
        // Each step's place: the unmasked ones in order first, then the masked ones.
        let place = graph.op1("Where", [mask, graph.op1("Sub", [count, one], scope: s),
                                        graph.op1("Sub", [graph.op1("Add", [total, maskedCount], scope: s), one], scope: s)], scope: s)
        let places = graph.op1("Expand", [graph.unsqueeze(place, axes: [2], scope: s), graph.op1("Shape", [x], scope: s)], scope: s)
        let compacted = graph.op1("ScatterElements", [x, places, x], scope: s, [("axis", .int(1))])
        return (count, total, compacted)
    }

    /// The sequence output `y` (`(batch, time, units)`, over the compacted steps) at each step of
    /// the input: an unmasked step's own output; a masked step's the output before it in
    /// Keras's reading order (the next unmasked step's, reading backwards), 0 where none is or
    /// with `zero_output_for_mask`.
    private func outputsAtSteps(_ y: String, mask: String, steps: (count: String, total: String, compacted: String),
                                zeroMasked: Bool, backwards: Bool, scope s: String) -> String {
        let one = graph.int64s("\(s)/one", [1], shape: [])
        let zero = graph.int64s("\(s)/zero", [0], shape: [])
        let own = graph.op1("Sub", [steps.count, one], scope: s)
        // (Reading forwards, the last unmasked step up to here; backwards, the first after it.)
        let source = backwards ? graph.op1("Where", [mask, own, steps.count], scope: s) : graph.op1("Max", [own, zero], scope: s)
        let kept = zeroMasked ? mask
            : backwards ? graph.op1("Less", [source, steps.total], scope: s) : graph.op1("Greater", [steps.count, zero], scope: s)
        let sources = graph.op1("Expand", [graph.unsqueeze(source, axes: [2], scope: s), graph.op1("Shape", [y], scope: s)], scope: s)
        let gathered = graph.op1("GatherElements", [y, sources], scope: s, [("axis", .int(1))])
        return graph.op1("Where", [graph.unsqueeze(kept, axes: [2], scope: s), gathered, graph.scalar("\(s)/zero_output", 0)], scope: s)
    }

    /// Bidirectional: its forward and backward layers as two operators, the backward sequence
    /// put back in time order, merged as `merge_mode` says; then the forward states, then the
    /// backward ones.
    func bidirectional(_ l: Bidirectional, inputCount: Int, x: String, mask: String?) throws -> [String] {
        let s = l.name
        let forward = try recurrent(l.forwardLayer, inputCount: inputCount, x: x, mask: mask)
        let backward = try recurrent(l.backwardLayer, inputCount: inputCount, x: x, mask: mask, timeReversed: l.returnSequences)
        guard let y = forward.first, let yr = backward.first else { throw unsupported(l, "its layers wrote no outputs") }
        let merged: [String]
        switch l.mergeMode {
        case .concat: merged = [graph.op1("Concat", [y, yr], scope: s, [("axis", .int(-1))])]
        case .sum: merged = [graph.op1("Add", [y, yr], scope: s)]
        case .mul: merged = [graph.op1("Mul", [y, yr], scope: s)]
        case .ave: merged = [graph.op1("Mul", [graph.op1("Add", [y, yr], scope: s), graph.scalar("\(s)/half", 0.5)], scope: s)]
        case nil: merged = [y, yr]
        }
        return merged + forward.dropFirst() + backward.dropFirst()
    }
}
