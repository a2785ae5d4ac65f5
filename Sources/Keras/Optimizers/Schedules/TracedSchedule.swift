import Foundation

/// A learning rate schedule whose rate is an op graph of the step traced by a plugin: Keras's
/// `LearningRateSchedule` subclass written in Python (or C) whose `__call__(step)` composes
/// `keras.ops` (the Transformer tutorials' warm-up schedule). The plugin traces it once, when the
/// schedule is made (at compile, or when a file is loaded), as `jax.jit` traces Keras's train step
/// with the step count as a tensor; every step then runs the graph natively at `iterations`.
/// Saved as Keras writes a custom object: `{"module", "class_name", "config", "registered_name"}`.
public final class TracedSchedule: LearningRateSchedule, @unchecked Sendable {
    /// Traces the rate in the function graph `graph` whose one argument (node `step`) is the step
    /// count, a float32 scalar, and returns the node of the rate.
    public typealias Trace = (_ graph: OpGraph, _ step: Int) throws -> Int

    private let traceClassName: String
    private let traceConfig: JSON
    /// Keras's `module` of the class (nil, written null, for a class of `__main__`).
    public let module: String?
    /// The name the class is registered under (Keras's `registered_name`).
    public let registeredName: String
    private let graph: OpGraph
    private let rate: Int
    private let lock = NSLock()

    /// Traces the schedule and checks that it gives one finite-or-not number at step 0: a trace
    /// that fails, or a rate that is not a scalar, throws here (naming the class), not at a step.
    public init(className: String, module: String?, registeredName: String, config: JSON, trace: Trace) throws {
        traceClassName = className
        traceConfig = config
        self.module = module
        self.registeredName = registeredName
        graph = OpGraph.function()
        let step = try graph.addArgument(Tensor(0))
        rate = try trace(graph, step)
        guard (0..<graph.count).contains(rate) else {
            throw KerasError.invalidState("Learning rate schedule '\(className)': the trace returned node \(rate), not a node of its graph")
        }
        let first = try graph.call([Tensor(0)], output: rate)
        guard first.count == 1 else {
            throw KerasError.shapeMismatch("Learning rate schedule '\(className)': __call__(step) must return a scalar learning rate, got shape \(formatShape(first.shape))")
        }
        super.init(name: className)
    }

    public override var className: String { traceClassName }
    public override var config: JSON { traceConfig }

    public override var serialized: JSON {
        ["module": module.map { .string($0) } ?? .null, "class_name": .string(traceClassName), "config": traceConfig,
         "registered_name": .string(registeredName)]
    }

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
