/// Records operations so that gradients can be computed in reverse (reverse-mode autodiff).
///
/// While a tape is recording on the current thread, every operation on a tensor that depends
/// on a watched ``Variable`` (or on a watched tensor) adds a node with its vector-Jacobian
/// product. ``gradient(of:with:)`` walks the nodes backwards. Keras: `tf.GradientTape` /
/// `jax.grad`.
///
/// ```swift
/// let tape = GradientTape()
/// let loss = try tape.record { try Ops.sum(Ops.square(w.value)) }
/// let grads = try tape.gradient(of: loss, with: [w])
/// ```
public final class GradientTape {
    struct Node {
        /// Upstream gradient in, gradients accumulated into the inputs' nodes; nil for leaves.
        var backward: ((Tensor, GradientTape) throws -> Void)?
    }

    let id: UInt64
    @exclusivity(unchecked) var nodes: [Node] = []
    @exclusivity(unchecked) private var grads: [Tensor?] = []
    @exclusivity(unchecked) private var watchedVariables: [ObjectIdentifier: Int32] = [:]

    private static let counter = SeedBox()
    private final class Stack { @exclusivity(unchecked) var tapes: [GradientTape] = [] }
    private static let stack = ThreadLocal { Stack() }

    public init() {
        id = GradientTape.counter.next() | 1
        nodes.reserveCapacity(64)
    }

    /// The tape recording on this thread, if any.
    static var active: GradientTape? { stack.value.tapes.last }

    /// Runs `body` with this tape recording.
    public func record<T>(_ body: () throws -> T) rethrows -> T {
        let s = GradientTape.stack.value
        s.tapes.append(self)
        defer { s.tapes.removeLast() }
        return try body()
    }

    /// Runs `body` with no tape recording (inference, metric updates).
    public static func withoutRecording<T>(_ body: () throws -> T) rethrows -> T {
        let s = stack.value
        let saved = s.tapes
        s.tapes = []
        defer { s.tapes = saved }
        return try body()
    }

    /// Forgets every node, keeping capacity, so that the next step reuses it.
    public func reset() {
        nodes.removeAll(keepingCapacity: true)
        grads.removeAll(keepingCapacity: true)
        watchedVariables.removeAll(keepingCapacity: true)
    }

    /// True when `t` was recorded on this tape.
    @inline(__always) func tracks(_ t: Tensor) -> Bool { t.tapeID == id && t.node >= 0 }

    /// Makes `t` a leaf whose gradient can be asked for.
    public func watch(_ t: Tensor) -> Tensor {
        if tracks(t) { return t }
        var out = t.detached
        out.tapeID = id
        out.node = Int32(nodes.count)
        nodes.append(Node(backward: nil))
        return out
    }

    /// The variable's value as a leaf of this tape, the same leaf on every read.
    func read(_ v: Variable) -> Tensor {
        let key = ObjectIdentifier(v)
        if let n = watchedVariables[key] {
            var out = v.storedValue.detached
            out.tapeID = id
            out.node = n
            return out
        }
        let out = watch(v.storedValue)
        watchedVariables[key] = out.node
        return out
    }

    /// Records an op producing `output`; `backward` receives the upstream gradient.
    func record(_ output: Tensor, _ backward: @escaping (Tensor, GradientTape) throws -> Void) -> Tensor {
        var out = output
        out.tapeID = id
        out.node = Int32(nodes.count)
        nodes.append(Node(backward: backward))
        return out
    }

    /// Adds `g` to the gradient of the node that produced `t` (no-op for untracked tensors).
    func accumulate(_ t: Tensor, _ g: Tensor) {
        guard tracks(t) else { return }
        accumulate(node: t.node, g)
    }

    /// Adds `g` to the gradient of node `node` of this tape.
    func accumulate(node: Int32, _ g: Tensor) {
        let i = Int(node)
        if let existing = grads[i] {
            grads[i] = Kernels.addSameShape(existing, g)
        } else {
            grads[i] = g
        }
    }

    /// Gradients of the scalar `target` with respect to `sources` (zeros where unconnected).
    public func gradient(of target: Tensor, with sources: [Tensor]) throws -> [Tensor] {
        try backpropagate(from: target)
        return sources.map { s in
            tracks(s) ? (grads[Int(s.node)] ?? Tensor(shape: s.shape)) : Tensor(shape: s.shape)
        }
    }

    /// Gradients of the scalar `target` with respect to variables read while recording.
    public func gradient(of target: Tensor, with variables: [Variable]) throws -> [Tensor] {
        try backpropagate(from: target)
        return variables.map { v in
            if let n = watchedVariables[ObjectIdentifier(v)], let g = grads[Int(n)] { return g }
            return Tensor(shape: v.shape)
        }
    }

    /// A vector-Jacobian product (`jax.vjp`): the gradients with respect to `sources` of
    /// `Σ_k sum(targets[k] * seeds[k])`, in one reverse pass seeded with each target's cotangent
    /// (`seeds[k]` has `targets[k]`'s shape). Targets this tape did not record add nothing, so a
    /// source no target depends on gets zeros. The tape's nodes are kept: it can be walked again
    /// with other seeds (one pass per row of a Jacobian).
    public func gradient(of targets: [Tensor], seeds: [Tensor], with sources: [Tensor]) throws -> [Tensor] {
        guard targets.count == seeds.count else {
            throw KerasError.invalidArgument("GradientTape.gradient: \(seeds.count) seeds for \(targets.count) targets")
        }
        for (k, (t, s)) in zip(targets, seeds).enumerated() where t.shape != s.shape {
            throw KerasError.shapeMismatch("GradientTape.gradient: the seed of target \(k) has shape \(formatShape(s.shape)), the target \(formatShape(t.shape))")
        }
        let recorded = zip(targets, seeds).filter { tracks($0.0) }
        guard !recorded.isEmpty else { return sources.map { Tensor(shape: $0.shape) } }
        clearGradients()
        for (t, s) in recorded { accumulate(node: t.node, s) }
        try walkBack(from: recorded.map { Int($0.0.node) }.max() ?? 0)
        return sources.map { s in
            tracks(s) ? (grads[Int(s.node)] ?? Tensor(shape: s.shape)) : Tensor(shape: s.shape)
        }
    }

    private func clearGradients() {
        // Refilled in place: the capacity from the last step is kept, so a warm step allocates no array.
        grads.removeAll(keepingCapacity: true)
        for _ in 0..<nodes.count { grads.append(nil) }
    }

    private func backpropagate(from target: Tensor) throws {
        guard tracks(target) else {
            throw KerasError.invalidState("GradientTape.gradient: the target was not computed while this tape was recording, or does not depend on anything watched")
        }
        clearGradients()
        grads[Int(target.node)] = Tensor(shape: target.shape, repeating: 1)
        try walkBack(from: Int(target.node))
    }

    /// Runs the backward of every node from `start` down, each with its accumulated gradient.
    private func walkBack(from start: Int) throws {
        var i = start
        while i >= 0 {
            if let g = grads[i], let back = nodes[i].backward {
                grads[i] = nil
                try back(g, self)
            }
            i -= 1
        }
    }
}
