/// The class of an object a plugin traces into an op graph (Keras: a subclass of `Regularizer`
/// or `LearningRateSchedule` written in Python, or C, whose `__call__` composes `keras.ops`):
/// what ``TracedRegularizer`` and ``TracedSchedule`` are named and saved under, as Keras writes a
/// custom object: `{"module", "class_name", "config", "registered_name"}`.
public struct TracedClass: Sendable {
    /// Traces the object's function in the function graph `graph` whose one argument is node
    /// `argument` (a regularizer's tensor, a schedule's step), and returns the node of its value.
    public typealias Trace = (_ graph: OpGraph, _ argument: Int) throws -> Int

    /// Keras's `class_name`.
    public let className: String
    /// Keras's `module` of the class (nil, written null, for a class of `__main__`).
    public let module: String?
    /// The name the class is registered under (Keras's `registered_name`).
    public let registeredName: String

    public init(className: String, module: String?, registeredName: String) {
        self.className = className
        self.module = module
        self.registeredName = registeredName
    }

    /// An object of this class with `config`, as Keras's `serialize_keras_object` writes it.
    public func serialized(_ config: JSON) -> JSON {
        ["module": module.map { .string($0) } ?? .null, "class_name": .string(className), "config": config,
         "registered_name": .string(registeredName)]
    }

    /// The node `trace` returns in `graph`, checked to be one of its nodes; `what` names the
    /// object in the error (`Regularizer 'Orthogonal'`).
    static func node(of trace: Trace, in graph: OpGraph, argument: Int, _ what: String) throws -> Int {
        let node = try trace(graph, argument)
        guard (0..<graph.count).contains(node) else {
            throw KerasError.invalidState("\(what): the trace returned node \(node), not a node of its graph")
        }
        return node
    }
}
