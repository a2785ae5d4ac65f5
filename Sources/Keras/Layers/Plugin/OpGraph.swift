/// A layer's forward computation as a list of ops over its input and weights: traced once, while
/// the layer is built, from a `call` written with `keras.ops` (in Python through ctypes, or in C),
/// then run natively on every step, its gradients coming from the ops' vector-Jacobian products.
/// Shapes are fixed at trace time except the dimensions that follow the input's unknown ones (the
/// batch), as under `jax.jit`. A recurrent cell's step traces as well: its states are further
/// inputs (``addState(width:)``) and their new values further outputs (``setStateOutput(_:_:training:)``),
/// and ``runStep(_:states:weights:training:)`` runs one step (Keras's `cell.call(inputs, states)`).
/// A layer called on several inputs (Keras's `layer([a, b])`) traces each as its own node
/// (``addInput(at:)``). A call may call other layers (built-in ones, models, plugin layers): each
/// is a node of the graph, and a sublayer of the traced layer (``addLayerCall(_:_:training:)``).
public final class OpGraph: @unchecked Sendable {
    enum Source {
        case input(Int)
        /// The Keras mask of input k (``addMask(at:)``).
        case mask(Int)
        case state(Int)
        case weight(Int)
        case constant(Tensor)
        case op(OpGraphOp, [Int])
    }

