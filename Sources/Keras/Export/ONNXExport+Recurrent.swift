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

    /// The outputs of `l` over `x` (time steps beyond each row's mask length are Keras's masked
    /// steps); `timeReversed` gives the sequence output in the reverse of Keras's order (what
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
        let timeMajor = graph.transpose(x, [1, 0, 2], scope: s)
        var ins = [timeMajor, w, r, b]
        if let mask { ins.append(sequenceLengths(mask, scope: s)) }
        let outs = graph.op(opType, ins, scope: s, outputs: opType == "LSTM" ? 3 : 2, attributes)
        var results: [String] = []
        if l.returnSequences {
            // Y: (time, 1, batch, units), zero past each row's length.
            var y = graph.transpose(graph.squeeze(outs[0], axes: [1], scope: s), [1, 0, 2], scope: s)
            if let mask, !l.zeroOutputForMask, !l.goBackwards {
                // Keras repeats the previous output over masked steps: the last one, after them all.
                let last = graph.unsqueeze(graph.squeeze(outs[1], axes: [0], scope: s), axes: [1], scope: s)
                y = graph.op1("Where", [graph.unsqueeze(mask, axes: [2], scope: s), y, last], scope: s)
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
