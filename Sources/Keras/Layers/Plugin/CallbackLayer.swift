/// What a layer written outside Swift (C through the ABI, or Python through ctypes) supplies:
/// Keras's layer contract as functions over whole arrays, with an explicit backward since the
/// forward computation is opaque to the tape.
public struct CallbackLayerFunctions: @unchecked Sendable {
    /// Creates weights for a batch input shape through `addWeight(name, shape, initializer,
    /// trainable, regularizer, constraint)` (and `dtype:` for an int32 weight).
    public var build: ((_ inputShape: [Int?], _ addWeight: WeightAdder) throws -> Void)?
    /// The output shape for an input shape; nil means the output has the input's shape.
    public var outputShape: ((_ inputShape: [Int?]) throws -> [Int?])?
    /// The output for `x` given the current weight values, into a tensor of `outputShape`.
    public var forward: (_ x: Tensor, _ weights: [Tensor], _ training: Bool, _ output: Tensor) throws -> Void
    /// Gradients: given `x`, the weights and dL/dy, fills dL/dx and dL/dw (zeroed beforehand).
    /// nil for a layer that can only run where no gradient passes through it.
    public var backward: ((_ x: Tensor, _ weights: [Tensor], _ dy: Tensor, _ dx: Tensor, _ dWeights: [Tensor]) throws -> Void)?
    /// The layer's own constructor arguments (merged into the base layer config).
    public var config: (() throws -> JSON)?
    /// Called when the layer is freed.
    public var destroy: (() -> Void)?

    public init(forward: @escaping (Tensor, [Tensor], Bool, Tensor) throws -> Void) {
        self.forward = forward
    }
}

/// What a ``CallbackLayerFunctions/build`` function creates its weights with: the layer's
/// `addWeight(name, shape, initializer, trainable, regularizer, constraint, dtype:)`.
public struct WeightAdder {
    let add: (String, [Int], Initializer, Bool, Regularizer?, Constraint?, VariableDType) throws -> Void

    public init(_ add: @escaping (String, [Int], Initializer, Bool, Regularizer?, Constraint?, VariableDType) throws -> Void) {
        self.add = add
    }

    public func callAsFunction(_ name: String, _ shape: [Int], _ initializer: Initializer, _ trainable: Bool,
                               _ regularizer: Regularizer?, _ constraint: Constraint?,
                               dtype: VariableDType = .float32) throws {
        try add(name, shape, initializer, trainable, regularizer, constraint, dtype)
    }
}

/// A layer whose build, forward, backward, output shape and config are supplied as functions: how
/// C and Python plugin layers live in a model. Its weights are ordinary ``Variable``s created with
/// ``Layer/addWeight(name:shape:initializer:trainable:regularizer:constraint:)``, so they are
/// optimized, saved and loaded like any built-in layer's; its call is one ``Ops/customGradient(_:inputs:_:)``
/// op whose vector-Jacobian product calls the supplied backward function. When its traced call
/// is a recurrent cell's step (states declared with ``OpGraph/addState(width:)``), it is an
/// ``RNNCell`` that `RNN(cell)` runs step by step.
///
/// Called on several inputs (Keras's `layer([a, b])`), it is one node of the functional graph
/// with all of them as its inputs, saved as Keras saves it. A traced call reads each input as its
/// own node (``OpGraph/addInput(at:)``); the build, output shape, forward and backward functions,
/// whose contract has one input array, see them packed (``OpGraph/packedShape(_:)``): each
/// flattened to `(batch, size)` and concatenated in order, the gradient flowing back through the
/// packing.
public final class CallbackLayer: Layer, RNNCell, @unchecked Sendable {
    let pluginClassName: String
    let functions: CallbackLayerFunctions
    /// The forward computation traced from `call` at build time, when the plugin gave one: it
    /// then replaces the forward and backward functions (nothing crosses into the plugin per step).
    public internal(set) var graph: OpGraph?
    /// The weight values the steps of one sequence share (set between begin and end of it).
    private var sequenceWeights: [Tensor]?