    /// The nodes in trace order (rewritten once by the dense peephole when the trace ends).
    var sources: [Source] = []
    /// The node each mode returns: index 0 for inference, 1 for training.
    private(set) var outputs: [Int?] = [nil, nil]
    /// The outputs after the first of a call returning several tensors (Keras: a layer whose
    /// `call` returns a tuple), per mode as ``outputs``.
    private(set) var extraOutputs: [[Int]] = [[], []]
    /// The mask of each output (Keras: what the layer's `compute_mask` returns; nil: none),
    /// per mode as ``outputs``; empty when the trace set none.
    private(set) var outputMasks: [[Int?]] = [[], []]
    /// Whether the traced call reads its inputs' masks (``addMask(at:)``).
    public private(set) var readsMasks = false
    /// Whether the traced call read a size its inputs' shapes left unknown (Python's `x.shape[1]`
    /// of a None axis): Keras traces `call` under jax.jit with each run's sizes, so the layer
    /// traces its call again for every run shape (``CallbackLayer``) and this trace ends unfinished.
    public var readsSizes = false
    /// Which inputs of the traced layer's calls carry a Keras mask, when its model's config
    /// says (``CallbackLayer/inputsCarryMasks``); nil when not known.
    public internal(set) var inputsCarryMasks: [Bool]?
    /// The shape of the mask each input's call passes, where a traced call gave its layer's call
    /// an explicit `mask=` (``CallbackLayer/givenMaskShapes``); nil entries and inputs past the
    /// end: a Keras mask, the input's shape without its last axis.
    public internal(set) var maskShapes: [[Int?]?] = []
    /// Whether this trace is of the call on inputs that carry no mask (Keras passes `mask=None`):
    /// the one a layer whose other trace reads masks runs where none reaches it
    /// (``CallbackLayer/graph(forMasks:)``).
    public internal(set) var tracesWithoutMasks = false
    /// Whether the trace set its outputs' masks (``setOutputMasks(_:training:)``).
    public var computesMasks: Bool { !outputMasks.joined().isEmpty }
    /// The nodes whose sums the layer adds to the loss (Keras: `add_loss` in `call`), per mode
    /// as ``outputs``.
    private(set) var lossOutputs: [[Int]] = [[], []]
    /// The metric values the call reports per run (Keras: a metric's `update_state` inside a
    /// traced `compute_loss`), per mode as ``outputs`` (OpGraph+Metrics.swift).
    var metricOutputs: [[MetricOutput]] = [[], []]
    /// The metric values of the last run, in trace order (OpGraph+Metrics.swift).
    public internal(set) var lastMetricValues: [MetricValue] = []
    /// The writes of the traced call to the layer's weights (Keras: `self.count.assign_add(1)` in
    /// `call`), per mode as ``outputs``, done after each run (OpGraph+Assign.swift).
    var writes: [[WeightWrite]] = [[], []]
    /// Does a write: set by the layer whose graph this is.
    public var writeWeight: ((_ index: Int, _ value: Tensor, _ add: Bool) throws -> Void)?
    /// For a cell, the node of each state's new value, per mode as ``outputs``.
    private(set) var stateOutputs: [[Int?]] = [[], []]
    /// For a cell with `get_initial_state`, the node of each state's initial value for one row
    /// (traced with `batch_size=1`); nil entries when it has none.
    private(set) var initialStates: [Int?] = []
    /// The nodes the initial states need, in order (set by ``finish()``).
    private var initialPlan: [Int] = []
    /// For a cell, the width of each state `(batch, width)` in order; empty for a plain layer.
    public private(set) var stateWidths: [Int] = []
    /// The shape of each node at trace time, -1 where it follows an unknown input dimension.
    private(set) var shapes: [[Int]] = []
    /// Two evaluations of every node while tracing: unknown input dimensions as 2, then as 3,
    /// or as the calling trace's probes have them (``callProbes``).
    var probes: [[Tensor]] = []
    /// The probe shapes of the inputs and given masks where a traced call calls this layer
    /// (``addLayerCall(_:_:arguments:training:)``); nil: the layer's own, unknown sizes 2 and 3.
    public internal(set) var callProbes: CallProbes?
    /// The shape of each input the graph was traced for (nil: unknown, the batch).
    public let inputShapes: [[Int?]]
    /// The input shape the graph was traced for: the one input's, or for several inputs the
    /// shape they take packed (``packedShape(_:)``).
    public let inputShape: [Int?]
    private var weightValue: ((Int) throws -> Tensor)?
    /// The nodes each mode's output needs, in order (set by ``finish()``).
    private var plans: [[Int]] = [[], []]
    /// The whole graph as one Dense, when it is one (set by ``finish()``).
    private(set) var denseForm: DenseForm?
    /// For a function's graph (``function()``), the values of its arguments; nil for a layer's.
    var arguments: ArgumentValues?
    /// The seed generators the random ops draw from (`"seed_generator"`), in order of first use.
    public private(set) var seedGenerators: [SeedGenerator] = []
    /// Generators a rebuilt layer had before, reused by name so that its state carries on.
    var earlierSeedGenerators: [SeedGenerator] = []
    /// The layers the traced call calls (Keras: layers held in the calling layer's attributes),
    /// in order of first call (OpGraph+Sublayers.swift).
    public internal(set) var sublayers: [Sublayer] = []
    /// Sublayers a rebuilt layer had before, reused by attribute so that their weights carry on.
    public var earlierSublayers: [Sublayer] = []
    /// The layer's call arguments when its tensors are several arguments (``CallbackLayer/callArguments``).
    public internal(set) var callArguments: JSON?
    /// The built-in layer the traced layer subclasses (Keras: `class MyDense(keras.layers.Dense)`),
    /// once its `super().build` made it (OpGraph+Sublayers.swift): its weights are the traced
    /// layer's own.
    public internal(set) var base: Layer?
    /// Set by the layer being built: takes the base's weights as its own.
    var adoptBase: ((Layer) -> Void)?

    /// Starts a trace for `inputShape`; `weightValue(i)` gives the layer's i-th weight.
    public convenience init(inputShape: [Int?], weightValue: @escaping (Int) throws -> Tensor) {
        self.init(inputShapes: [inputShape], packedShape: inputShape, weightValue: weightValue)
    }

    /// Starts a trace whose inputs are only read one by one (``addInput(at:)``, never packed):
    /// an operation's (``OperationLayer``, `logical_or(a, b)` of two masks), whose inputs may
    /// have unknown dimensions past the batch.
    static func separateInputs(_ inputShapes: [[Int?]], weightValue: @escaping (Int) throws -> Tensor) -> OpGraph {
        OpGraph(inputShapes: inputShapes, packedShape: inputShapes.first ?? [], weightValue: weightValue)
    }

    /// Starts a trace for a layer of several inputs (at least one). A dimension past the batch
    /// may be unknown (keras.io's OCR model's CTC layer takes labels of any length) when the call
    /// reads each input by itself (``addInput(at:)``): ``addInput()``, which gives them packed,
    /// then refuses, and the packed shape has an unknown size.
    public convenience init(inputShapes: [[Int?]], weightValue: @escaping (Int) throws -> Tensor) throws {
        guard let first = inputShapes.first else { throw KerasError.invalidArgument("op graph: a layer takes at least one input") }
        let packed = OpGraph.canPack(inputShapes) ? try OpGraph.packedShape(inputShapes) : [first.first ?? nil, nil]
        self.init(inputShapes: inputShapes, packedShape: packed, weightValue: weightValue)
    }

