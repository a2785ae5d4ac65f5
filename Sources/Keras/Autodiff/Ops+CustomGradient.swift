extension Tensor {
    /// True when the active tape of this thread recorded this tensor (a gradient can flow to it).
    public var isRecorded: Bool { GradientTape.active?.tracks(self) ?? false }
}

extension Ops {
    /// Records `output`, computed outside the tape from `input`, with a vector-Jacobian product
    /// given by `vjp` (upstream gradient in, gradient of `input` out). For functions whose
    /// forward is opaque to the tape: C and Python plugin losses and activations.
    /// Keras / TensorFlow: `tf.custom_gradient`.
    public static func customGradient(_ output: Tensor, input: Tensor, _ vjp: @escaping (Tensor) throws -> Tensor) throws -> Tensor {
        try customGradient([output], inputs: [input]) { [try vjp($0[0])] }[0]
    }

    /// Records `outputs`, computed outside the tape from `inputs`, as one op whose
    /// vector-Jacobian product is `vjp`: the upstream gradient of every output in (zeros for an
    /// output the target does not depend on), the gradient of every input out, in order. Inputs
    /// the tape does not track get no gradient. Plugin layers record their call this way.
    public static func customGradient(_ outputs: [Tensor], inputs: [Tensor],
                                      _ vjp: @escaping ([Tensor]) throws -> [Tensor]) throws -> [Tensor] {
        guard let tape = GradientTape.active, inputs.contains(where: tape.tracks) else { return outputs }
        let accumulate = { (t: GradientTape, upstream: [Tensor]) throws in
            let grads = try vjp(upstream)
            guard grads.count == inputs.count else {
                throw KerasError.shapeMismatch("customGradient: \(grads.count) gradients returned for \(inputs.count) inputs")
            }
            for (i, (x, g)) in zip(inputs, grads).enumerated() {
                guard g.shape == x.shape else {
                    throw KerasError.shapeMismatch("customGradient: the gradient of input \(i) has shape \(g.shape), the input \(x.shape)")
                }
                t.accumulate(x, g)
            }
        }
        if outputs.count == 1 {
            return [tape.record(outputs[0].detached) { g, t in try accumulate(t, [g]) }]
        }
        // One joint node runs the product once every output's node (recorded after it, so
        // walked before it) has left its upstream gradient; each output's node triggers it.
        let upstream = UpstreamBox(outputs.count)
        let trigger = Tensor(shape: [1])
        let joint = tape.record(trigger) { _, t in
            defer { upstream.grads = upstream.grads.map { _ in nil } }
            try accumulate(t, zip(outputs, upstream.grads).map { o, g in g ?? Tensor(shape: o.shape) })
        }
        return outputs.enumerated().map { k, o in
            tape.record(o.detached) { g, t in
                upstream.grads[k] = g
                t.accumulate(joint, trigger)
            }
        }
    }
}

/// The upstream gradients of a multi-output custom op, filled as the tape walks back.
private final class UpstreamBox {
    var grads: [Tensor?]
    init(_ n: Int) { grads = Array(repeating: nil, count: n) }
}
