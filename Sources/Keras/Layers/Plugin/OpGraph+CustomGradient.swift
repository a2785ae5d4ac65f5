/// Keras's `ops.custom_gradient` traced into an op graph: a node computed by ordinary ops whose
/// backward is not those ops' own but a subgraph the user traced from a stand-in for the
/// upstream gradient (the gradient function, written with ops).
extension OpGraph {
    /// Where a step of a custom gradient's backward reads an argument.
    private enum Ref {
        case upstream
        case captured(Int)
        case step(Int)
    }

    /// Makes node `output` (computed from `inputs` by traced ops) differentiate through the nodes
    /// `gradients` (one per input, each of its input's shape) instead of its own ops. The
    /// gradient nodes are traced from node `upstream`, which stands for the upstream gradient of
    /// `output` (same shape, e.g. `ones_like(output)`): in the backward pass the upstream
    /// gradient replaces its value, and every gradient node that depends on it is evaluated
    /// then; the other nodes they read are taken from the forward pass. Returns the node to use
    /// in place of `output`. Keras / JAX: `ops.custom_gradient`.
    public func addCustomGradient(inputs: [Int], output: Int, upstream: Int, gradients: [Int]) throws -> Int {
        try tracing("custom gradient")
        let ins = try inputs.map { try node($0, "custom gradient input") }
        let out = try node(output, "custom gradient output")
        let up = try node(upstream, "custom gradient upstream")
        let grads = try gradients.map { try node($0, "custom gradient") }
        guard !ins.isEmpty, ins.count == grads.count else {
            throw KerasError.invalidArgument("op graph: a custom gradient needs one gradient per input, got \(grads.count) for \(ins.count) input(s)")
        }
        guard shapes[up] == shapes[out] else {
            throw KerasError.shapeMismatch("op graph: the upstream stand-in of a custom gradient must have the output's shape \(formatShape(shapes[out].map { $0 < 0 ? nil : $0 })), got \(formatShape(shapes[up].map { $0 < 0 ? nil : $0 }))")
        }
        for (k, (x, g)) in zip(ins, grads).enumerated() where shapes[x] != shapes[g] {
            throw KerasError.shapeMismatch("op graph: the custom gradient of input \(k) has shape \(formatShape(shapes[g].map { $0 < 0 ? nil : $0 })), the input \(formatShape(shapes[x].map { $0 < 0 ? nil : $0 }))")
        }
        // The backward program: the nodes the gradients need that depend on the upstream stand-in,
        // in trace order; whatever else they read is captured from the forward pass.
        var onUpstream: Set<Int> = [up]
        var captured: [Int] = [], capturedIndex: [Int: Int] = [:], stepIndex: [Int: Int] = [:]
        var steps: [(op: OpGraphOp, args: [Ref])] = []
        func ref(_ j: Int) -> Ref {
            if j == up { return .upstream }
            if let s = stepIndex[j] { return .step(s) }
            if let c = capturedIndex[j] { return .captured(c) }
            capturedIndex[j] = captured.count
            captured.append(j)
            return .captured(captured.count - 1)
        }
        for i in plan(for: grads) where i != up {
            guard case .op(let op, let ids) = sources[i], ids.contains(where: { onUpstream.contains($0) }) else { continue }
            onUpstream.insert(i)
            let args = ids.map(ref)
            stepIndex[i] = steps.count
            steps.append((op, args))
        }
        let results = grads.map(ref)
        let n = ins.count
        let op = OpGraphOp(name: "custom_gradient") { xs, training in
            guard xs.count == 1 + n + captured.count else {
                throw KerasError.invalidState("op graph: a custom gradient node got \(xs.count) inputs, expected \(1 + n + captured.count)")
            }
            let y = xs[0], xsIn = Array(xs[1...n]), caps = Array(xs[(n + 1)...])
            return try Ops.customGradient([y], inputs: xsIn) { upstreamGrads in
                try GradientTape.withoutRecording {
                    var values: [Tensor] = []
                    values.reserveCapacity(steps.count)
                    func value(_ r: Ref) -> Tensor {
                        switch r {
                        case .upstream: return upstreamGrads[0]
                        case .captured(let c): return caps[c]
                        case .step(let s): return values[s]
                        }
                    }
                    for s in steps {
                        let v = try s.op.apply(s.args.map(value), training: training)
                        values.append(v)
                    }
                    return results.map { value($0).detached }
                }
            }[0]
        }
        return append(.op(op, [out] + ins + captured), probes[out])
    }
}