    private init(inputShapes: [[Int?]], packedShape: [Int?], weightValue: @escaping (Int) throws -> Tensor) {
        self.inputShapes = inputShapes
        self.inputShape = packedShape
        self.weightValue = weightValue
    }

    /// The shape of several inputs packed into one array, as a plugin layer's callbacks see them:
    /// each flattened to `(batch, size)`, concatenated along axis 1 in order. One input: its shape.
    public static func packedShape(_ shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count != 1 else { return shapes[0] }
        guard !shapes.isEmpty else { throw KerasError.invalidArgument("op graph: a layer takes at least one input") }
        guard canPack(shapes) else {
            throw KerasError.shapeMismatch("a layer written outside Swift takes its several inputs packed into one array, so every dimension but the batch must be known; got \(shapes.map { formatShape($0) }.joined(separator: ", "))")
        }
        return [shapes[0].first ?? nil, shapes.map { $0.dropFirst().compactMap { $0 }.reduce(1, *) }.reduce(0, +)]
    }

    /// True when every input has a batch axis and all its other dimensions known (and not
    /// negative): only then can several inputs be packed into one array.
    static func canPack(_ shapes: [[Int?]]) -> Bool {
        shapes.count == 1 || shapes.allSatisfy { s in
            !s.isEmpty && s.dropFirst().allSatisfy { $0.map { $0 >= 0 } ?? false }
        }
    }

    /// True when inputs of `shapes` can run through this graph: as many as it was traced for,
    /// each of its rank with the dimensions past the batch that the trace knew (an unknown one
    /// takes any size).
    public func accepts(_ shapes: [[Int?]]) -> Bool {
        shapes.count == inputShapes.count && zip(inputShapes, shapes).allSatisfy { traced, given in
            traced.count == given.count && zip(traced.dropFirst(), given.dropFirst()).allSatisfy { $0 == nil || $0 == $1 }
        }
    }

    /// True once an output was set.
    public var isComplete: Bool { outputs[0] != nil || outputs[1] != nil }

    /// Number of nodes.
    public var count: Int { sources.count }

    /// A node and its two probes; its trace-time shape is the probes' (-1 where they differ),
    /// then `refined` where the op knows better (``OpGraphOp/traceShape(_:inputs:)``).
    func append(_ source: Source, _ p: [Tensor], refined: (([Int]) -> [Int])? = nil) -> Int {
        let a = p[0].shape, b = p[1].shape
        let probed = a.count == b.count ? zip(a, b).map { $0 == $1 ? $0 : -1 } : a
        shapes.append(refined?(probed) ?? probed)
        sources.append(source)
        probes.append(p)
        return sources.count - 1
    }

    func tracing(_ what: String) throws {
        guard weightValue != nil else { throw KerasError.invalidState("op graph: \(what) after the trace ended") }
    }

    /// The layer's input as a node; for a layer of several inputs, all of them packed into one
    /// array (``packedShape(_:)``), as the plugin's forward function receives them.
    public func addInput() throws -> Int {
        guard inputShapes.count > 1 else { return try addInput(at: 0) }
        _ = try OpGraph.packedShape(inputShapes)   // every dimension past the batch known
        let parts = try inputShapes.indices.map { i -> Int in
            let node = try addInput(at: i)
            guard inputShapes[i].count != 2 else { return node }
            let size = inputShapes[i].dropFirst().compactMap { $0 }.reduce(1, *)
            return try addOp("reshape", [node], attributes: ["newshape": [-1, .int(size)]])
        }
        return try addOp("concatenate", parts, attributes: ["axis": 1])
    }

    /// Input number `index` of the layer (Keras's `inputs[index]` when it is called on a list).
    public func addInput(at index: Int) throws -> Int {
        try tracing("input")
        guard arguments == nil else {
            throw KerasError.invalidArgument("op graph: a function's graph has arguments (each with its value), not a layer input")
        }
        guard inputShapes.indices.contains(index) else {
            throw KerasError.invalidArgument("op graph: input \(index) does not exist: the layer was called on \(inputShapes.count) input(s)")
        }
        let p = (0..<2).map { k in Tensor(shape: probeShape(inputShapes[index], callProbes?.input(index), k), repeating: 1) }
        return append(.input(index), p)
    }

