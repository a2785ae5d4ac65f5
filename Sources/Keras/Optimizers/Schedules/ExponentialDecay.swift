import Foundation

/// `initial * decay_rate ^ (step / decay_steps)`, the quotient floored when `staircase`.
/// Keras: `ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)`.
public final class ExponentialDecay: RateDecaySchedule, @unchecked Sendable {
    public override func value(at step: Double) -> Double {
        Double(Float(initialLearningRate) * powf(Float(decayRate), progress32(at: step)))
    }
}
