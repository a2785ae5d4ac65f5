/// `initial / (1 + decay_rate * step / decay_steps)`, the quotient floored when `staircase`.
/// Keras: `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)`.
/// Keras 2's optimizer argument `decay` is this schedule with `decay_steps = 1`.
public final class InverseTimeDecay: RateDecaySchedule, @unchecked Sendable {
    public override func value(at step: Double) -> Double {
        Double(Float(initialLearningRate) / (1 + Float(decayRate) * progress32(at: step)))
    }
}