    /// The Keras mask of input number `index` (Keras's `mask` argument of `call`): the input's
    /// shape without its last axis. A call that gets no mask at run time reads ones there (every
    /// position kept).
    public func addMask(at index: Int) throws -> Int {
        try tracing("mask")
        guard arguments == nil, inputShapes.indices.contains(index), inputShapes[index].count >= 2 else {
            throw KerasError.invalidArgument("op graph: input \(index) has no mask (the layer was called on \(inputShapes.count) input(s); a mask needs an input of rank 2 or more)")
        }
        readsMasks = true
        let given = index < maskShapes.count ? maskShapes[index] : nil
        let outer = given == nil ? callProbes?.input(index)?.map { Array($0.dropLast()) } : callProbes?.mask(index)
        let shape = given ?? Array(inputShapes[index].dropLast())
        let p = (0..<2).map { k in Tensor(shape: probeShape(shape, outer, k), repeating: 1) }
        return append(.mask(index), p)
    }

    /// The layer's `index`-th weight (creation order) as a node.
    public func addWeight(_ index: Int) throws -> Int {
        try tracing("weight")
        guard let value = try weightValue?(index) else { throw KerasError.invalidState("op graph: no weight \(index)") }
        return append(.weight(index), [value, value])
    }

    /// The value of the next state of a recurrent cell at the start of a step, `(batch, width)`,
    /// as a node: declaring states makes the graph a cell's step (Keras: `state_size`).
    public func addState(width: Int) throws -> Int {
        try tracing("state")
        guard width > 0 else {
            throw KerasError.invalidArgument("op graph: a cell's state width (state_size) must be positive, got \(width)")
        }
        let batch = inputShape.first ?? nil
        stateWidths.append(width)
        stateOutputs = stateOutputs.map { $0 + [nil] }
        initialStates.append(nil)
        let p = [2, 3].map { n in Tensor(shape: [batch ?? n, width], repeating: 1) }
        return append(.state(stateWidths.count - 1), p)
    }

    /// A constant tensor as a node.
    public func addConstant(_ value: Tensor) throws -> Int {
        try tracing("constant")
        return append(.constant(value), [value, value])
    }

    func node(_ i: Int, _ what: String) throws -> Int {
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
        if let draw = op.draw, let named = attributes["seed_generator"], !named.isNull {
            draw.generator = try seedGenerator(named, draw.seed, OpAttributes(op: name, json: attributes))
        }
        let inputShapes = ids.map { shapes[$0] }
        let contracting = ["matmul", "dot", "einsum"].contains(name)
        let p = try SeedGenerator.keepingStates(of: seedGenerators) {
            try GradientTape.withoutRecording {
                try OpGraph.probing(contracting ? inputShapes : []) {
                    try (0..<2).map { k in try op.apply(ids.map { probes[$0][k] }, training: false) }
                }
            }
        }
        op.draw?.rewind()   // the probes are not steps: the first evaluation draws step 0
        return append(.op(op, ids), p) { op.traceShape($0, inputs: inputShapes) }
    }

    private final class ProbeFlag {
        var on = false
        /// The trace-time shapes of a contracting op's inputs (-1: unknown), while it is probed.
        var shapes: [[Int]] = []
    }
    private static let probeFlag = ThreadLocal { ProbeFlag() }

    /// True on this thread while a trace evaluates an op on its probes rather than running a
    /// step: an op whose run-time check the probes' sizes need not pass (glu's even halves, at
    /// probe size 3) skips it there.
    static var isProbing: Bool { probeFlag.value.on }

    private static func probing<T>(_ shapes: [[Int]] = [], _ body: () throws -> T) rethrows -> T {
        let flag = probeFlag.value, was = flag.on, wasShapes = flag.shapes
        flag.on = true
        flag.shapes = shapes
        defer { flag.on = was; flag.shapes = wasShapes }
        return try body()
    }