    /// Keras's functional node of a call that passes the tensors as several arguments, or with
    /// others (`endpoint(logits, targets, sample_weight)`, `layer(x, targets=None)`): `{"args": [...],
    /// "kwargs": {...}}` as a config writes it, its tensors (`__keras_tensor__` entries, in
    /// order) being the layer's inputs. Read from the layer's first node in a config, written
    /// into each node (its tensors substituted), and given to the plugin's build (the builder's
    /// call arguments) so that its call gets them as Keras passes them. nil for a call on one
    /// tensor or one list of tensors and nothing else.
    public internal(set) var callArguments: JSON?

    /// Which inputs of the layer's calls carry a Keras mask, as the functional config it was
    /// read from says (Keras records in a call's node the mask of an input that carries one,
    /// for a call taking `mask`), or its Sequential, over its calls; nil when not known (a model
    /// made in code). Its trace then gives the call None for an input without one, as Keras does.
    public internal(set) var inputsCarryMasks: [Bool]?

    /// The shapes of the masks a traced call passes this layer's call (Keras's `self.attn(x,
    /// mask=self.attn_mask)` gives `call` whatever tensor it is given: keras.io's Swin
    /// Transformer passes its windows' attention mask), per input; nil: none given. Set by
    /// ``OpGraph/addLayerCall(_:_:arguments:training:)`` before the call builds the layer.
    var givenMaskShapes: [[Int?]?] = []
    /// The probes of the tensors a traced call calls this layer on (``OpGraph/CallProbes``):
    /// its own trace probes its inputs at the calling trace's sizes. Set with ``givenMaskShapes``.
    var callProbes: OpGraph.CallProbes?

    /// Adds a call whose inputs carry masks as `carried` says to ``inputsCarryMasks``.
    func noteCall(inputsCarryMasks carried: [Bool]) {
        inputsCarryMasks = zip(inputsCarryMasks ?? carried, carried).map { $0 || $1 }
    }

    /// Adds a call as ``noteCall(inputsCarryMasks:)`` does, after the layer was built: a call
    /// traced giving None for an input that now carries a mask is traced again, on the same
    /// weights. A model holding the layer learns only when another model calls it that its
    /// input carries a mask, and Keras's call gets the mask at every call.
    func noteCallAfterBuild(inputsCarryMasks carried: [Bool]) throws {
        let before = inputsCarryMasks
        noteCall(inputsCarryMasks: carried)
        guard built, let traced = graph, traced.base == nil, let before, let now = inputsCarryMasks,
              zip(before, now).contains(where: { !$0 && $1 }) else { return }
        let taken = takeWeights()
        weightsToTakeBack = taken.variables
        defer { weightsToTakeBack = [] }
        do {
            try NameScope.run(self) { try build(shapes: sizedTraces?.shapes ?? traced.inputShapes) }
            guard weightsToTakeBack.isEmpty else {
                throw KerasError.invalidState("\(pluginClassName) '\(name)': building it again to trace its call with its input's mask did not make its weights \(weightsToTakeBack.map(\.name)) again")
            }
        } catch {
            restoreWeights(taken)
            graph = traced
            throw error
        }
    }

    /// The weights a layer built again takes back (by name and shape) instead of new ones.
    var weightsToTakeBack: [Variable] = []
    /// Set while the layer traces its call for inputs whose sizes are all known, the batch's
    /// included (CallbackLayer+Sizes.swift).
    var tracingKnownSizes = false
    /// The traces of a call that reads sizes unknown when traced (CallbackLayer+Sizes.swift).
    var sizedTraces: SizedTraces?

