import Foundation

/// A regularizer whose penalty is an op graph traced by a plugin: Keras's `Regularizer` subclass
/// written in Python (or C) whose `__call__` composes `keras.ops`. The plugin traces the penalty
/// once per shape of tensor it is given (a kernel's, an activity's batch), as `jax.jit` retraces
/// per shape; each step then runs the graph natively, its gradient from the library's autodiff.
/// Saved as Keras writes a custom object: `{"module", "class_name", "config", "registered_name"}`.
public final class TracedRegularizer: Regularizer, @unchecked Sendable {
    /// The class it was traced from, saved under.
    public let tracedClass: TracedClass
    public let config: JSON
    /// Traces the penalty of a tensor (`trace`'s argument), returning the node of the scalar.
    private let trace: TracedClass.Trace
    private let lock = NSLock()
    /// The traced penalty per input shape; bounded so that a stream of new shapes cannot grow it.
    private var graphs: [[Int]: (graph: OpGraph, penalty: Int)] = [:]
    private static let maxShapes = 16

    public init(_ tracedClass: TracedClass, config: JSON, trace: @escaping TracedClass.Trace) {
        self.tracedClass = tracedClass
        self.config = config
        self.trace = trace
    }

    public var className: String { tracedClass.className }

    public var serialized: JSON {
        // A lambda (Python's `lambda w: ...` as a regularizer) is written as Keras's
        // serialize_keras_object writes one: its class name and config alone.
        if className == "__lambda__", tracedClass.module == nil { return ["class_name": .string(className), "config": config] }
        return tracedClass.serialized(config)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        lock.lock()
        defer { lock.unlock() }
        let (graph, node) = try traced(for: x)
        let penalty = try graph.call([x], output: node)
        guard penalty.count == 1 else {
            throw KerasError.shapeMismatch("Regularizer '\(className)' must return a scalar penalty, got shape \(formatShape(penalty.shape)) for an input of shape \(formatShape(x.shape))")
        }
        return penalty.rank == 0 ? penalty : try Ops.reshape(penalty, [])
    }

    /// The graph of the penalty for `x`'s shape, traced at `x`'s value on first use.
    private func traced(for x: Tensor) throws -> (graph: OpGraph, penalty: Int) {
        if let known = graphs[x.shape] { return known }
        let graph = OpGraph.function()
        let node = try TracedClass.node(of: trace, in: graph, argument: try graph.addArgument(x.detached.copy()),
                                        "Regularizer '\(className)'")
        if graphs.count >= Self.maxShapes { graphs.removeAll() }
        graphs[x.shape] = (graph, node)
        return (graph, node)
    }
}
