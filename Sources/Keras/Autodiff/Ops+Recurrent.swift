extension Ops {
    /// Runs a recurrent cell over `x` `(batch, steps, features)` as one op with its own
    /// backward through time (see `RecurrentSequence`). Returns the outputs of every step
    /// `(batch, steps, units)` in processing order (reversed with `goBackwards`, as Keras), the
    /// last hidden state `(batch, units)` and, for LSTM, the last cell state. Steps where `mask`
    /// `(batch, steps)` is 0 carry state and output through. `initialStates` (`[h]`, `[h, c]` for
    /// LSTM, each `(batch, units)`) start the sequence; zeros when empty. Keras: `keras.ops.rnn` over a cell.
    public static func recurrentSequence(_ x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?,
                                         kind: RecurrentCellKind, activation: ElementwiseActivation,
                                         recurrentActivation: ElementwiseActivation,
                                         mask: Tensor? = nil, initialStates: [Tensor] = [],
                                         goBackwards: Bool = false) throws -> [Tensor] {
        guard x.rank == 3, x.shape[1] > 0 else {
            throw KerasError.shapeMismatch("recurrentSequence: expects inputs (batch, steps > 0, features), got shape \(x.shape)")
        }
        let (b, steps, f) = (x.shape[0], x.shape[1], x.shape[2])
        let units = recurrentKernel.shape.first ?? 0, g = kind.gates * units
        guard kernel.shape == [f, g], recurrentKernel.shape == [units, g] else {
            throw KerasError.shapeMismatch("recurrentSequence: kernel \(kernel.shape) and recurrent kernel \(recurrentKernel.shape) do not fit \(f) features and \(kind.gates) gates")
        }
        if let bias, bias.count != g, !(kind == .gru(resetAfter: true) && bias.shape == [2, g]) {
            throw KerasError.shapeMismatch("recurrentSequence: bias shape \(bias.shape) does not fit \(g) gate units")
        }
        let stateCount = kind == .lstm ? 2 : 1
        guard initialStates.isEmpty || (initialStates.count == stateCount && initialStates.allSatisfy({ $0.shape == [b, units] })) else {
            throw KerasError.shapeMismatch("recurrentSequence: initial states must be \(stateCount) tensor(s) of shape [\(b), \(units)], got \(initialStates.map(\.shape))")
        }
        if let mask, mask.count != b * steps {
            throw KerasError.shapeMismatch("recurrentSequence: mask shape \(mask.shape) does not fit inputs \(x.shape)")
        }
        let order = { (t: Int) in goBackwards ? steps - 1 - t : t }
        let xt = Tensor.uninitialized([steps, b, f])
        let xs = x.data, xtd = xt.data
        for t in 0..<steps {
            for i in 0..<b { Kernels.copy(xs + (i * steps + order(t)) * f, to: xtd + (t * b + i) * f, count: f) }
        }
        let mt = mask.map { (m: Tensor) -> Tensor in
            let out = Tensor.uninitialized([steps, b])
            for t in 0..<steps { for i in 0..<b { out.data[t * b + i] = m.data[i * steps + order(t)] } }
            return out
        }
        let seq = RecurrentSequence(kind: kind, activation: activation, recurrentActivation: recurrentActivation,
                                    x: xt, mask: mt, kernel: kernel, recurrent: recurrentKernel, bias: bias,
                                    initialStates: initialStates)
        seq.forward()
        let bu = b * units
        let outputs = Tensor.uninitialized([b, steps, units])
        // Pointers taken once: a property read inside the loops retains and releases a tensor per row.
        let hs = seq.hs.data, out = outputs.data
        for t in 0..<steps {
            for i in 0..<b { Kernels.copy(hs + (t + 1) * bu + i * units, to: out + (i * steps + t) * units, count: units) }
        }
        let last = { (s: Tensor) -> Tensor in
            let out = Tensor.uninitialized([b, units])
            out.data.update(from: s.data + steps * bu, count: bu)
            return out
        }
        var results = [outputs, last(seq.hs)]
        if kind == .lstm { results.append(last(seq.cs)) }
        var inputs = [x, kernel, recurrentKernel]
        if let bias { inputs.append(bias) }
        inputs += initialStates
        return try customGradient(results, inputs: inputs) { ups in
            let dOut = Tensor.uninitialized([steps, b, units])
            let up = ups[0].data, dOutData = dOut.data
            for t in 0..<steps {
                for i in 0..<b { Kernels.copy(up + (i * steps + t) * units, to: dOutData + t * bu + i * units, count: units) }
            }
            let grads = seq.backward(outputs: dOut, lastState: ups[1], lastCell: kind == .lstm ? ups[2] : nil,
                                     biasShape: bias?.shape)
            let dx = Tensor.uninitialized(x.shape)
            let gx = grads.x.data, dxData = dx.data
            for t in 0..<steps {
                for i in 0..<b { Kernels.copy(gx + (t * b + i) * f, to: dxData + (i * steps + order(t)) * f, count: f) }
            }
            return [dx, grads.kernel, grads.recurrent] + (grads.bias.map { [$0] } ?? [])
                + [grads.state, grads.cell].prefix(initialStates.count)
        }
    }
}
