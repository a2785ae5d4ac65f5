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
        try recurrentSequence(RecurrentRun(x, kernel: kernel, recurrentKernel: recurrentKernel, bias: bias, kind: kind,
                                           activation: activation, recurrentActivation: recurrentActivation,
                                           mask: mask, initialStates: initialStates, goBackwards: goBackwards))
    }

    /// One checked recurrent sequence as an op.
    static func recurrentSequence(_ run: RecurrentRun) throws -> [Tensor] {
        let (seq, results) = run.forward()
        return try customGradient(results, inputs: run.inputs) { ups in run.backward(seq, upstream: ups[...]) }
    }

    /// Two recurrent sequences (the directions of a Bidirectional layer) as one op whose forward
    /// and backward passes each run the two on two cores at once (``Parallel/both(_:_:)``): one
    /// on this thread, the other on the partner thread, each sequence on one core; one after the
    /// other, each on both cores as ``recurrentSequence(_:)`` runs it, where the partner cannot be
    /// had. The numbers are those of two ``recurrentSequence(_:)`` ops, bit for bit. Returns the
    /// two ops' results.
    static func recurrentSequences(_ first: RecurrentRun, _ second: RecurrentRun) throws -> ([Tensor], [Tensor]) {
        var one: (RecurrentSequence, [Tensor])?
        let other = RecurrentRunResult()
        Parallel.both({ one = first.forward() }, { other.forward = second.forward() })
        guard let (seqA, resultsA) = one, let (seqB, resultsB) = other.forward else {
            throw KerasError.invalidState("recurrentSequences: a direction did not run")
        }
        let count = resultsA.count
        let all = try customGradient(resultsA + resultsB, inputs: first.inputs + second.inputs) { ups in
            var grads: [Tensor] = []
            let otherGrads = RecurrentRunResult()
            Parallel.both({ grads = first.backward(seqA, upstream: ups[..<count]) },
                          { otherGrads.gradients = second.backward(seqB, upstream: ups[count...]) })
            return grads + otherGrads.gradients
        }
        return (Array(all[..<count]), Array(all[count...]))
    }
}

/// What the partner thread's half of ``Ops/recurrentSequences(_:_:)`` hands back.
private final class RecurrentRunResult: @unchecked Sendable {
    var forward: (RecurrentSequence, [Tensor])?
    var gradients: [Tensor] = []
}

/// The checked arguments of one recurrent sequence op, with its forward pass and its backward
/// pass through time (``Ops/recurrentSequence(_:)``).
struct RecurrentRun {
    let x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?
    let kind: RecurrentCellKind
    let activation: ElementwiseActivation, recurrentActivation: ElementwiseActivation
    let mask: Tensor?, initialStates: [Tensor], goBackwards: Bool

    /// False to run every row of every step of a masked sequence (tests compare both).
    nonisolated(unsafe) static var packsMaskedRows = true

    init(_ x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor?, kind: RecurrentCellKind,
         activation: ElementwiseActivation, recurrentActivation: ElementwiseActivation,
         mask: Tensor?, initialStates: [Tensor], goBackwards: Bool) throws {
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
        self.x = x; self.kernel = kernel; self.recurrentKernel = recurrentKernel; self.bias = bias
        self.kind = kind; self.activation = activation; self.recurrentActivation = recurrentActivation
        self.mask = mask; self.initialStates = initialStates; self.goBackwards = goBackwards
    }

    /// The op's inputs, in the order of ``backward(_:upstream:)``'s gradients.
    var inputs: [Tensor] { [x, kernel, recurrentKernel] + (bias.map { [$0] } ?? []) + initialStates }

    private var steps: Int { x.shape[1] }
    private func order(_ t: Int) -> Int { goBackwards ? steps - 1 - t : t }