    /// `template` with its `__keras_tensor__` entries replaced in order by `values` (nil when the
    /// counts differ): a dict given as an argument by its sorted keys, as Keras flattens a
    /// call's arguments into its node's tensors, the dict keeping its own order (the node's
    /// `kwargs` in their order, as ``ModelFromConfig`` reads them).
    static func substitutingTensors(_ template: JSON, _ values: [JSON]) -> JSON? {
        var next = 0
        func walk(_ j: JSON, _ depth: Int) -> JSON? {
            if j["class_name"]?.stringValue == "__keras_tensor__" {
                guard next < values.count else { return nil }
                next += 1
                return values[next - 1]
            }
            guard depth < 12 else { return j }
            switch j {
            case .array(let a):
                var out: [JSON] = []
                for x in a { guard let y = walk(x, depth + 1) else { return nil }; out.append(y) }
                return .array(out)
            case .object(let pairs):
                var out = pairs
                let order = depth < 2 ? Array(pairs.indices) : pairs.indices.sorted(by: { pairs[$0].0 < pairs[$1].0 })
                for i in order {
                    guard let y = walk(pairs[i].1, depth + 1) else { return nil }
                    out[i].1 = y
                }
                return .object(out)
            default:
                return j
            }
        }
        guard let result = walk(template, 0), next == values.count else { return nil }
        return result
    }

    /// What `template`'s first argument becomes with its tensors replaced by `values`: the first
    /// positional one, else the first keyword one holding a tensor (the argument Keras builds a
    /// layer for).
    static func firstArgument(_ template: JSON, _ values: [JSON]) -> JSON? {
        guard let written = substitutingTensors(template, values) else { return nil }
        if let first = written["args"]?.arrayValue?.first { return first }
        // A value holding a tensor has none to substitute with no values.
        guard let tensor = (template["kwargs"]?.objectValue ?? []).first(where: { substitutingTensors($0.1, []) == nil }) else { return nil }
        return written["kwargs"]?[tensor.0]
    }

    /// The name its class was registered under (`"Package>Name"` or a plain name), when it was
    /// made from a registration: saving writes that one, not another class's of the same name.
    public let registeredName: String?
    /// The `module` its saved entry names: Keras writes the Python module of a user's class
    /// (`"__main__"` is written as null). nil: its registration's package, else `"custom"`.
    public let module: String?

    /// - Parameters:
    ///   - className: the Keras class name written in configs (without any `Package>` prefix).
    ///   - registeredName: the name of the registration it was made from, if any.
    ///   - module: the module its saved entry names, if its class has one (a Python class's).
    public init(className: String, functions: CallbackLayerFunctions, name: String? = nil,
                registeredName: String? = nil, module: String? = nil) {
        self.pluginClassName = className
        self.registeredName = registeredName
        self.module = module
        self.functions = functions
        super.init(name: name ?? LayerNames.unique(for: Layer.defaultName(of: className)))
    }

    deinit { functions.destroy?() }

    public override var className: String { pluginClassName }

    public override func build(_ inputShape: [Int?]) throws {
        try build(shapes: [inputShape])
    }