    /// While a contracting op (matmul, dot, einsum) is probed: the probe `x` of its input
    /// `input`, of size `size` along `axis` where that axis, or axis `otherAxis` of input `other`
    /// that it is contracted with, was of unknown size when traced. A probe stands for any size,
    /// so the two probes of an unknown size (2, 3) need not fit a known one (x @ x of
    /// (None, 3)); the output's shape does not depend on the contracted size, and sizes known on
    /// both sides are still checked. Keras's `compute_output_spec` does not check unknown sizes.
    static func probeConformed(_ x: Tensor, input: Int, axis: Int, to size: Int, other: Int, otherAxis: Int) -> Tensor {
        let flag = probeFlag.value
        guard flag.on, x.shape.indices.contains(axis), x.shape[axis] != size, size >= 0 else { return x }
        func unknown(_ i: Int, _ d: Int) -> Bool {
            flag.shapes.indices.contains(i) && flag.shapes[i].indices.contains(d) && flag.shapes[i][d] < 0
        }
        guard unknown(input, axis) || unknown(other, otherAxis) else { return x }
        var shape = x.shape
        shape[axis] = size
        return Tensor(shape: shape, repeating: 1)
    }

    /// The generator named by a random op's `"seed_generator"`: the graph's own, else one the
    /// layer had before it was rebuilt, else a new one at `seed` and the op's `"counter"`.
    private func seedGenerator(_ named: JSON, _ seed: UInt64, _ a: OpAttributes) throws -> SeedGenerator {
        guard let name = named.stringValue, !name.isEmpty else {
            throw a.bad("seed_generator", "must be a generator's name (a non-empty string), got \(named)")
        }
        if let g = seedGenerators.first(where: { $0.name == name }) { return g }
        let counter = try a.int("counter", default: 0)
        guard counter >= 0 && counter <= Int(UInt32.max) else {
            throw a.bad("counter", "must be a uint32 (0...\(UInt32.max)), got \(counter)")
        }
        let g = earlierSeedGenerators.first { $0.name == name }
            ?? SeedGenerator(name: name, seed: UInt32(truncatingIfNeeded: seed), counter: UInt32(counter))
        seedGenerators.append(g)
        return g
    }

    /// The shape of node `i` at trace time (-1 where it follows the batch).
    public func shape(of i: Int) throws -> [Int] { shapes[try node(i, "shape")] }

    /// Makes node `i` the output for `training` (nil: both modes).
    public func setOutput(_ i: Int, training: Bool?) throws {
        let n = try node(i, "output")
        if training != true { outputs[0] = n }
        if training != false { outputs[1] = n }
    }

    /// Makes `nodes` the outputs for `training` (nil: both modes), in order: Keras's `call`
    /// returning several tensors.
    public func setOutputs(_ nodes: [Int], training: Bool?) throws {
        guard let first = nodes.first else { throw KerasError.invalidArgument("op graph: a call returns at least one output") }
        let rest = try nodes.dropFirst().map { try node($0, "output") }
        try setOutput(first, training: training)
        if training != true { extraOutputs[0] = rest }
        if training != false { extraOutputs[1] = rest }
    }

    /// Makes `nodes` the masks of the outputs (nil: none), one per output, for `training` (nil:
    /// both modes): what Keras's `compute_mask` returns for the traced inputs and masks.
    public func setOutputMasks(_ nodes: [Int?], training: Bool?) throws {
        let masks = try nodes.map { try $0.map { try node($0, "output mask") } }
        if training != true { outputMasks[0] = masks }
        if training != false { outputMasks[1] = masks }
    }

    /// Adds the sum of node `i` to the loss of a training step, for `training` (nil: both modes;
    /// only a training call's losses enter the loss). Keras: `self.add_loss(value)` in `call`.
    public func addLossOutput(_ i: Int, training: Bool?) throws {
        let n = try node(i, "loss")
        if training != true { lossOutputs[0].append(n) }
        if training != false { lossOutputs[1].append(n) }
    }

    /// Makes node `i` the new value of state `index` after a cell's step, for `training` (nil:
    /// both modes); it must have the state's shape `(batch, width)`.
    public func setStateOutput(_ index: Int, _ i: Int, training: Bool?) throws {
        let n = try node(i, "state output")
        guard stateWidths.indices.contains(index) else {
            throw KerasError.invalidArgument("op graph: state output \(index) is not a declared state (the cell has \(stateWidths.count): state_size \(stateWidths))")
        }
        let batch = (inputShape.first ?? nil) ?? -1
        guard shapes[n] == [batch, stateWidths[index]] else {
            throw KerasError.shapeMismatch("op graph: the new state \(index) must have shape (batch, \(stateWidths[index])) as state_size says, got \(formatShape(shapes[n].map { $0 < 0 ? nil : $0 }))")
        }
        if training != true { stateOutputs[0][index] = n }
        if training != false { stateOutputs[1][index] = n }
    }

