import Foundation

/// A regularizer whose penalty is an op graph traced by a plugin: Keras's `Regularizer` subclass
/// written in Python (or C) whose `__call__` composes `keras.ops`. The plugin traces the penalty
/// once per shape of tensor it is given (a kernel's, an activity's batch), as `jax.jit` retraces
/// per shape; each step then runs the graph natively, its gradient from the library's autodiff.
/// Saved as Keras writes a custom object: `{"module", "class_name", "config", "registered_name"}`.
public final class TracedRegularizer: Regularizer, @unchecked Sendable {
    /// Traces the penalty of the function graph `graph` whose one argument (node `argument`) is
    /// the regularized tensor, and returns the node of the scalar penalty.
    public typealias Trace = (_ graph: OpGraph, _ argument: Int) throws -> Int

    public let className: String
    public let config: JSON
    /// Keras's `module` of the class (nil, written null, for a class of `__main__`).
    public let module: String?
    /// The name the class is registered under (Keras's `registered_name`).
    public let registeredName: String
    private let trace: Trace
    private let lock = NSLock()
    /// The traced penalty per input shape; bounded so that a stream of new shapes cannot grow it.
    private var graphs: [[Int]: (graph: OpGraph, penalty: Int)] = [:]
    private static let maxShapes = 16

    public init(className: String, module: String?, registeredName: String, config: JSON, trace: @escaping Trace) {
        self.className = className
        self.module = module
        self.registeredName = registeredName
        self.config = config
        self.trace = trace
    }

    public var serialized: JSON {
        // A lambda (Python's `lambda w: ...` as a regularizer) is written as Keras's
        // serialize_keras_object writes one: its class name and config alone.
        if className == "__lambda__", module == nil { return ["class_name": .string(className), "config": config] }
        return ["module": module.map { .string($0) } ?? .null, "class_name": .string(className), "config": config, "registered_name": .string(registeredName)]
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
        let argument = try graph.addArgument(x.detached.copy())
        let node = try trace(graph, argument)
        guard (0..<graph.count).contains(node) else {
            throw KerasError.invalidState("Regularizer '\(className)': the trace returned node \(node), not a node of its graph")
        }
        if graphs.count >= Self.maxShapes { graphs.removeAll() }
        graphs[x.shape] = (graph, node)
        return (graph, node)
    }
}
