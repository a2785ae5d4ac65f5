/// A layer's forward computation as a list of ops over its input and weights: traced once, while
/// the layer is built, from a `call` written with `keras.ops` (in Python through ctypes, or in C),
/// then run natively on every step, its gradients coming from the ops' vector-Jacobian products.
/// Shapes are fixed at trace time except the dimensions that follow the input's unknown ones (the
/// batch), as under `jax.jit`.
public final class OpGraph: @unchecked Sendable {
    enum Source {
        case input
        case weight(Int)
        case constant(Tensor)
        case op(OpGraphOp, [Int])
    }

    private(set) var sources: [Source] = []
    /// The node each mode returns: index 0 for inference, 1 for training.
    private var outputs: [Int?] = [nil, nil]
    /// The shape of each node at trace time, -1 where it follows an unknown input dimension.
    private(set) var shapes: [[Int]] = []
    /// Two evaluations of every node while tracing: unknown input dimensions as 2, then as 3.
    private var probes: [[Tensor]] = []
    /// The input shape the graph was traced for (nil: unknown, the batch).
    public let inputShape: [Int?]
    private var weightValue: ((Int) throws -> Tensor)?
    /// The nodes each mode's output needs, in order (set by ``finish()``).
    private var plans: [[Int]] = [[], []]

    /// Starts a trace for `inputShape`; `weightValue(i)` gives the layer's i-th weight.
    public init(inputShape: [Int?], weightValue: @escaping (Int) throws -> Tensor) {
        self.inputShape = inputShape
        self.weightValue = weightValue
    }

    /// True once an output was set.
    public var isComplete: Bool { outputs[0] != nil || outputs[1] != nil }

    /// Number of nodes.
    public var count: Int { sources.count }

    private func append(_ source: Source, _ p: [Tensor]) -> Int {
        let a = p[0].shape, b = p[1].shape
        shapes.append(a.count == b.count ? zip(a, b).map { $0 == $1 ? $0 : -1 } : a)
        sources.append(source)
        probes.append(p)
        return sources.count - 1
    }

    private func tracing(_ what: String) throws {
        guard weightValue != nil else { throw KerasError.invalidState("op graph: \(what) after the trace ended") }
    }

    /// The layer's input as a node.
    public func addInput() throws -> Int {
        try tracing("input")
        let p = [2, 3].map { n in Tensor(shape: inputShape.map { $0 ?? n }, repeating: 1) }
        return append(.input, p)
    }

    /// The layer's `index`-th weight (creation order) as a node.
    public func addWeight(_ index: Int) throws -> Int {
        try tracing("weight")
        guard let value = try weightValue?(index) else { throw KerasError.invalidState("op graph: no weight \(index)") }
        return append(.weight(index), [value, value])
    }

    /// A constant tensor as a node.
    public func addConstant(_ value: Tensor) throws -> Int {
        try tracing("constant")
        return append(.constant(value), [value, value])
    }

    private func node(_ i: Int, _ what: String) throws -> Int {
        guard i >= 0 && i < sources.count else {
            throw KerasError.invalidArgument("op graph: \(what) refers to node \(i), but the graph has \(sources.count) nodes")
        }
        return i
    }

    /// Appends op `name` (a `keras.ops` name) over `inputs` with its arguments in `attributes`.
    public func addOp(_ name: String, _ inputs: [Int], attributes: JSON) throws -> Int {
        try tracing("op '\(name)'")
        let ids = try inputs.map { try node($0, "op '\(name)'") }
        let op = try OpGraphOp(name, attributes, arity: ids.count)
        let p = try GradientTape.withoutRecording {
            try (0..<2).map { k in try op.apply(ids.map { probes[$0][k] }, training: false) }
        }
        return append(.op(op, ids), p)
    }

    /// The shape of node `i` at trace time (-1 where it follows the batch).
    public func shape(of i: Int) throws -> [Int] { shapes[try node(i, "shape")] }

    /// Makes node `i` the output for `training` (nil: both modes).
    public func setOutput(_ i: Int, training: Bool?) throws {
        let n = try node(i, "output")
        if training != true { outputs[0] = n }
        if training != false { outputs[1] = n }
    }

    /// Ends the trace: the probe values are freed and no node can be added.
    public func finish() {
        probes = []
        weightValue = nil
        plans = outputs.map { out in
            guard let out else { return [] }
            var needed = [Bool](repeating: false, count: out + 1)
            needed[out] = true
            for i in stride(from: out, through: 0, by: -1) where needed[i] {
                if case .op(_, let ids) = sources[i] { for j in ids { needed[j] = true } }
            }
            return needed.indices.filter { needed[$0] }
        }
    }

    /// The output shape for the traced input shape (nil where it follows the batch).
    public var outputShape: [Int?] {
        guard let o = outputs[0] ?? outputs[1] else { return inputShape }
        return shapes[o].map { $0 < 0 ? nil : $0 }
    }

    /// The output for input `x` given the layer's weights (tape leaves while training).
    public func run(_ x: Tensor, weights: [Tensor], training: Bool) throws -> Tensor {
        let mode = outputs[training ? 1 : 0] != nil ? (training ? 1 : 0) : (training ? 0 : 1)
        guard let out = outputs[mode], !plans[mode].isEmpty else {
            throw KerasError.invalidState("op graph: the trace set no output, or was not finished")
        }
        var values = [Tensor?](repeating: nil, count: out + 1)
        for i in plans[mode] {
            switch sources[i] {
            case .input: values[i] = x
            case .constant(let t): values[i] = t
            case .weight(let w):
                guard w < weights.count else {
                    throw KerasError.invalidState("op graph: weight \(w) is missing (the layer has \(weights.count))")
                }
                values[i] = weights[w]
            case .op(let op, let ids):
                var args: [Tensor] = []
                args.reserveCapacity(ids.count)
                for j in ids {
                    guard let v = values[j] else { throw KerasError.invalidState("op graph: node \(j) has no value") }
                    args.append(v)
                }
                values[i] = try op.apply(args, training: training)
            }
        }
        guard let y = values[out] else { throw KerasError.invalidState("op graph: the output has no value") }
        return y
    }
}

extension OpGraph {
    private final class Slot { var trace: OpGraph? }
    private static let slot = ThreadLocal { Slot() }

    /// The trace of the plugin layer being built on this thread, if any.
    public static var current: OpGraph? { slot.value.trace }

    /// Runs `body` with `trace` as ``current``.
    static func tracing<T>(_ trace: OpGraph, _ body: () throws -> T) rethrows -> T {
        let s = slot.value
        let saved = s.trace
        s.trace = trace
        defer { s.trace = saved }
        return try body()
    }
}
