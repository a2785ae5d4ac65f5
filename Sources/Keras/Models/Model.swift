/// A model: layers wired into a graph, with training and inference. Keras: `keras.Model`.
///
/// The functional API builds one from symbolic tensors:
/// ```swift
/// let inputs = Input(shape: [4])
/// let x = try Dense(8, activation: .relu)(inputs)
/// let outputs = try Dense(3, activation: .softmax)(x)
/// let model = try Model(inputs: inputs, outputs: outputs)
/// ```
open class Model: Layer, @unchecked Sendable {
    /// The symbolic inputs and outputs (functional models, and built Sequential models).
    @exclusivity(unchecked) public internal(set) var inputs: [KerasTensor] = []
    public internal(set) var outputs: [KerasTensor] = [] { didSet { graphChanged() } }
    /// Layer calls in execution order.
    var executionOrder: [GraphNode] = [] { didSet { graphChanged() } }
    /// The BatchNormalizations that fold into the layer before them at inference, found on
    /// first use for the current graph (see ``inferenceFolds(training:)``).
    var inferenceFolding: InferenceFolding?
    /// The convolutions that run fused with the pooling after them, found on first use for the
    /// current graph (see ``pooledConvRuns()``).
    var pooledConvFusion: PooledConvFusion?
    /// The masks the graph's MultiHeadAttention calls clear, found on first use for the
    /// current graph (see ``clearedMasks(training:)``).
    var clearedMasksFound = ClearedMasksFound()

    private func graphChanged() {
        inferenceFolding = nil
        pooledConvFusion = nil
        clearedMasksFound = ClearedMasksFound()
    }
    @exclusivity(unchecked) var layerList: [Layer] = []
    /// A functional model's layers and the Keras operations between them (``OperationLayer``),
    /// in Keras's order (its `model._operations`, which the summary lists); empty for a
    /// Sequential, whose operations are its layers.
    @exclusivity(unchecked) var operationList: [Layer] = []
    /// The layers a ``StepPlan`` would train, in order (a Sequential's layers, or a functional
    /// chain's: ``planChain(_:inputs:outputs:)``), and as a step plan reads them when they are
    /// of its shape; set whenever the graph is (re)built.
    @exclusivity(unchecked) var planChain: [Layer] = []
    @exclusivity(unchecked) var planLayers: PlanLayers?

    /// Compiled state: set by `compile`.
    @exclusivity(unchecked) var compiled: CompiledState?
    /// Set by a callback to end `fit` after the current batch or epoch. Keras: `model.stop_training`.
    @exclusivity(unchecked) public var stopTraining = false
    /// For a model traced from a Keras subclassed model (the Python binding's): the attributes
    /// that held its layers, by name (`self.dense`, a list `self.blocks`, and Keras's `layers`
    /// in tracking order), so that its weights files use Keras's paths for a subclassed model
    /// (`dense/vars`, `layers/dense_1/vars`) instead of a functional model's. Set from the
    /// functional config's `subclass_attributes`.
    public internal(set) var subclassAttributes: [(name: String, layers: [Layer], isList: Bool)]?
    /// For a model traced from a registered Keras subclassed model nested in another model: the
    /// entry Keras writes for it (`{"module", "class_name", "config", "registered_name"}`, the
    /// class's own config). A `.keras` archive names the class with it (real Keras rebuilds the
    /// model from its class) and holds its weights in the subclass's layout under its class's
    /// name (`layers/my_block/dense/vars`), as Keras's archive does. Set from the functional
    /// config's `keras_class`.
    public internal(set) var kerasClassEntry: JSON?
    /// For a functional model whose outputs are a dict (Keras's `Model(x, {"a": ya, "b": yb})`):
    /// its keys in the order its config writes them; `outputs` follow the keys sorted, as Keras
    /// flattens the dict. Read from and written back as the config's `output_layers` object.
    public internal(set) var outputKeys: [String]?
    /// The history of the last `fit`.
    public internal(set) var history: History?
    /// The tape reused by every training step, so that its node storage stays warm.
    let tape = GradientTape()
    /// Flags of the running loop.
    final class FitState {
        var fitting = false
        /// The epoch a callback asks `fit` to start from, read after `onTrainBegin` (Keras's
        /// `model._initial_epoch`, which BackupAndRestore sets).
        var resumeEpoch: Int?
        /// The training forward pass a recorded step waits to finish (Model+RecordedStep).
        var recorded: RecordedForward?
        /// How many forward passes were recorded: each one's id.
        var recordedCount = 0
        /// The tape recorded steps reuse, so that its node storage stays warm.
        let recordingTape = GradientTape()
    }
    let fitState = FitState()

