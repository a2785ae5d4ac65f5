/// A function of arrays as an op graph, outside any layer: its arguments are given values (the
/// point where it is evaluated and differentiated), the function is traced from the same ops as a
/// layer's call, and ``vjp(outputs:cotangents:)`` / ``jvp(outputs:tangents:)`` give its outputs
/// with their derivatives from the library's reverse-mode autodiff. Keras: `ops.jvp`
/// (`jax.jvp`) and `jax.vjp`. The arguments are the graph's weights internally.
extension OpGraph {
    /// The argument values of a function's graph, read by its weight nodes.
    final class ArgumentValues {
        var values: [Tensor] = []
    }

    /// An empty graph of a function: add arguments with ``addArgument(_:)``, then ops.
    public static func function() -> OpGraph {
        let box = ArgumentValues()
        let graph = OpGraph(inputShape: []) { i in
            guard box.values.indices.contains(i) else {
                throw KerasError.invalidArgument("op graph: the function has no argument \(i) (it has \(box.values.count))")
            }
            return box.values[i]
        }
        graph.arguments = box
        return graph
    }

    /// True for a function's graph (``function()``), false for a layer's.
    public var isFunction: Bool { arguments != nil }

    /// The shape of each argument, in order (empty for a layer's graph).
    public var argumentShapes: [[Int]] { arguments?.values.map(\.shape) ?? [] }

    /// A new argument with its value, as a node (all its dimensions known).
    public func addArgument(_ value: Tensor) throws -> Int {
        guard let box = arguments else {
            throw KerasError.invalidState("op graph: a layer's graph has an input and weights, not arguments")
        }
        box.values.append(value)
        return try addWeight(box.values.count - 1)
    }

    /// The value of node `output` with the arguments given new values of their traced shapes:
    /// the traced function called again (a graph-defined regularizer's penalty at each step),
    /// its ops recorded on the active tape like any others, so that gradients flow to `arguments`.
    public func call(_ arguments: [Tensor], output: Int) throws -> Tensor {
        guard let box = self.arguments else {
            throw KerasError.invalidState("op graph: only a function's graph can be called with arguments")
        }
        guard arguments.map(\.shape) == box.values.map(\.shape) else {
            throw KerasError.shapeMismatch("op graph: the function was traced for arguments of shapes \(box.values.map { formatShape($0.shape) }), got \(arguments.map { formatShape($0.shape) })")
        }
        guard (0..<count).contains(output) else {
            throw KerasError.invalidArgument("op graph: output \(output) is not a node of the graph (it has \(count) nodes)")
        }
        let values = try evaluate(plan(for: [output]), xs: [], states: [], weights: arguments, training: false)
        guard let value = values[output] else { throw KerasError.invalidState("op graph: output \(output) has no value") }
        return value
    }

    /// The values of `outputs`, recorded on `tape` with every argument watched (the leaves).
    private func record(_ outputs: [Int], on tape: GradientTape) throws -> (outputs: [Tensor], leaves: [Tensor]) {
        guard let box = arguments else {
            throw KerasError.invalidState("op graph: derivatives of a layer's graph come from training; vjp and jvp need a function's graph")
        }
        guard !outputs.isEmpty else { throw KerasError.invalidArgument("op graph: no output asked for") }
        for o in outputs where !(0..<count).contains(o) {
            throw KerasError.invalidArgument("op graph: output \(o) is not a node of the graph (it has \(count) nodes)")
        }
        let leaves = box.values.map { tape.watch($0) }
        let ys = try tape.record { () throws -> [Tensor] in
            let values = try evaluate(plan(for: outputs), xs: [], states: [], weights: leaves, training: false)
            return try outputs.map { o in
                guard let v = values[o] else { throw KerasError.invalidState("op graph: output \(o) has no value") }
                return v
            }
        }
        return (ys, leaves)
    }

    /// The vector-Jacobian product (`jax.vjp`): the values of `outputs` and the gradient of
    /// `Σ_k sum(outputs[k] * cotangents[k])` with respect to every argument, in order.
    public func vjp(outputs: [Int], cotangents: [Tensor]) throws -> (values: [Tensor], gradients: [Tensor]) {
        let tape = GradientTape()
        let (ys, leaves) = try record(outputs, on: tape)
        guard cotangents.count == ys.count else {
            throw KerasError.invalidArgument("op graph: \(cotangents.count) cotangents for \(ys.count) outputs")
        }
        for (k, (y, c)) in zip(ys, cotangents).enumerated() where y.shape != c.shape {
            throw KerasError.shapeMismatch("op graph: the cotangent of output \(k) has shape \(formatShape(c.shape)), the output \(formatShape(y.shape))")
        }
        let grads = try tape.gradient(of: ys, seeds: cotangents, with: leaves)
        return (ys.map(\.detached), grads)
    }

    /// The Jacobian-vector product (`jax.jvp`): the values of `outputs` and `J·t` for each, where
    /// `tangents` has one entry per argument (nil: zero). Exact, from reverse mode: one backward
    /// pass per output element (row of the Jacobian), each dotted with the tangents, so the cost
    /// is the output size times a backward pass.
    public func jvp(outputs: [Int], tangents: [Tensor?]) throws -> (values: [Tensor], tangents: [Tensor]) {
        let tape = GradientTape()
        let (ys, leaves) = try record(outputs, on: tape)
        guard tangents.count == leaves.count else {
            throw KerasError.invalidArgument("op graph: \(tangents.count) tangents for \(leaves.count) arguments")
        }
        for (j, (x, t)) in zip(leaves, tangents).enumerated() {
            if let t, t.shape != x.shape {
                throw KerasError.shapeMismatch("op graph: the tangent of argument \(j) has shape \(formatShape(t.shape)), the argument \(formatShape(x.shape))")
            }
        }
        let active = tangents.indices.filter { tangents[$0] != nil }
        let directions = tangents.map { $0?.scalars }
        var results: [Tensor] = []
        for y in ys {
            var out = [Float](repeating: 0, count: y.count)
            if !active.isEmpty && tape.tracks(y) {
                var seed = [Float](repeating: 0, count: y.count)
                for i in 0..<y.count {
                    seed[i] = 1
                    let grads = try tape.gradient(of: [y], seeds: [try Tensor(shape: y.shape, scalars: seed)], with: leaves)
                    seed[i] = 0
                    var sum: Double = 0
                    for j in active {
                        guard let t = directions[j] else { continue }
                        let g = grads[j].data
                        for e in 0..<t.count { sum += Double(g[e]) * Double(t[e]) }
                    }
                    out[i] = Float(sum)
                }
            }
            results.append(try Tensor(shape: y.shape, scalars: out))
        }
        return (ys.map(\.detached), results)
    }
}