    /// Makes node `i` the initial value of state `index` for one row, `(1, width)` or `(width)`:
    /// what the cell's `get_initial_state(batch_size=1)` returned. It may read weights and
    /// constants, not the step's input or states.
    public func setInitialState(_ index: Int, _ i: Int) throws {
        let n = try node(i, "initial state")
        guard stateWidths.indices.contains(index) else {
            throw KerasError.invalidArgument("op graph: initial state \(index) is not a declared state (the cell has \(stateWidths.count): state_size \(stateWidths))")
        }
        guard shapes[n] == [1, stateWidths[index]] || shapes[n] == [stateWidths[index]] else {
            throw KerasError.shapeMismatch("op graph: get_initial_state(batch_size=1) must return state \(index) of shape (1, \(stateWidths[index])) as state_size says, got \(formatShape(shapes[n].map { $0 < 0 ? nil : $0 }))")
        }
        let reads = plan(for: [n]).contains { j in
            switch sources[j] {
            case .input, .mask, .state: return true
            default: return false
            }
        }
        guard !reads else {
            throw KerasError.invalidArgument("op graph: get_initial_state may use the cell's weights and constants, not the step's inputs or states (initial state \(index))")
        }
        initialStates[index] = n
    }

    /// True when every state has an initial value from ``setInitialState(_:_:)``.
    public var hasInitialStates: Bool { !initialStates.isEmpty && initialStates.allSatisfy { $0 != nil } }

    /// The initial states for `batch` rows: the traced values for one row, repeated.
    public func runInitialStates(batch: Int, weights: [Tensor]) throws -> [Tensor] {
        let values = try evaluate(initialPlan, xs: [], states: [], weights: weights, training: false)
        return try zip(initialStates, stateWidths).map { node, width in
            guard let node, let v = values[node] else { throw KerasError.invalidState("op graph: an initial state has no value") }
            return try Ops.add(Tensor(shape: [batch, width]), Ops.reshape(v, [1, width]))
        }
    }

    /// Throws unless the trace is a complete cell step: every state has a new value wherever an
    /// output is set, and the output is `(batch, width)`.
    public func checkCell() throws {
        for mode in 0..<2 where outputs[mode] != nil {
            if let missing = stateOutputs[mode].firstIndex(where: { $0 == nil }) {
                throw KerasError.invalidArgument("op graph: the cell's call returned no new value for state \(missing) of \(stateWidths.count) (state_size \(stateWidths))")
            }
        }
        guard outputShape.count == 2, let width = outputShape[1], width > 0 else {
            throw KerasError.shapeMismatch("op graph: a cell's output must have shape (batch, output_size), got \(formatShape(outputShape))")
        }
    }

    /// Ends the trace: the probe values are freed, no node can be added, and `matmul`, bias
    /// `add` and activation chains become fused dense nodes (``fuseDense()``).
    public func finish() {
        probes = []
        weightValue = nil
        fuseDense()
        let plain = lossOutputs.joined().isEmpty && extraOutputs.joined().isEmpty && !readsMasks && !computesMasks
            && writes.joined().isEmpty && metricOutputs.joined().isEmpty
        denseForm = plain ? findDenseForm() : nil
        plans = (0..<2).map { mode -> [Int] in
            var ends: [Int] = ([outputs[mode]] + stateOutputs[mode]).compactMap { $0 }
            ends += outputMasks[mode].compactMap { $0 }
            ends += extraOutputs[mode]
            ends += lossOutputs[mode]
            ends += writes[mode].map(\.node)
            ends += metricNodes(mode)
            return plan(for: ends)
        }
        initialPlan = plan(for: initialStates.compactMap { $0 })
    }

    /// The nodes `ends` need, in order.
    func plan(for ends: [Int]) -> [Int] {
        guard let last = ends.max() else { return [] }
        var needed = [Bool](repeating: false, count: last + 1)
        for e in ends { needed[e] = true }
        for i in stride(from: last, through: 0, by: -1) where needed[i] {
            if case .op(_, let ids) = sources[i] { for j in ids { needed[j] = true } }
        }
        return needed.indices.filter { needed[$0] }
    }