    /// Builds for one input or several (whose functions see them packed).
    public override func build(shapes: [[Int?]]) throws {
        if !tracingKnownSizes { sizedTraces = nil }
        let weight = { [unowned self] (i: Int) throws -> Tensor in
            guard i >= 0 && i < variables.count else {
                throw KerasError.invalidArgument("\(pluginClassName) '\(name)': the op graph refers to weight \(i), but the layer has \(variables.count)")
            }
            return variables[i].storedValue
        }
        let trace: OpGraph
        do {
            trace = try OpGraph(inputShapes: shapes, weightValue: weight)
        } catch let e as KerasError {
            throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': \(e.message)")
        }
        trace.earlierSeedGenerators = graph?.seedGenerators ?? []
        trace.earlierSublayers = graph?.sublayers ?? []
        trace.callArguments = callArguments
        trace.inputsCarryMasks = tracingWithoutMasks ? shapes.map { _ in false } : inputsCarryMasks
        trace.tracesWithoutMasks = tracingWithoutMasks
        trace.maskShapes = tracingWithoutMasks ? [] : givenMaskShapes
        trace.callProbes = tracingKnownSizes ? nil : callProbes
        trace.writeWeight = { [unowned self] i, value, add in
            guard variables.indices.contains(i) else {
                throw KerasError.invalidArgument("\(pluginClassName) '\(name)': the call writes to weight \(i), but the layer has \(variables.count)")
            }
            let v = variables[i]
            if add { return try v.assignAdd(value) }
            try v.assign(value.shape != v.shape && value.count == 1 ? Tensor(shape: v.shape, repeating: value.data[0]) : value)
        }
        trace.adoptBase = { [unowned self] base in
            adoptWeights(of: base)
            if base.supportsMasking { supportsMasking = true }   // its masks are the layer's
        }
        graph = nil
        try OpGraph.tracing(trace) { try buildWeights(trace.inputShape) }
        trace.finish()
        if trace.readsSizes, !tracingKnownSizes {
            try traceForSizes(shapes)
            return
        }
        guard trace.isComplete else {
            // The plugin's functions take several inputs packed: their sizes must be known.
            do { _ = try OpGraph.packedShape(shapes) } catch let e as KerasError {
                throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': \(e.message)")
            }
            return
        }
        if !trainable {
            for s in trace.sublayers { s.layer.trainable = false }
            trace.base?.trainable = false
        }
        if !trace.stateWidths.isEmpty {
            do { try trace.checkCell() } catch let e as KerasError {
                throw KerasError.invalidArgument("\(pluginClassName) '\(name)': \(e.message)")
            }
        }
        graph = trace
        graphWithoutMasks = nil
        if !tracingWithoutMasks, trace.readsMasks, trace.base == nil, trace.stateWidths.isEmpty {
            // (a call that cannot run without its mask keeps the trace with ones, as before)
            graphWithoutMasks = (try? traceWithoutMasks(shapes)) ?? nil
        }
    }

    /// The layer's call traced again on the same weights for inputs that carry no mask, where
    /// its trace reads masks: Keras's call then gets `mask=None`, which a call may tell apart
    /// from ones (``graph(forMasks:)``). nil when the plugin traced the same call again (one
    /// that does not know of keras_layer_builder_masks_absent) or made other weights.
    private func traceWithoutMasks(_ shapes: [[Int?]]) throws -> OpGraph? {
        guard let traced = graph else { return nil }
        let taken = takeWeights()
        weightsToTakeBack = taken.variables
        tracingWithoutMasks = true
        defer {
            tracingWithoutMasks = false
            weightsToTakeBack = []
            restoreWeights(taken)
            graph = traced
        }
        try NameScope.run(self) { try build(shapes: shapes) }
        guard let other = graph, other !== traced, weightsToTakeBack.isEmpty, !other.readsMasks,
              variables.map(ObjectIdentifier.init) == taken.variables.map(ObjectIdentifier.init) else { return nil }
        return other
    }

    /// Set while ``traceWithoutMasks(_:)`` builds the layer again.
    private var tracingWithoutMasks = false
    /// ``traceWithoutMasks(_:)``'s graph, when the layer's trace reads masks.
    var graphWithoutMasks: OpGraph?

    /// The graph a call with `masks` runs: the one traced without masks where none of the
    /// inputs carries one (Keras's call gets None), else the layer's.
    private func graph(forMasks masks: [Tensor?]?) -> OpGraph? {
        guard let graphWithoutMasks, Self.carriesNoMask(masks) else { return graph }
        return graphWithoutMasks
    }

    /// True when no input carries a mask (Keras's call gets `mask=None`).
    static func carriesNoMask(_ masks: [Tensor?]?) -> Bool {
        !(masks ?? []).contains(where: { $0 != nil })
    }

