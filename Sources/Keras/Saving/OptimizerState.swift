/// The optimizer's variables in Keras's order, for `optimizer/vars/<i>` in `.weights.h5` and
/// `optimizer_weights` in legacy `.h5`: `iteration`, `learning_rate` (unless it is a schedule),
/// the moving averages (`use_ema`), the gradient accumulators, the slots, then the optimizer's
/// own scalars (Nadam's running product).
///
/// Keras creates slots with `add_optimizer_variables(vars, [names])`, one call per group of
/// names, interleaving the names of a group per variable (Adam: m₀ v₀ m₁ v₁ …, then v̂₀ v̂₁ …
/// with amsgrad). `Optimizer.slotGroups` lists those groups; this library keeps each variable's
/// slots in one buffer (slot k at `k * count`), and this type maps one order to the other.
enum OptimizerState {
    /// One optimizer variable: its Keras-style name, shape, and how to read and restore it.
    struct Entry {
        let name: String
        let shape: [Int]
        /// Reads the value (an iteration count exactly, as an integer).
        let read: () throws -> OptimizerVariableValue
        /// Restores the value (already checked against `shape`; a count against being one).
        let write: (OptimizerVariableValue) throws -> Void
        /// Whether it is an iteration count (an integer variable in Keras).
        let isCount: Bool
        /// The variable it belongs to (a slot's, a moving average's, a gradient accumulator's);
        /// nil for the optimizer's own (iteration, learning rate, scalars).
        var owner: Variable? = nil