    /// The output shape for the traced input shape (nil where it follows the batch).
    public var outputShape: [Int?] {
        guard let o = outputs[0] ?? outputs[1] else { return inputShape }
        return shapes[o].map { $0 < 0 ? nil : $0 }
    }

    /// The shape of every output (nil where it follows the batch).
    public var outputShapes: [[Int?]] {
        guard let o = outputs[0] ?? outputs[1] else { return [inputShape] }
        let mode = outputs[0] != nil ? 0 : 1
        return ([o] + extraOutputs[mode]).map { shapes[$0].map { $0 < 0 ? nil : $0 } }
    }

    /// Every output for the layer's inputs `xs` and their masks (nil entries: none; read as
    /// ones), the outputs' masks (nil when the trace set none) and the traced losses.
    public func runAll(_ xs: [Tensor], masks: [Tensor?]?, weights: [Tensor], training: Bool) throws -> (outputs: [Tensor], masks: [Tensor?]?, losses: [Tensor]) {
        guard stateWidths.isEmpty else {
            throw KerasError.invalidArgument("op graph: this graph is a recurrent cell's step (state_size \(stateWidths)): run it over sequences in an RNN layer")
        }
        guard xs.count == inputShapes.count else {
            throw KerasError.invalidArgument("op graph: the layer was traced for \(inputShapes.count) input(s), got \(xs.count)")
        }
        let mode = outputs[training ? 1 : 0] != nil ? (training ? 1 : 0) : (training ? 0 : 1)
        guard let out = outputs[mode], !plans[mode].isEmpty else {
            throw KerasError.invalidState("op graph: the trace set no output, or was not finished")
        }
        let values = try evaluate(plans[mode], xs: xs, masks: masks ?? [], states: [], weights: weights, training: training)
        func value(_ i: Int, _ what: String) throws -> Tensor {
            guard let v = values[i] else { throw KerasError.invalidState("op graph: \(what) has no value") }
            return v
        }
        let ys = try ([out] + extraOutputs[mode]).map { try value($0, "an output") }
        let outMasks = outputMasks[mode].isEmpty ? nil : try outputMasks[mode].map { try $0.map { try value($0, "an output mask") } }
        let losses = try lossOutputs[mode].map { try Ops.sum(value($0, "a loss"), axes: nil, keepDims: false) }
        try performWrites(mode, values)
        try recordMetrics(mode, values)
        return (ys, outMasks, losses)
    }

    /// The nodes an inference run evaluates, in order, and its output node; nil before the
    /// trace is finished. Read by the ONNX export (ONNXExport+OpGraph.swift).
    var inferencePlan: (nodes: [Int], output: Int, extraOutputs: Int)? {
        let mode = outputs[0] != nil ? 0 : 1
        guard let output = outputs[mode], !plans[mode].isEmpty else { return nil }
        return (plans[mode], output, extraOutputs[mode].count)
    }

    /// The output for input `x` given the layer's weights (tape leaves while training).
    public func run(_ x: Tensor, weights: [Tensor], training: Bool) throws -> Tensor {
        try runWithLosses([x], weights: weights, training: training).output
    }

    /// The output for input `x` and the traced losses (each summed to a scalar) of the mode run.
    public func runWithLosses(_ x: Tensor, weights: [Tensor], training: Bool) throws -> (output: Tensor, losses: [Tensor]) {
        try runWithLosses([x], weights: weights, training: training)
    }

    /// The output for the layer's inputs `xs` (one per ``inputShapes``) and the traced losses.
    public func runWithLosses(_ xs: [Tensor], weights: [Tensor], training: Bool) throws -> (output: Tensor, losses: [Tensor]) {
        guard stateWidths.isEmpty else {
            throw KerasError.invalidArgument("op graph: this graph is a recurrent cell's step (state_size \(stateWidths)): run it over sequences in an RNN layer")
        }
        guard xs.count == inputShapes.count else {
            throw KerasError.invalidArgument("op graph: the layer was traced for \(inputShapes.count) input(s), got \(xs.count)")
        }
        let (mode, values) = try evaluate(xs, states: [], weights: weights, training: training)
        guard let out = outputs[mode], let y = values[out] else { throw KerasError.invalidState("op graph: the output has no value") }
        let losses = try lossOutputs[mode].map { i -> Tensor in
            guard let v = values[i] else { throw KerasError.invalidState("op graph: a loss has no value") }
            return try Ops.sum(v, axes: nil, keepDims: false)
        }
        return (y, losses)
    }