    /// The call traced again for inputs whose sizes past the batch the first trace fixed
    /// otherwise (Keras: one attention layer called on sequences of length 8 and of length 12 in
    /// one model runs its call for each), on the same weights: one graph per such shape, with its
    /// trace without masks (as ``graphWithoutMasks``) where it reads masks.
    private var graphsForOtherShapes: [(graph: OpGraph, withoutMasks: OpGraph?)] = []

    /// The graph that runs inputs of `shapes` (`masks` choosing as ``graph(forMasks:)``): the
    /// layer's own where it accepts them, else one traced for them, made at the first such call
    /// (or shape asked) and kept; the layer's own where the call cannot be traced again (a cell,
    /// a subclass of a built-in layer), whose run then says why the shapes do not fit.
    private func graph(forMasks masks: [Tensor?]?, shapes: [[Int?]]) throws -> OpGraph? {
        guard let own = graph(forMasks: masks) else { return nil }
        if own.accepts(shapes) { return own }
        guard let other = try graph(forOtherShapes: shapes) else { return own }
        return Self.carriesNoMask(masks) ? other.withoutMasks ?? other.graph : other.graph
    }

    private func graph(forOtherShapes shapes: [[Int?]]) throws -> (graph: OpGraph, withoutMasks: OpGraph?)? {
        guard sizedTraces == nil, let traced = graph, traced.base == nil, traced.stateWidths.isEmpty,
              shapes.count == traced.inputShapes.count else { return nil }
        if let found = graphsForOtherShapes.first(where: { $0.graph.accepts(shapes) }) { return found }
        graphsForOtherShapes.append(try traceAgain(for: shapes, knownSizes: false))
        return graphsForOtherShapes.last
    }

    /// The call traced again for inputs of `shapes` (`knownSizes`: every size known, the batch's
    /// included), on the same weights, with its trace without masks where it reads masks; the
    /// layer's own traces are left as they were.
    func traceAgain(for shapes: [[Int?]], knownSizes: Bool) throws -> (graph: OpGraph, withoutMasks: OpGraph?) {
        let traced = graph, withoutMasks = graphWithoutMasks, wasKnown = tracingKnownSizes
        let taken = takeWeights()
        weightsToTakeBack = taken.variables
        tracingKnownSizes = knownSizes
        defer {
            weightsToTakeBack = []
            tracingKnownSizes = wasKnown
            restoreWeights(taken)
            graph = traced
            graphWithoutMasks = withoutMasks
        }
        try NameScope.run(self) { try build(shapes: shapes) }
        let described = shapes.map { formatShape($0) }.joined(separator: ", ")
        guard let other = graph, other !== traced else {
            throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': its call could not be traced for inputs of shape \(described)")
        }
        guard weightsToTakeBack.isEmpty, variables.map(ObjectIdentifier.init) == taken.variables.map(ObjectIdentifier.init) else {
            throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': called on inputs of shape \(described) after it was built for \((traced?.inputShapes ?? []).map { formatShape($0) }.joined(separator: ", ")), its build for the new shape made other weights than its first (Keras builds a layer once, at its first call)")
        }
        return (other, graphWithoutMasks)
    }

    /// The graph that runs `inputs` (`masks` choosing as ``graph(forMasks:)``): for a call that
    /// reads sizes, its trace for their shapes; else as ``graph(forMasks:shapes:)`` for their
    /// shapes with the batch unknown.
    private func graph(forMasks masks: [Tensor?]?, inputs: [Tensor]) throws -> OpGraph? {
        if sizedTraces != nil {
            let traced = try sizedGraph(for: inputs.map(\.shape))
            return Self.carriesNoMask(masks) ? traced.withoutMasks ?? traced.graph : traced.graph
        }
        return try graph(forMasks: masks, shapes: inputs.map { [nil] + $0.shape.dropFirst().map { Optional($0) } })
    }