    /// The sequence run forward, and the op's results: the outputs `(batch, steps, units)`, the
    /// last state and, for LSTM, the last cell.
    func forward() -> (RecurrentSequence, [Tensor]) {
        let (b, steps, f) = (x.shape[0], x.shape[1], x.shape[2])
        // A masked LSTM or SimpleRNN runs only the rows each step needs (``RecurrentRowPacking``).
        let packing = mask.flatMap { m in
            Self.packsMaskedRows && (kind == .lstm || kind == .simple)
                ? RecurrentRowPacking(mask: m.data, batch: b, steps: steps, goBackwards: goBackwards) : nil
        }
        let row = { (i: Int) -> Int in packing?.order[i] ?? i }
        // Full-sized either way: the buffer pool reuses buffers by exact size.
        let xt = Tensor.uninitialized([steps, b, f])
        if let packing {
            let xs = x.data, xp = xt.data
            for t in 0..<steps {
                for i in 0..<packing.counts[t] {
                    Kernels.copy(xs + (packing.order[i] * steps + order(t)) * f, to: xp + (packing.offsets[t] + i) * f, count: f)
                }
            }
        } else {
            RecurrentSequence.timeMajor(x.data, into: xt.data, batch: b, steps: steps, features: f, goBackwards: goBackwards)
        }
        let mt = mask.map { (m: Tensor) -> Tensor in
            let out = Tensor.uninitialized([steps, b])
            for t in 0..<steps { for i in 0..<b { out.data[t * b + i] = m.data[row(i) * steps + order(t)] } }
            return out
        }
        let units = recurrentKernel.shape[0], bu = b * units
        let seq = RecurrentSequence(kind: kind, activation: activation, recurrentActivation: recurrentActivation,
                                    x: xt, mask: mt, kernel: kernel, recurrent: recurrentKernel, bias: bias,
                                    initialStates: packing.map { p in initialStates.map { p.reorder($0, width: units, toPacked: true) } }
                                        ?? initialStates,
                                    packing: packing)
        seq.forward()
        let outputs = Tensor.uninitialized([b, steps, units])
        // Pointers taken once: a property read inside the loops retains and releases a tensor per row.
        let hs = seq.hs.data, out = outputs.data
        for t in 0..<steps {
            for i in 0..<b { Kernels.copy(hs + (t + 1) * bu + i * units, to: out + (row(i) * steps + t) * units, count: units) }
        }
        let last = { (s: Tensor) -> Tensor in
            let out = Tensor.uninitialized([b, units])
            for i in 0..<b { (out.data + row(i) * units).update(from: s.data + steps * bu + i * units, count: units) }
            return out
        }
        var results = [outputs, last(seq.hs)]
        if kind == .lstm { results.append(last(seq.cs)) }
        return (seq, results)
    }

    /// The gradients of ``inputs`` from the upstream gradients of the results of ``forward()``.
    func backward(_ seq: RecurrentSequence, upstream ups: ArraySlice<Tensor>) -> [Tensor] {
        let (b, steps, f) = (x.shape[0], x.shape[1], x.shape[2])
        let units = seq.units, bu = b * units
        let packing = seq.packing
        let row = { (i: Int) -> Int in packing?.order[i] ?? i }
        // Batch-ordered rows into the sequence's order and back (the identity unpacked).
        let packed = { (t: Tensor) -> Tensor in packing?.reorder(t, width: units, toPacked: true) ?? t }
        let unpacked = { (t: Tensor) -> Tensor in packing?.reorder(t, width: units, toPacked: false) ?? t }
        let dOut = Tensor.uninitialized([steps, b, units])
        let first = ups.startIndex
        let up = ups[first].data, dOutData = dOut.data
        for t in 0..<steps {
            for i in 0..<b { Kernels.copy(up + (row(i) * steps + t) * units, to: dOutData + t * bu + i * units, count: units) }
        }
        let grads = seq.backward(outputs: dOut, lastState: packed(ups[first + 1]),
                                 lastCell: kind == .lstm ? packed(ups[first + 2]) : nil, biasShape: bias?.shape)
        let dx: Tensor
        let gx = grads.x.data
        if let packing {
            // Rows a step does not run have no gradient.
            dx = Tensor(shape: x.shape)
            let dxData = dx.data
            for t in 0..<steps {
                for i in 0..<packing.counts[t] {
                    Kernels.copy(gx + (packing.offsets[t] + i) * f, to: dxData + (packing.order[i] * steps + order(t)) * f, count: f)
                }
            }
        } else {
            dx = Tensor.uninitialized(x.shape)
            let dxData = dx.data
            for t in 0..<steps {
                for i in 0..<b { Kernels.copy(gx + (t * b + i) * f, to: dxData + (i * steps + order(t)) * f, count: f) }
            }
        }
        return [dx, grads.kernel, grads.recurrent] + (grads.bias.map { [$0] } ?? [])
            + [unpacked(grads.state), unpacked(grads.cell)].prefix(initialStates.count)
    }
}