        /// An entry backed by a buffer of `shape`, belonging to `owner`.
        static func buffer(_ name: String, _ shape: [Int], _ p: UnsafeMutablePointer<Float>, owner: Variable) -> Entry {
            let count = shape.reduce(1, *)
            return Entry(name: name, shape: shape,
                         read: { .tensor(try Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(start: p, count: count)))) },
                         write: { v in
                             let t = v.tensor
                             p.update(from: t.data, count: Swift.min(t.count, count))
                         }, isCount: false, owner: owner)
        }

        /// A scalar read and restored through closures.
        static func scalar(_ name: String, get: @escaping () -> Float, set: @escaping (Float) throws -> Void) -> Entry {
            Entry(name: name, shape: [], read: { .tensor(Tensor(get())) },
                  write: { v in if let x = v.tensor.scalar { try set(x) } }, isCount: false)
        }

        /// An iteration count, kept exactly (checked to be a count before anything is restored).
        static func counter(_ name: String, get: @escaping () -> Int, set: @escaping (Int) -> Void) -> Entry {
            Entry(name: name, shape: [], read: { .count(get()) },
                  write: { v in if let n = v.count { set(n) } }, isCount: true)
        }
    }

    /// Every optimizer variable for `variables` (the model's trainable weights in Keras order), as
    /// Keras lists `optimizer.variables`: the iteration, the learning rate (unless scheduled),
    /// then what `build` makes (moving averages, gradient accumulators, slots, the optimizer's
    /// own scalars); wrappers (LossScaleOptimizer) append their inner optimizers' variables.
    static func entries(_ o: Optimizer, variables all: [Variable]) -> [Entry] {
        let variables = all.filter { $0.dtype == .float32 && !$0.overwriteWithGradient }   // (integer ones are not optimized; float8 scales are assigned)
        let prefix = o.name
        var out = [Entry.counter("\(prefix)/iteration", get: { o.ownIterations }, set: { o.ownIterations = $0 })]
        if o.schedule == nil {
            out.append(.scalar("\(prefix)/learning_rate", get: { o.ownLearningRate }, set: { lr in
                if lr.isFinite, lr >= 0 { o.ownLearningRate = lr }
            }))
        }
        if let lso = o as? LossScaleOptimizer {
            out.append(.counter("\(prefix)/step_counter", get: { lso.stepCounter }, set: { lso.stepCounter = $0 }))
            out.append(.scalar("\(prefix)/dynamic_scale", get: { lso.dynamicScale }, set: { v in
                if v.isFinite, v > 0 { lso.dynamicScale = v }
            }))
            return out + entries(lso.inner, variables: variables)
        }
        if let multi = o as? MultiOptimizer {
            // An inner optimizer given no variable is never built: Keras keeps only its iteration
            // and learning rate.
            for (inner, share) in multi.delegates(for: variables) {
                let all = entries(inner, variables: share)
                out += share.isEmpty ? Array(all.prefix(inner.schedule == nil ? 2 : 1)) : all
            }
            return out
        }
        let states = o.statesForSaving(variables)
        func varName(_ v: Variable) -> String { v.path.replacingSlashes() }
        for (v, s) in zip(variables, states) {
            if let avg = s.average { out.append(.buffer("\(prefix)/\(varName(v))_average", v.shape, avg.data, owner: v)) }
        }
        if o.gradientAccumulationSteps != nil {
            // Keras accumulates every trainable variable's gradients, a float8 layer's scales and
            // amax histories included (their running maximum), in the model's order.
            var state: [ObjectIdentifier: SlotState] = [:]
            for (v, s) in zip(variables, states) { state[ObjectIdentifier(v)] = s }
            for v in all where v.dtype == .float32 {
                let acc = v.overwriteWithGradient ? o.overwriteAccumulator(for: v) : state[ObjectIdentifier(v)]?.accumulator
                if let acc { out.append(.buffer("\(prefix)/\(varName(v))_gradient_accumulator", v.shape, acc.data, owner: v)) }
            }
        }
        let flat = o.slotGroups.flatMap { $0 }
        for group in o.slotGroups {
            for (v, s) in zip(variables, states) {
                for name in group {
                    let k = flat.firstIndex(of: name) ?? 0
                    guard o.hasSlot(k, for: v) else { continue }
                    let shape = o.slotShape(k, of: v.shape)
                    out.append(.buffer(o.slotVariablePath(name, of: v, shape: shape), shape, s.slots.data + k * s.count, owner: v))
                }
            }
        }
        return out + extraEntries(o)
    }

    private static func extraEntries(_ o: Optimizer) -> [Entry] {
        o.extraScalarNames.enumerated().map { i, name in
            .scalar("\(o.name)/\(name)", get: { i < o.extraScalars.count ? o.extraScalars[i] : 0 },
                    set: { v in
                        var all = o.extraScalars
                        if i < all.count { all[i] = v; o.extraScalars = all }
                    })
        }
    }

    /// Writes entry `e` as dataset `key` of `g` (an iteration count as an integer, as Keras).
    static func write(_ e: Entry, to g: HDF5Group, as key: String) throws {
        switch try e.read() {
        case .count(let n): try g.writeCount(key, n)
        case .tensor(let t): try g.writeTensor(key, t)
        }
    }

    /// Reads entry `e`'s value from dataset `key` of `g` (its shape checked; an iteration count
    /// exactly, from an integer dataset of any width).
    static func read(_ e: Entry, from g: HDF5Group, key: String) throws -> OptimizerVariableValue {
        if e.isCount { return .count(Int(try g.readInt64(key))) }
        return .tensor(try g.readTensor(key, expected: e.shape))
    }

    /// The optimizer's entries for `model` and their values as `read` (entry, position) takes
    /// them from a file: in build order (``Model/kerasTrainableWeightsInBuildOrder``, what this
    /// library writes), else, where that differs (a float8 layer quantized after building), in
    /// the model's own order (what Keras 3.15 writes for it); the first error when neither reads.
    static func readFromFile(_ o: Optimizer, model: Model,
                             _ read: (Entry, Int) throws -> OptimizerVariableValue) throws -> ([Entry], [OptimizerVariableValue]) {
        let built = model.kerasTrainableWeightsInBuildOrder, own = model.kerasTrainableWeights
        let first = entries(o, variables: built)
        do {
            return (first, try first.enumerated().map { try read($0.element, $0.offset) })
        } catch {
            guard !zip(built, own).allSatisfy({ $0 === $1 }) else { throw error }
            let other = entries(o, variables: own)
            guard let values = try? other.enumerated().map({ try read($0.element, $0.offset) }) else { throw error }
            return (other, values)
        }
    }

    /// The largest iteration count taken (2^53: counting on from it cannot overflow, and it is
    /// exact in a Double, what decay and schedules compute with).
    static let maxCount = 1 << 53

    /// Restores every entry from `values` (already checked against the entries' shapes); iteration
    /// counts are checked first, so that a bad file changes nothing.
    static func restore(_ o: Optimizer, entries: [Entry], from values: [OptimizerVariableValue]) throws {
        guard values.count == entries.count else {
            throw KerasError.io("Optimizer '\(o.name)': expected \(entries.count) variables, the file has \(values.count)")
        }
        for (e, v) in zip(entries, values) where e.isCount {
            guard let n = v.count, n >= 0, n <= maxCount else {
                throw KerasError.io("Optimizer '\(o.name)': bad value \(v) for \(e.name): not an iteration count")
            }
        }
        for (e, v) in zip(entries, values) { try e.write(v) }
    }
}

