import Foundation

/// A learning rate schedule whose rate is an op graph of the step traced by a plugin: Keras's
/// `LearningRateSchedule` subclass written in Python (or C) whose `__call__(step)` composes
/// `keras.ops` (the Transformer tutorials' warm-up schedule). The plugin traces it once, when the
/// schedule is made (at compile, or when a file is loaded), as `jax.jit` traces Keras's train step
/// with the step count as a tensor; every step then runs the graph natively at `iterations`.
/// Saved as Keras writes a custom object: `{"module", "class_name", "config", "registered_name"}`.
public final class TracedSchedule: LearningRateSchedule, @unchecked Sendable {
    /// The class it was traced from, saved under.
    public let tracedClass: TracedClass
    private let traceConfig: JSON
    private let graph: OpGraph
    private let rate: Int
    private let lock = NSLock()

    /// Traces the schedule (`trace`'s argument is the step count, a float32 scalar; it returns
    /// the node of the rate) and checks that it gives one finite-or-not number at step 0: a trace
    /// that fails, or a rate that is not a scalar, throws here (naming the class), not at a step.
    public init(_ tracedClass: TracedClass, config: JSON, trace: TracedClass.Trace) throws {
        let className = tracedClass.className
        self.tracedClass = tracedClass
        traceConfig = config
        graph = OpGraph.function()
        rate = try TracedClass.node(of: trace, in: graph, argument: try graph.addArgument(Tensor(0)),
                                    "Learning rate schedule '\(className)'")
        let first = try graph.call([Tensor(0)], output: rate)
        guard first.count == 1 else {
            throw KerasError.shapeMismatch("Learning rate schedule '\(className)': __call__(step) must return a scalar learning rate, got shape \(formatShape(first.shape))")
        }
        super.init(name: className)
    }

    public override var className: String { tracedClass.className }
    public override var config: JSON { traceConfig }
    public override var serialized: JSON { tracedClass.serialized(traceConfig) }

    /// The traced rate at `step` (float32, as Keras computes it). The graph was checked at step 0
    /// and its shapes do not depend on the step, so evaluating it again does not fail; were it to,
    /// the rate would be NaN rather than a trap.
    public override func value(at step: Double) -> Double {
        lock.lock()
        defer { lock.unlock() }
        guard let value = try? graph.call([Tensor(Float(step))], output: rate), value.count == 1 else { return .nan }
        return Double(value.data[0])
    }
}
