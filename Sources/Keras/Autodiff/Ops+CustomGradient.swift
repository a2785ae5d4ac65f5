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
        guard let tape = recording(input) else { return output }
        return tape.record(output.detached) { g, t in
            let grad = try vjp(g)
            guard grad.shape == input.shape else {
                throw KerasError.shapeMismatch("customGradient: the gradient has shape \(grad.shape), the input \(input.shape)")
            }
            t.accumulate(input, grad)
        }
    }
}
