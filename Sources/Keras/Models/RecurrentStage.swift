/// The first layer of a `Sequential` sequence model that a ``StepPlan`` runs before its Dense
/// stack: a built-in recurrent layer (LSTM, GRU, SimpleRNN) that the general step runs as one
/// fused op (``Ops/recurrentSequence(_:)``), returning its last output only, not stateful,
/// without dropout: lstm_epoch's and gru_epoch's models.
struct RecurrentFront: PlanFront {
    let layer: RNN
    let cell: RecurrentCell
    let kernel: Variable, recurrentKernel: Variable, bias: Variable?
    let activation: ElementwiseActivation, recurrentActivation: ElementwiseActivation

    var layerCount: Int { 1 }

    /// The front of `layers`, or nil when they do not start with one (or it is not built).
    init?(_ layers: [Layer]) {
        guard layers.count > 1, let rnn = layers[0] as? RNN, rnn.built, !rnn.returnSequences, !rnn.returnState,
              !rnn.stateful, let cell = rnn.builtInCell, let kernel = cell.kernel, let recurrentKernel = cell.recurrentKernel,
              cell.useBias == (cell.bias != nil), let act = cell.activationFunction.elementwise,
              let recAct = cell.recurrentActivationFunction.elementwise else { return nil }
        layer = rnn
        self.cell = cell
        self.kernel = kernel
        self.recurrentKernel = recurrentKernel
        bias = cell.bias
        activation = act
        recurrentActivation = recAct
    }

    func matches() -> Bool {
        layer.builtInCell === cell && cell.kernel === kernel && cell.recurrentKernel === recurrentKernel && cell.bias === bias
    }

    /// Trainable, no regularizer, no dropout (which the fused op draws, or the step path runs).
    var isPlain: Bool {
        layer.trainable && cell.trainable && kernel.trainable && recurrentKernel.trainable && (bias?.trainable ?? true)
            && layer.weightRegularizers.isEmpty && cell.weightRegularizers.isEmpty && layer.activityRegularizer == nil
            && cell.activityRegularizer == nil && !cell.dropsInputs && !cell.dropsState && cell.pinnedMasks == nil
    }

    func stage(for x: Tensor) -> PlanFrontStage? { RecurrentStage(self, x: x) }
}

/// A ``RecurrentFront`` in a ``StepPlan`` for batches of one shape: one ``RecurrentSequence``
/// kept from step to step, run again on each batch (the time-major copy of the batch, the
/// states, gates and work buffers its own), and its backward through time on kept
/// ``RecurrentGradientBuffers`` from the gradient of the last state, with zeros for the
/// sequence's other outputs as the tape hands them, into the plan's gradient buffers: the
/// code of the general op, which makes these buffers per call, so the step's values are the
/// general step's bit for bit. The input's gradient is not computed (nothing needs it).
final class RecurrentStage: PlanFrontStage {
    let front: RecurrentFront
    let width: Int
    let kernelGradient: Tensor, recurrentGradient: Tensor, biasGradient: Tensor?
    private let sequence: RecurrentSequence
    private let buffers: RecurrentGradientBuffers
    private let steps: Int, batch: Int, features: Int
    /// Zeros: the upstream gradients of the outputs of every step and of the last cell.
    private let zeros: Tensor
    /// The last state: the layer's output, `(batch, units)` at the end of the sequence's states.
    let output: UnsafePointer<Float>

    /// The stage for batches shaped as `x`, or nil when the weights do not fit them.
    init?(_ front: RecurrentFront, x: Tensor) {
        let kernel = front.kernel.storedValue, recurrent = front.recurrentKernel.storedValue
        let kind = front.cell.kind
        guard x.rank == 3, x.shape[0] > 0, x.shape[1] > 0, recurrent.rank == 2 else { return nil }
        let (b, steps, f) = (x.shape[0], x.shape[1], x.shape[2])
        let units = recurrent.shape[0], g = kind.gates * units
        guard units > 0, kernel.shape == [f, g], recurrent.shape == [units, g] else { return nil }
        if let bias = front.bias?.storedValue, bias.count != g, !(kind == .gru(resetAfter: true) && bias.shape == [2, g]) {
            return nil
        }
        self.front = front
        width = units
        self.steps = steps; batch = b; features = f
        sequence = RecurrentSequence(kind: kind, activation: front.activation, recurrentActivation: front.recurrentActivation,
                                     x: Tensor.uninitialized([steps, b, f]), mask: nil, kernel: kernel, recurrent: recurrent,
                                     bias: front.bias?.storedValue)
        buffers = RecurrentGradientBuffers(sequence)
        zeros = Tensor(shape: [steps * b * units])
        kernelGradient = Tensor.uninitialized(kernel.shape)
        recurrentGradient = Tensor.uninitialized(recurrent.shape)
        biasGradient = front.bias.map { Tensor.uninitialized($0.shape) }
        output = UnsafePointer(sequence.hs.data + steps * b * units)
    }

    /// Test steps run the same forward (the fused op has no training-only part here).
    var tests: Bool { true }

    var weightCount: Int { biasGradient == nil ? 2 : 3 }

    func gradient(of v: Variable) -> Tensor? {
        if v === front.kernel { return kernelGradient }
        if v === front.recurrentKernel { return recurrentGradient }
        if let bias = front.bias, v === bias { return biasGradient }
        return nil
    }

    func forward(_ x: UnsafePointer<Float>, training: Bool) -> UnsafePointer<Float> {
        sequence.bind(kernel: front.kernel.storedValue, recurrent: front.recurrentKernel.storedValue,
                      bias: front.bias?.storedValue)
        RecurrentSequence.timeMajor(x, into: sequence.x.data, batch: batch, steps: steps, features: features,
                                    goBackwards: front.layer.goBackwards)
        sequence.start()
        sequence.forward()
        return output
    }

    func backward(_ x: UnsafePointer<Float>, upstream: UnsafePointer<Float>) {
        let z = UnsafePointer(zeros.data)
        sequence.backward(outputs: z, lastState: upstream, lastCell: front.cell.kind == .lstm ? z : nil, buffers,
                          kernel: kernelGradient.data, recurrent: recurrentGradient.data, bias: biasGradient?.data, inputs: nil)
    }
}