    /// One step of a cell: the output and the new states for step input `x` `(batch, features)`
    /// and `states` (one `(batch, width)` tensor per ``stateWidths``). Keras: `cell.call(inputs, states)`.
    public func runStep(_ x: Tensor, states: [Tensor], weights: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor]) {
        guard states.count == stateWidths.count else {
            throw KerasError.invalidArgument("op graph: the cell step takes \(stateWidths.count) state(s) (state_size \(stateWidths)), got \(states.count)")
        }
        let (mode, values) = try evaluate([x], states: states, weights: weights, training: training)
        guard let out = outputs[mode], let y = values[out] else { throw KerasError.invalidState("op graph: the output has no value") }
        let next = try stateOutputs[mode].map { i -> Tensor in
            guard let i, let v = values[i] else { throw KerasError.invalidState("op graph: a new state has no value") }
            return v
        }
        return (y, next)
    }

    /// Every node a mode needs, evaluated; the mode used (training falls back to inference and
    /// back when only one output was set).
    private func evaluate(_ xs: [Tensor], states: [Tensor], weights: [Tensor], training: Bool) throws -> (Int, [Tensor?]) {
        let mode = outputs[training ? 1 : 0] != nil ? (training ? 1 : 0) : (training ? 0 : 1)
        guard outputs[mode] != nil, !plans[mode].isEmpty else {
            throw KerasError.invalidState("op graph: the trace set no output, or was not finished")
        }
        let values = try evaluate(plans[mode], xs: xs, states: states, weights: weights, training: training)
        try performWrites(mode, values)
        try recordMetrics(mode, values)
        return (mode, values)
    }

    /// The values of the nodes of `plan` (nil for the others).
    func evaluate(_ plan: [Int], xs: [Tensor], masks: [Tensor?] = [], states: [Tensor], weights: [Tensor], training: Bool) throws -> [Tensor?] {
        var values = [Tensor?](repeating: nil, count: (plan.last ?? -1) + 1)
        var parts: [Int: [Tensor]] = [:]   // the outputs of ops of several outputs
        for i in plan {
            switch sources[i] {
            case .input(let k):
                guard k < xs.count else { throw KerasError.invalidState("op graph: input \(k) is missing") }
                values[i] = xs[k]
            case .mask(let k):
                guard k < xs.count else { throw KerasError.invalidState("op graph: input \(k) is missing") }
                if k < masks.count, let m = masks[k] {
                    values[i] = m.detached
                } else {
                    values[i] = Tensor(shape: Array(xs[k].shape.dropLast()), repeating: 1)
                }
            case .state(let k):
                guard k < states.count else { throw KerasError.invalidState("op graph: state \(k) is missing") }
                values[i] = states[k]
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
                if let k = op.part {
                    guard let j = ids.first, let outs = parts[j], k < outs.count else {
                        throw KerasError.invalidState("op graph: node \(i) reads output \(k) of a node that has no such output")
                    }
                    values[i] = outs[k]
                } else if let all = op.outputs {
                    let outs = try all(args, training)
                    guard let first = outs.first else { throw KerasError.invalidState("op graph: '\(op.name)' gave no output") }
                    parts[i] = outs
                    values[i] = first
                } else {
                    values[i] = try op.apply(args, training: training)
                }
            }
        }
        return values
    }
}

extension OpGraph {
    private final class Slot { var trace: OpGraph?; var masks: [Tensor?]? }
    private static let slot = ThreadLocal { Slot() }

    /// The masks of the inputs of the layer whose graph runs on this thread (nil: none), for a
    /// base layer that takes them (``addBaseCall(_:training:withMasks:)``).
    static var inputMasks: [Tensor?]? { slot.value.masks }

    /// Runs `body` with `masks` as ``inputMasks``.
    static func withInputMasks<T>(_ masks: [Tensor?], _ body: () throws -> T) rethrows -> T {
        let s = slot.value
        let saved = s.masks
        s.masks = masks
        defer { s.masks = saved }
        return try body()
    }

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