    private func buildWeights(_ inputShape: [Int?]) throws {
        try functions.build?(inputShape, WeightAdder { name, shape, initializer, trainable, regularizer, constraint, dtype in
            guard !name.isEmpty, shape.allSatisfy({ $0 >= 0 }) else {
                throw KerasError.invalidArgument("\(self.pluginClassName) '\(self.name)': add_weight needs a name and non-negative dimensions, got '\(name)' \(shape)")
            }
            if let i = self.weightsToTakeBack.firstIndex(where: { $0.name == name && $0.shape == shape }) {
                let v = self.weightsToTakeBack.remove(at: i)
                self.adoptWeight(v)
                if let regularizer { self.weightRegularizers.append((v, regularizer)) }
                return
            }
            self.addWeight(name: name, shape: shape, initializer: initializer, trainable: trainable,
                           regularizer: regularizer, constraint: constraint, dtype: dtype)
        })
    }

    /// The output shape for several inputs: the traced graph's, or the plugin's for their packed
    /// shape; a plugin without an output shape function gives the first input's shape.
    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        if sizedTraces != nil { return try sizedOutputShapes(for: shapes)[0] }
        guard shapes.count > 1 else { return try computeOutputShape(shapes.first ?? []) }
        if let graph = try? graph(forMasks: nil, shapes: shapes), graph.accepts(shapes) { return graph.outputShape }
        guard functions.outputShape != nil else { return shapes[0] }
        return try computeOutputShape(try OpGraph.packedShape(shapes))
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        if sizedTraces != nil { return try sizedOutputShapes(for: [inputShape])[0] }
        if let graph, graph.inputShapes.count == 1, graph.inputShape.dropFirst() == inputShape.dropFirst() { return graph.outputShape }
        if graph != nil, let other = try? graph(forOtherShapes: [inputShape]) { return (other.withoutMasks ?? other.graph).outputShape }
        guard let outputShape = functions.outputShape else { return inputShape }
        // A plugin's output shape is a function of its input shape: asked once per input shape,
        // not at every step (each ask is a crossing into the host, Python's included).
        if let last = lastOutputShape, last.input == inputShape { return last.output }
        let shape = try outputShape(inputShape)
        lastOutputShape = (inputShape, shape)
        return shape
    }

    /// Every output's shape: a traced call returning several tensors (Keras: a tuple from
    /// `call`) has one per output.
    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        if sizedTraces != nil { return try sizedOutputShapes(for: shapes) }
        if let graph = try? graph(forMasks: nil, shapes: shapes), graph.accepts(shapes) { return graph.outputShapes }
        return [try computeOutputShape(shapes: shapes)]
    }

    /// The last input shape asked of the plugin's output_shape, and its answer.
    private var lastOutputShape: (input: [Int?], output: [Int?])?

    /// Several inputs: the traced graph reads each; the functions get them packed.
    public override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        guard inputs.count > 1 else {
            guard let x = inputs.first else { throw KerasError.invalidArgument("\(pluginClassName) '\(name)' was called on no inputs") }
            return try call(x, training: training)
        }
        if let graph = try graph(forMasks: nil, inputs: inputs) { return try runGraph(graph, inputs, training: training) }
        let batch = inputs[0].shape.first ?? 0
        let parts = try inputs.map { x -> Tensor in
            guard x.shape.first == batch else {
                throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': its inputs must have the same batch size, got \(inputs.map { formatShape($0.shape.map { Optional($0) }) }.joined(separator: ", "))")
            }
            return x.rank == 2 ? x : try Ops.reshape(x, [batch, x.shape.dropFirst().reduce(1, *)])
        }
        let shape = try computeOutputShape(shapes: inputs.map { [nil] + $0.shape.dropFirst().map { Optional($0) } })
        return try callFunctions(try Ops.concatenate(parts, axis: 1), outputShape: shape, training: training)
    }

    /// A layer subclassing a built-in one gives its output the mask the built-in layer computes.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        guard let base = graph?.base else { return try super.computeMask(inputs, masks: masks) }
        return try base.computeMask(inputs, masks: masks)
    }

    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? {
        guard let base = graph?.base else { return try super.computeMask(inputs, mask: mask) }
        return try base.computeMask(inputs, mask: mask)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        if let graph = try graph(forMasks: nil, inputs: [inputs]) { return try runGraph(graph, [inputs], training: training) }
        let shape = try computeOutputShape([nil] + inputs.shape.dropFirst().map { Optional($0) })
        return try callFunctions(inputs, outputShape: shape, training: training)
    }

    /// A traced call: every output, reading the inputs' masks when the call takes them.
    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard let graph = try graph(forMasks: mask, inputs: inputs) else { return [try call(inputs, training: training)] }
        return try runGraphAll(graph, inputs, masks: mask, training: training).outputs
    }

    /// A traced call that computes its outputs' masks (Keras: the layer's `compute_mask`) gives
    /// them; otherwise the masks pass as for any layer (``Layer/supportsMasking``).
    override func runCall(_ inputs: [Tensor], masks: [Tensor?]?, training: Bool) throws -> ([Tensor], [Tensor?]?) {
        guard let graph = try graph(forMasks: masks, inputs: inputs), graph.computesMasks else { return try super.runCall(inputs, masks: masks, training: training) }
        let r = try runGraphAll(graph, inputs, masks: masks, training: training)
        guard let outMasks = r.masks, outMasks.contains(where: { $0 != nil }) else { return (r.outputs, nil) }
        return (r.outputs, outMasks)
    }

    /// A layer subclassing a built-in one gives its graph the inputs' masks too (for a base call
    /// that takes them, ``OpGraph/addBaseCall(_:training:withMasks:)``).
    private func runGraphAll(_ graph: OpGraph, _ inputs: [Tensor], masks: [Tensor?]?, training: Bool) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        let run = { try graph.runAll(inputs, masks: masks, weights: self.weightValues(), training: training) }
        let r = try graph.base != nil && (masks ?? []).contains { $0 != nil } ? OpGraph.withInputMasks(masks ?? [], run) : run()
        if !r.losses.isEmpty, training || CallContext.collectsLosses { for l in r.losses { addLoss(l) } }
        takeBaseLosses(graph)
        return (r.outputs, r.masks)
    }

    private func runGraph(_ graph: OpGraph, _ inputs: [Tensor], training: Bool) throws -> Tensor {
        let (y, losses) = try graph.runWithLosses(inputs, weights: weightValues(), training: training)
        if !losses.isEmpty, training || CallContext.collectsLosses { for l in losses { addLoss(l) } }
        takeBaseLosses(graph)
        return y
    }

    /// The activity penalty of the built-in layer a layer subclasses is the layer's.
    private func takeBaseLosses(_ graph: OpGraph) {
        guard let base = graph.base, !base.losses.isEmpty else { return }
        for l in base.losses { addLoss(l) }
        base.clearLosses()
    }

    /// The forward function's output for one (possibly packed) input array, with the backward
    /// function as its gradient.
    private func callFunctions(_ inputs: Tensor, outputShape shape: [Int?], training: Bool) throws -> Tensor {
        let tape = GradientTape.active
        let values = weightValues()
        var outShape: [Int] = []
        for (i, d) in shape.enumerated() {
            if i == 0 { outShape.append(inputs.shape.first ?? 0); continue }
            guard let d, d >= 0 else {
                throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': the output shape \(formatShape(shape)) has an unknown dimension for input \(inputs.shape)")
            }
            outShape.append(d)
        }
        let out = Tensor(shape: outShape)
        let x = inputs.detached
        let plain = values.map(\.detached)
        try functions.forward(x, plain, training, out)
        guard let tape, tape.tracks(inputs) || values.contains(where: tape.tracks) else { return out }
        guard let backward = functions.backward else {
            throw KerasError.invalidState("\(pluginClassName) '\(name)' has no backward function, so gradients cannot pass through it: it can only be the first layer and must have no trainable weights (set trainable to false), or be used for inference only")
        }
        return try Ops.customGradient([out], inputs: [inputs] + values) { [pluginClassName, name] g in
            let dx = Tensor(shape: x.shape)
            let dws = plain.map { Tensor(shape: $0.shape) }
            do {
                try backward(x, plain, g[0], dx, dws)
            } catch let e as KerasError {
                throw e
            } catch {
                throw KerasError.callbackFailed("\(pluginClassName) '\(name)': backward failed: \(error)")
            }
            return [dx] + dws
        }[0]
    }

    /// The weights as the call reads them: trainable ones through the tape (they become leaves),
    /// others as constants.
    /// (The layers a traced call calls read their own weights through the tape.)
    private func weightValues() -> [Tensor] {
        guard GradientTape.active != nil, trainable else { return variables.map(\.storedValue) }
        return variables.map { $0.trainable ? $0.value : $0.storedValue }
    }

    /// The layers the traced call calls, under the attributes that hold them (Keras tracks a
    /// custom layer's attributes): their weights, losses and saved groups are this layer's too.
    /// A layer subclassing a built-in one holds the built-in's own sublayers first (an LSTM's
    /// `cell`), as Keras tracks them on the subclass.
    public override var hostedSublayers: [(name: String, layers: [Layer], isList: Bool)] {
        guard let graph else { return [] }
        return (graph.base?.trackedSublayers().attributes ?? []) + graph.sublayerAttributes
    }

    /// The traced call's seed generators (Keras: the layer's `SeedGenerator`s).
    public override var seedGenerators: [SeedGenerator] { (graph?.seedGenerators ?? []) + (graph?.base?.seedGenerators ?? []) }

    /// A layer subclassing a built-in one passes its flag on to it, as to the layers it calls.
    public override var trainable: Bool {
        didSet { graph?.base?.trainable = trainable }
    }

    /// The widths of the states of a traced cell (empty for a layer that is not one).
    public var stateSize: [Int] { graph?.stateWidths ?? [] }
    /// The width of a traced cell's output.
    public var outputSize: Int { (graph?.outputShape.last ?? nil) ?? 0 }

    /// One step of a traced cell (Keras: `cell.call(inputs, states, training)`).
    public func call(_ inputs: Tensor, states: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor]) {
        guard let graph, !graph.stateWidths.isEmpty else {
            throw KerasError.invalidArgument("\(pluginClassName) '\(name)' is used as a recurrent cell but is not one: a cell declares state_size and its call(inputs, states), written with keras.ops, returns (output, new_states)")
        }
        return try graph.runStep(inputs, states: states, weights: sequenceWeights ?? weightValues(), training: training)
    }

    /// A traced cell's `get_initial_state`, evaluated for one row and repeated `batch` times.
    public func initialStates(batch: Int) throws -> [Tensor]? {
        guard let graph, graph.hasInitialStates else { return nil }
        return try graph.runInitialStates(batch: batch, weights: sequenceWeights ?? weightValues())
    }

    public func beginSequence(batch: Int, features: Int, training: Bool) throws { sequenceWeights = weightValues() }

    public func endSequence() { sequenceWeights = nil }

    /// The plugin's config over the base layer's, but for `trainable`: the flag this layer has
    /// (a Python layer's attribute set after the model was made is read at compile, as Keras
    /// reads it, which remakes the model when the two differ).
    public override func getConfig() -> JSON {
        var c = super.getConfig()
        if let extra = try? functions.config?(), let pairs = extra.objectValue {
            for (k, v) in pairs where k != "trainable" { c.set(k, v) }
        }
        return c
    }
}