/// One optimizer variable's value: a float tensor, or an iteration count (Keras's integer
/// `iteration` variable), kept exactly.
public enum OptimizerVariableValue: Sendable, CustomStringConvertible {
    case tensor(Tensor)
    case count(Int)

    /// The value as a float tensor (a count converted, exact to 2^24).
    public var tensor: Tensor {
        switch self {
        case .tensor(let t): return t
        case .count(let n): return Tensor(Float(n))
        }
    }

    /// The count, or a tensor's one scalar when it is a whole number; nil otherwise.
    public var count: Int? {
        switch self {
        case .count(let n): return n
        case .tensor(let t):
            guard let x = t.scalar, x.isFinite, x == x.rounded(), abs(x) < 1e15 else { return nil }
            return Int(x)
        }
    }

    public var shape: [Int] {
        switch self {
        case .tensor(let t): return t.shape
        case .count: return []
        }
    }

    public var description: String {
        switch self {
        case .tensor(let t): return t.scalar.map { "\($0)" } ?? "a tensor of shape \(t.shape)"
        case .count(let n): return "\(n)"
        }
    }
}

extension Model {
    /// The optimizer's variables for this model's weights, in Keras's `optimizer.variables` order
    /// (iteration, learning rate, slots, ...): with ``restoreOptimizerVariables(_:)`` on a model
    /// rebuilt from this one (a new graph over the same weights), training goes on where this
    /// one was, as Keras's would with the same variables.
    public func optimizerVariableValues() throws -> [OptimizerVariableValue] {
        try optimizerVariables().map(\.value)
    }

    /// Keras's `model.optimizer.variables` once compiled: each one's path (`adam/iteration`,
    /// `adam/learning_rate`, then the slots, `adam/sequential_dense_kernel_momentum`, ...), the
    /// trainable weight it belongs to (nil for the optimizer's own), and its value now, in
    /// Keras's order (that of the optimizer built on ``kerasTrainableWeights``).
    public func optimizerVariables() throws -> [(path: String, owner: Variable?, value: OptimizerVariableValue)] {
        guard let opt = optimizer else { throw KerasError.invalidState("Model '\(name)' is not compiled: it has no optimizer state") }
        return try OptimizerState.entries(opt, variables: kerasTrainableWeights).map { ($0.name, $0.owner, try $0.read()) }
    }

    /// Sets the optimizer's step count: training goes on from step `n` (schedules, decay and
    /// Adam's bias correction read it). Keras: `optimizer.iterations.assign(n)`.
    public func assignOptimizerIterations(_ n: Int) throws {
        guard let opt = optimizer else { throw KerasError.invalidState("Model '\(name)' is not compiled: it has no optimizer") }
        guard n >= 0, n <= OptimizerState.maxCount else {
            throw KerasError.invalidArgument("Model '\(name)': the optimizer's iterations must not be negative or past 2^53, got \(n)")
        }
        opt.iterations = n
    }

    /// Restores the optimizer's variables from ``optimizerVariableValues()`` of a model with the
    /// same weights and optimizer; a count or shape that differs changes nothing.
    public func restoreOptimizerVariables(_ values: [OptimizerVariableValue]) throws {
        guard let opt = optimizer else { throw KerasError.invalidState("Model '\(name)' is not compiled: it has no optimizer state") }
        try opt.restoreVariableValues(values, for: kerasTrainableWeights)
    }
}

extension String {
    /// `sequential/dense/kernel` → `sequential_dense_kernel`, as Keras names optimizer slots.
    func replacingSlashes() -> String { String(map { $0 == "/" ? "_" : $0 }) }
}
