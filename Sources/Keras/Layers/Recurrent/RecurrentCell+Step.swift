/// What the steps of one call of a cell over a sequence share: the gate blocks of its weights
/// and its dropout masks (one per sequence, as Keras caches them for the steps of a call).
struct RecurrentStepContext {
    /// `G` blocks `(features, units)` and `(units, units)` of the kernels.
    let kernels: [Tensor], recurrents: [Tensor]
    /// `G` blocks `(units)` of the input bias and, for GRU with reset_after, the recurrent bias.
    let inputBiases: [Tensor]?, recurrentBiases: [Tensor]?
    /// `G` masks `(batch, features)` of the inputs and `(batch, units)` of the state (the same
    /// tensor for every gate where Keras shares one), or nil without dropout.
    let inputMasks: [Tensor]?, recurrentMasks: [Tensor]?
}

extension RecurrentCell {
    /// The masks of one call in training: Keras shares one input mask among the gates unless
    /// recurrent dropout is on (its `implementation=1`: one mask per gate for both).
    func stepMasks(batch: Int, features: Int, training: Bool) -> (inputs: [Tensor]?, recurrent: [Tensor]?) {
        if let pinnedMasks { return pinnedMasks }
        guard training else { return (nil, nil) }
        let g = kind.gates, perGate = dropsState ? g : 1
        let spread = { (masks: [Tensor]) in perGate == g ? masks : Array(repeating: masks[0], count: g) }
        return (dropsInputs ? spread(dropoutMasks(rate: options.dropout, shape: [batch, features], count: perGate)) : nil,
                dropsState ? spread(dropoutMasks(rate: options.recurrentDropout, shape: [batch, units], count: perGate)) : nil)
    }

    /// The weights split by gate and the masks of one call, recorded once for all its steps.
    func stepContext(batch: Int, features: Int, training: Bool) throws -> RecurrentStepContext {
        guard let kernel, let recurrentKernel else {
            throw KerasError.invalidState("\(className) '\(name)' is not built")
        }
        let g = kind.gates
        var inputBiases: [Tensor]?, recurrentBiases: [Tensor]?
        if let bias = bias?.value {
            if bias.rank == 2 {
                let rows = try Ops.split(bias, 2, axis: 0)
                inputBiases = try Ops.split(Ops.reshape(rows[0], [g * units]), g)
                recurrentBiases = try Ops.split(Ops.reshape(rows[1], [g * units]), g)
            } else {
                inputBiases = try Ops.split(bias, g)
            }
        }
        let masks = stepMasks(batch: batch, features: features, training: training)
        return RecurrentStepContext(kernels: try Ops.split(kernel.value, g, axis: 1),
                                    recurrents: try Ops.split(recurrentKernel.value, g, axis: 1),
                                    inputBiases: inputBiases, recurrentBiases: recurrentBiases,
                                    inputMasks: masks.inputs, recurrentMasks: masks.recurrent)
    }

    /// One step on the tape: inputs `(batch, features)` and the states (`[h]`, `[h, c]` for LSTM,
    /// each `(batch, units)`) to the output and the new states. Keras: `cell(inputs, states, training)`.
    public func step(_ x: Tensor, states: [Tensor], training: Bool = false) throws -> (output: Tensor, states: [Tensor]) {
        guard x.rank == 2 else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expects inputs of rank 2 (batch, features), got shape \(x.shape)")
        }
        try buildIfNeeded([x.shape[0], x.shape[1]])
        return try step(x, states: states, context: stepContext(batch: x.shape[0], features: x.shape[1], training: training))
    }

    func step(_ x: Tensor, states: [Tensor], context c: RecurrentStepContext) throws -> (output: Tensor, states: [Tensor]) {
        guard states.count == stateCount, states.allSatisfy({ $0.shape == [x.shape[0], units] }) else {
            throw KerasError.shapeMismatch("\(className) '\(name)': states must be \(stateCount) tensor(s) of shape [\(x.shape[0]), \(units)], got \(states.map(\.shape))")
        }
        let h = states[0]
        func dropped(_ v: Tensor, _ masks: [Tensor]?, _ g: Int) throws -> Tensor {
            try masks.map { try Ops.multiply(v, $0[g]) } ?? v
        }
        func withBias(_ z: Tensor, _ biases: [Tensor]?, _ g: Int) throws -> Tensor {
            try biases.map { try Ops.add(z, $0[g]) } ?? z
        }
        func inputPart(_ g: Int) throws -> Tensor {
            try withBias(Ops.matmul(dropped(x, c.inputMasks, g), c.kernels[g]), c.inputBiases, g)
        }
        func recurrentPart(_ g: Int) throws -> Tensor {
            try withBias(Ops.matmul(dropped(h, c.recurrentMasks, g), c.recurrents[g]), c.recurrentBiases, g)
        }
        func gate(_ g: Int) throws -> Tensor { try Ops.add(inputPart(g), recurrentPart(g)) }
        let act = activationFunction, rec = recurrentActivationFunction
        switch kind {
        case .simple:
            let out = try act(gate(0))
            return (out, [out])
        case .lstm:
            let i = try rec(gate(0)), f = try rec(gate(1)), candidate = try act(gate(2)), o = try rec(gate(3))
            let cell = try Ops.add(Ops.multiply(f, states[1]), Ops.multiply(i, candidate))
            let out = try Ops.multiply(o, act(cell))
            return (out, [out, cell])
        case .gru(let resetAfter):
            let z = try rec(gate(0)), r = try rec(gate(1))
            let recurrentH = resetAfter ? try Ops.multiply(r, recurrentPart(2))
                : try Ops.matmul(Ops.multiply(r, dropped(h, c.recurrentMasks, 2)), c.recurrents[2])
            let candidate = try act(Ops.add(inputPart(2), recurrentH))
            let out = try Ops.add(Ops.multiply(z, h), Ops.multiply(Ops.affine(z, scale: -1, offset: 1), candidate))
            return (out, [out])
        }
    }
}