    /// A functional model from symbolic inputs to symbolic outputs.
    public init(inputs: [KerasTensor], outputs: [KerasTensor], name: String? = nil) throws {
        super.init(name: name ?? LayerNames.unique(for: "functional"))
        computesMasksInCall = true
        try setGraph(inputs: inputs, outputs: outputs)
    }

    /// A functional model with one input and one output.
    public convenience init(inputs: KerasTensor, outputs: KerasTensor, name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: [outputs], name: name)
    }

    /// A functional model with one input and several outputs.
    public convenience init(inputs: KerasTensor, outputs: [KerasTensor], name: String? = nil) throws {
        try self.init(inputs: [inputs], outputs: outputs, name: name)
    }

    /// A functional model with several inputs and one output.
    public convenience init(inputs: [KerasTensor], outputs: KerasTensor, name: String? = nil) throws {
        try self.init(inputs: inputs, outputs: [outputs], name: name)
    }

    /// For subclasses (Sequential) that manage their own graph.
    init(name: String, inputShape: [Int]? = nil) {
        super.init(name: name)
        computesMasksInCall = true
    }

    open override var className: String { "Functional" }

    /// The functional config (layers with inbound nodes, input and output layers). Keras: `get_config()`.
    open override func getConfig() -> JSON { functionalConfig() }

    /// Orders the layer calls between `inputs` and `outputs` and checks they are connected.
    func setGraph(inputs: [KerasTensor], outputs: [KerasTensor]) throws {
        guard !inputs.isEmpty, !outputs.isEmpty else {
            throw KerasError.invalidArgument("Model '\(name)': needs at least one input and one output")
        }
        for i in inputs where !(i.layer is InputLayer) {
            throw KerasError.invalidArgument("Model '\(name)': input '\(i.name)' is not an Input (made by Input(shape:))")
        }
        var order: [GraphNode] = []
        var seen = Set<ObjectIdentifier>()
        var visiting = Set<ObjectIdentifier>()
        var firstSeen: [ObjectIdentifier: Int] = [:]   // layer -> when the walk first met it
        func visit(_ t: KerasTensor) throws {
            guard let node = t.node else {
                throw KerasError.invalidArgument("Model '\(name)': tensor '\(t.name)' was not produced by a layer")
            }
            let id = ObjectIdentifier(node)
            if seen.contains(id) { return }
            guard !visiting.contains(id) else { throw KerasError.invalidArgument("Model '\(name)': the graph has a cycle") }
            visiting.insert(id)
            if firstSeen[ObjectIdentifier(node.layer)] == nil { firstSeen[ObjectIdentifier(node.layer)] = firstSeen.count }
            if node.layer is InputLayer {
                guard inputs.contains(where: { $0 === t }) else {
                    throw KerasError.invalidArgument("Model '\(name)': output depends on input '\(t.name)', which is not among the model's inputs")
                }
            }
            for i in node.dependencies { try visit(i) }
            visiting.remove(id)
            seen.insert(id)
            order.append(node)
        }
        for o in outputs { try visit(o) }
        for i in inputs {
            guard let node = i.node else { continue }
            if seen.insert(ObjectIdentifier(node)).inserted { order.insert(node, at: 0) }
        }
        self.inputs = inputs
        self.outputs = outputs
        executionOrder = order
        // (Keras lists layers, not the operations between them.)
        operationList = Self.kerasLayerOrder(order, firstSeen: firstSeen)
        layerList = operationList.filter { !($0 is OperationLayer) }
        built = true
        buildInputShape = inputs.first?.shape
        planChain = Self.planChain(order, inputs: inputs, outputs: outputs) ?? []
        planLayers = planChain.isEmpty ? nil : PlanLayers(planChain, inputShape: inputs[0].shape, dense: nil)
    }

    /// Replaces the activation of the layer at `path` (its name, or names down through nested
    /// layers joined by `/`): Keras's `model.layers[-1].activation = None` on a built model.
    /// The model's fused plans, and its nested models', are read again; another model holding
    /// the layer sees the new activation too (its plans made before are no longer used).
    public func setActivation(ofLayer path: String, to activation: ActivationFunction) throws {
        try nestedLayer(path: path).setActivation(activation)
        readPlans()
        for case let m as Model in layers where m.built { m.readPlans() }
    }

    /// Reads the fused plans again for the layers' current weights (after ``quantize(_:)``
    /// replaced kernels).
    func readPlans() {
        if let s = self as? Sequential { return s.setPlans() }
        planLayers = planChain.isEmpty || inputs.isEmpty ? nil : PlanLayers(planChain, inputShape: inputs[0].shape, dense: nil)
    }

    /// Keras's order of a functional model's layers (its `map_graph`, which `model.layers`,
    /// the summary and the weights list follow): by depth from the outputs, deepest (the
    /// inputs) first, and at equal depth in the order the walk from the outputs first met them
    /// (an input no output depends on last among the inputs, as Keras's index -1).
    static func kerasLayerOrder(_ order: [GraphNode], firstSeen: [ObjectIdentifier: Int]) -> [Layer] {
        let depths = KerasGraphDepths(order)
        func key(_ l: Layer) -> (Int, Int, Int) {
            let id = ObjectIdentifier(l)
            return (-(depths.layerDepth[id] ?? 0), firstSeen[id] ?? -1, depths.layerMet[id] ?? 0)
        }
        return depths.layers.sorted { key($0) < key($1) }
    }

    // MARK: Layers and shapes

    /// The layers, in the order they run (functional models include their `InputLayer`s).
    open var layers: [Layer] { layerList }

    /// The layer named `name`. Keras: `get_layer(name=...)`.
    public func getLayer(name: String) throws -> Layer {
        guard let l = layers.first(where: { $0.name == name }) else {
            throw KerasError.invalidArgument("No such layer: \(name). Existing layers are: \(layers.map(\.name))")
        }
        return l
    }

    /// The layer at `index` in `layers`. Keras: `get_layer(index=...)`.
    public func getLayer(index: Int) throws -> Layer {
        let ls = layers
        guard index >= 0 && index < ls.count else {
            throw KerasError.invalidArgument("Was asked to retrieve layer at index \(index) but model only has \(ls.count) layers")
        }
        return ls[index]
    }

    /// The input shape, batch first (nil where unknown). With several inputs, the first.
    public var inputShape: [Int?]? { inputs.first?.shape }
    /// The output shape, batch first. With several outputs, the first.
    public var outputShape: [Int?]? { outputs.first?.shape }
    /// All input shapes.
    public var inputShapes: [[Int?]] { inputs.map(\.shape) }
    /// All output shapes.
    public var outputShapes: [[Int?]] { outputs.map(\.shape) }

    /// A model's sublayers are its layers: weights, losses and `trainable` recurse through them.
    public override var sublayers: [Layer] { layers }

    // MARK: Running

    /// Builds a model that was created without input shapes, from the shapes of real data, whose
    /// first batch has `batchSize` rows at most (fit, evaluate and predict's batch size; a call
    /// takes all the rows at once).
    open func ensureBuilt(for xs: [Tensor], batchSize: Int? = nil) throws {}

    /// Runs the graph on `xs`, one tensor per input.
    open func forward(_ xs: [Tensor], training: Bool) throws -> [Tensor] {
        try forward(xs, masks: nil, training: training).outputs
    }

    /// Runs the graph on `xs` with the inputs' masks (nil: none), propagating masks from layer
    /// to layer as Keras does; returns the outputs and their masks (nil when no output has one).
    /// Layers called inside without a training flag of their own inherit `training`.
    open func forward(_ xs: [Tensor], masks: [Tensor?]?, training: Bool) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        guard xs.count == inputs.count else {
            throw KerasError.invalidArgument("Model '\(name)' expects \(inputs.count) input(s), got \(xs.count)")
        }
        return try CallContext.with(training: training) { try runGraph(xs, masks: masks, training: training) }
    }

    /// The graph run on `xs`; `training` nil is Keras's `training=None`: each call recorded with
    /// a `training=` argument (`base(x, training=False)`) runs with it, the others in inference
    /// (a nested model's recorded calls apply inside it), without folding or fusing.
    func runGraph(_ xs: [Tensor], masks inputMasks: [Tensor?]?, training: Bool?) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        // A step's own model: each layer drops its previous call's losses (CallContext.steppingModel).
        let stepEntry = CallContext.takeStepEntry()
        // The outputs (and masks, once any exists) of every node that ran, by node.
        var values: [ObjectIdentifier: [Tensor]] = [:]
        var masks: [ObjectIdentifier: [Tensor?]] = [:]
        for (i, (kt, given)) in zip(inputs, xs).enumerated() {
            let x = try adjustedRank(given, to: kt.shape)
            try checkInput(x, against: kt.shape, what: "input '\(kt.name)'")
            guard let node = kt.node else { continue }
            values[ObjectIdentifier(node)] = [x]
            if let m = inputMasks, i < m.count, let mi = m[i] { masks[ObjectIdentifier(node)] = [mi] }
        }
        func lookup<T>(_ table: [ObjectIdentifier: [T]], _ kt: KerasTensor) -> T? {
            guard let node = kt.node, let vs = table[ObjectIdentifier(node)], kt.tensorIndex < vs.count else { return nil }
            return vs[kt.tensorIndex]
        }
        func value(of kt: KerasTensor) throws -> Tensor {
            guard let v = lookup(values, kt) else {
                throw KerasError.invalidState("Model '\(name)': no value for tensor '\(kt.name)'")
            }
            return v
        }
        let folds = training.flatMap { inferenceFolds(training: $0) }, runs = training == nil ? nil : pooledConvRuns()
        let cleared = clearedMasks(training: training)
        // The mask input `i` of `node` carries when it runs, less those Keras's
        // MultiHeadAttention calls cleared before.
        func carried(_ node: GraphNode, _ i: Int) -> Tensor? {
            cleared.cleared(node, input: i) ? nil : lookup(masks, node.inputs[i]) ?? nil
        }
        var builtMasks = BuiltMasks<Tensor>(cleared)   // (where an attention cleared a mask)
        func runMask(_ kt: KerasTensor) -> Tensor? { lookup(masks, kt) ?? nil }
        // A mask given as a tensor (`layer(x, mask=m)`, a config's record): kept where nonzero.
        func givenMask(_ kt: KerasTensor) throws -> Tensor {
            1 - (try Ops.equal(value(of: kt), Tensor(0)))
        }
        for node in executionOrder where !(node.layer is InputLayer) {
            let id = ObjectIdentifier(node)
            // A layer folded or fused into the one before it (which computed its value).
            if folds != nil || runs != nil, values[id] != nil { continue }
            let args = try node.inputs.map(value(of:))
            var given: [Tensor?]?
            if let explicit = node.masks {   // `layer(x, mask=m)`: m, kept where nonzero
                given = try explicit.map { try $0.map(givenMask) }
                if node.layer is Model, let g = given {
                    given = Model.masksSetOnInputs(g, inputs: node.inputs) { cleared.cleared($0, at: node) ? nil : lookup(masks, $0) ?? nil }
                }
            } else if node.recordsBuiltMask {   // (as Keras's node records it)
                if let m = builtMasks.mask(node.inputs[0], carried: runMask) { given = [m] }
            } else if node.attentionMasks != nil {   // (an attention call's recorded masks)
                let argMasks = try node.inputs.indices.map { i in
                    try node.recordedAttentionMask(i).map(givenMask) ?? carried(node, i)
                }
                if argMasks.contains(where: { $0 != nil }) { given = argMasks }
            } else if !masks.isEmpty {
                let argMasks = node.inputs.indices.map { carried(node, $0) }
                if argMasks.contains(where: { $0 != nil }) { given = argMasks }
            }
            if given == nil, let fold = folds?.byLayerNode[id], let out = try fold.call(args[0]) {
                values[id] = [out]
                values[fold.bnNode] = [out]
                continue
            }
            if given == nil, let training, let run = runs?.byNode[id], let out = run.call(args[0], training: training) {
                // Nothing else reads the convolution's (or the BatchNormalization's) output.
                values[id] = []
                for later in run.nodes.dropLast() { values[later] = [] }
                if let last = run.nodes.last { values[last] = [out] }
                continue
            }
            if let keywords = node.callKeywords { try node.layer.applyCallKeywordArguments(keywords) }
            if stepEntry { node.layer.clearAllLosses() }
            let (outs, outMasks) = try training.map { try node.layer.callWithMasks(args, masks: given, training: $0) }
                ?? node.layer.callWithRecordedTraining(args, masks: given, node.training)
            values[id] = outs
            if let outMasks { masks[id] = outMasks }
            if let ins = builtMasks.inputs(of: node, given: given, carried: runMask) {
                builtMasks.set(node, try node.layer.outputMasks(args, count: outs.count, masks: ins)
                                   ?? Array(repeating: nil, count: outs.count))
            }
        }
        let outs = try outputs.map { kt in
            guard let v = lookup(values, kt) else {
                throw KerasError.invalidState("Model '\(name)': output '\(kt.name)' was not computed")
            }
            return v
        }
        let outMasks: [Tensor?] = outputs.map { cleared.clearedAfterRun($0) ? nil : lookup(masks, $0) ?? nil }
        return (outs, outMasks.contains { $0 != nil } ? outMasks : nil)
    }

    /// Keras's `Functional._adjust_input_rank`: data one rank short of an input whose last
    /// dimension is 1 gains that axis (strings of shape (n,) for `Input(shape=(1,))`), data one
    /// rank over with a last axis of 1 loses it; any other rank is left to `checkInput`.
    func adjustedRank(_ x: Tensor, to shape: [Int?]) throws -> Tensor {
        if x.rank == shape.count + 1, x.shape.last == 1 { return try Ops.reshape(x, Array(x.shape.dropLast())) }
        if x.rank + 1 == shape.count, shape.last == 1 { return try Ops.reshape(x, x.shape + [1]) }
        return x
    }

    /// Checks a data tensor against a declared batch shape, all but its batch size: Keras's
    /// `Functional.input_spec` drops the batch (a Sequential built by its first fit batch
    /// records that batch's size in its `batch_shape`, and still takes any batch size; a
    /// stateful RNN checks its own).
    func checkInput(_ x: Tensor, against shape: [Int?], what: String) throws {
        let spec = shape.isEmpty ? shape : [nil] + shape.dropFirst()
        let ok = x.rank == spec.count && zip(x.shape, spec).allSatisfy { $1 == nil || $0 == $1! }
        guard ok else {
            throw KerasError.shapeMismatch("Model '\(name)': \(what) expects shape \(formatShape(spec)), got data of shape \(x.shape)")
        }
    }

    open override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try singleOutput(forward([inputs], training: training))
    }

    open override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        try singleOutput(forward(inputs, training: training))
    }

    open override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        try forward(inputs, masks: mask, training: training).outputs
    }

    /// A nested model's outputs carry the masks its own graph computed (Keras keeps masks a
    /// call already attached).
    override func runCall(_ inputs: [Tensor], masks: [Tensor?]?, training: Bool) throws -> ([Tensor], [Tensor?]?) {
        try forward(inputs, masks: masks, training: training)
    }

    open override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard let s = outputs.first?.shape else { throw KerasError.invalidState("Model '\(name)' is not built") }
        return s
    }

    open override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        guard !outputs.isEmpty else { throw KerasError.invalidState("Model '\(name)' is not built") }
        return outputs.map(\.shape)
    }

    /// The number of weight values in the model.
    public override func countParams() throws -> Int {
        guard built else {
            throw KerasError.invalidState("Model '\(name)' is not built yet: give the first layer an input shape or call it on data")
        }
        return weights.reduce(0) { $0 + $1.count }
    }
}
