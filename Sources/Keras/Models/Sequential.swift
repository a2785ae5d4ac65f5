/// A linear stack of layers. Keras: `keras.Sequential`.
///
/// ```swift
/// let model = Sequential([
///     Dense(8, activation: .relu, inputShape: [4]),
///     Dense(3, activation: .softmax),
/// ])
/// ```
/// When no layer declares an input shape, the model builds itself on the first data it sees.
public final class Sequential: Model, @unchecked Sendable {
    @exclusivity(unchecked) private var stack: [Layer] = []
    /// The model's input tensor; owns the input layer through its node.
    private var inputTensor: KerasTensor?
    private var inputLayer: InputLayer? { inputTensor?.layer as? InputLayer }
    /// The layers read from a config entry with a `build_config`: Keras builds them as it
    /// deserializes them, before the model holds them, so their weights are named from the root
    /// (`dense/kernel` in a loaded Sequential, not `sequential/dense/kernel`).
    var builtWhenRead: Set<ObjectIdentifier> = []

    /// `layer(input)`, in this model's name scope unless the layer was built as it was read.
    private func callInScope(_ layer: Layer, _ input: KerasTensor) throws -> KerasTensor {
        guard builtWhenRead.contains(ObjectIdentifier(layer)) else {
            return try NameScope.run(self) { try layer(input) }
        }
        let depth = NameScope.openRoot()
        defer { try? NameScope.closeRoot(depth) }
        return try layer(input)
    }
    /// The layers as a ``DenseStack`` when they are one, set whenever the graph is (re)built.
    @exclusivity(unchecked) private(set) var inferenceStack: InferenceStack?

    public init(_ layers: [Layer] = [], name: String? = nil) throws {
        super.init(name: name ?? LayerNames.unique(for: "sequential"))
        built = false
        for l in layers { try add(l) }
    }

    public override var className: String { "Sequential" }

    /// The layers, without the input layer (as Keras lists them).
    public override var layers: [Layer] { stack }

    /// Appends a layer. An `InputLayer` (or a first layer with an input shape) fixes the input
    /// shape, and every layer is then built as it is added.
    public func add(_ layer: Layer) throws {
        try refuseWhileFitting("add a layer ('\(layer.name)')")
        if let input = layer as? InputLayer {
            guard stack.isEmpty, inputLayer == nil else {
                throw KerasError.invalidArgument("Sequential '\(name)': an InputLayer can only be the first layer")
            }
            inputTensor = input.makeOutput()
            return
        }
        if let model = layer as? Model, model === self {
            throw KerasError.invalidArgument("Sequential '\(name)': cannot add a model to itself")
        }
        if stack.contains(where: { $0 === layer }) {
            throw KerasError.invalidArgument("Sequential '\(name)': layer '\(layer.name)' is already in the model")
        }
        if stack.isEmpty, inputLayer == nil, let shape = layer.batchInputShape {
            inputTensor = InputLayer(batchShape: shape, name: LayerNames.unique(for: "input_layer")).makeOutput()
        }
        if built, let last = outputs.first {
            Self.noteInputMask(of: layer, after: executionOrder)
            let out = try callInScope(layer, last)
            try Self.noteNestedInputMask(of: layer, after: executionOrder)
            stack.append(layer)
            outputs = [out]
            if let node = out.node { executionOrder.append(node) }
            layerList = stack
            setPlans()
        } else {
            stack.append(layer)
            if let inputTensor {
                do {
                    try rebuildGraph(from: inputTensor)
                } catch {
                    stack.removeLast()
                    throw error
                }
            }
        }
    }

    /// A callback must not change the model that is training (its optimizer and compiled
    /// graph hold the current layers).
    private func refuseWhileFitting(_ what: String) throws {
        guard !isFitting else {
            throw KerasError.invalidState("Sequential '\(name)': cannot \(what) while the model is being fit (from a callback?); change the model before or after fit")
        }
    }

    /// Removes the last layer. Keras: `pop()`.
    @discardableResult
    public func pop() throws -> Layer {
        try refuseWhileFitting("remove a layer")
        guard let last = stack.popLast() else {
            throw KerasError.invalidState("Sequential '\(name)': there are no layers to remove")
        }
        if let inputTensor, !stack.isEmpty { try rebuildGraph(from: inputTensor) } else { built = false; inputs = []; outputs = []; inferenceStack = nil; planLayers = nil; planChain = [] }
        return last
    }

    /// Calls every layer symbolically from the input, which builds them and fixes the shapes.
    private func rebuildGraph(from input: KerasTensor) throws {
        var t = input
        var order: [GraphNode] = input.node.map { [$0] } ?? []
        for l in stack {
            Self.noteInputMask(of: l, after: order)
            t = try callInScope(l, t)
            try Self.noteNestedInputMask(of: l, after: order)
            if let node = t.node { order.append(node) }
        }
        inputs = [input]
        outputs = [t]
        executionOrder = order
        layerList = stack
        built = true
        buildInputShape = input.shape
        setPlans()
    }

    /// Tells a layer written in Python, before it is built, whether its input carries a mask
    /// after the calls `nodes` (Keras's call gets None where it does not), as a functional
    /// config's nodes tell it.
    private static func noteInputMask(of layer: Layer, after nodes: [GraphNode]) {
        guard let plugin = layer as? CallbackLayer, let carried = carriedMask(after: nodes) else { return }
        plugin.noteCall(inputsCarryMasks: [carried])
    }

    /// Tells a nested model, once called, that its input carries a mask after the calls `nodes`
    /// (Keras's call passes the mask to its layers), ``Model/noteInputsCarryMasks(_:)``.
    private static func noteNestedInputMask(of layer: Layer, after nodes: [GraphNode]) throws {
        guard let model = layer as? Model, carriedMask(after: nodes) == true else { return }
        try model.noteInputsCarryMasks([true])
    }

    /// Whether the input of a layer called after `nodes` carries a mask; nil when not known.
    private static func carriedMask(after nodes: [GraphNode]) -> Bool? {
        var chain = SymbolicMaskChain()
        for node in nodes {
            if let input = node.inputs.first { chain.pass(through: node.layer, input: input.shape) }
        }
        return chain.carried
    }

    /// Reads the layers' plans (inference and training) for the graph just built.
    func setPlans() {
        let shape = inputs.first?.shape
        inferenceStack = InferenceStack(stack, inputShape: shape)
        planChain = stack
        planLayers = PlanLayers(stack, inputShape: shape, dense: inferenceStack)
    }

    /// Builds from the shape of the first data seen, when no input shape was given, and records
    /// the size of its first batch (``recordFirstBatch(_:)``), as Keras's Sequential does.
    public override func ensureBuilt(for xs: [Tensor], batchSize: Int? = nil) throws {
        if built { return }
        guard !stack.isEmpty else {
            throw KerasError.invalidState("Sequential '\(name)' has no layers; add layers before using it")
        }
        guard xs.count == 1, let x = xs.first, x.rank >= 1 else {
            throw KerasError.invalidArgument("Sequential '\(name)' takes one input tensor with a batch dimension")
        }
        let input = InputLayer(shape: x.shape.dropFirst().map { Optional($0) }, name: LayerNames.unique(for: "input_layer")).makeOutput()
        try rebuildGraph(from: input)
        inputTensor = input
        try recordFirstBatch(Swift.min(x.shape[0], batchSize ?? x.shape[0]))
    }

    /// Records `batch`, the size of the first batch that built the model, as the batch size of
    /// its input (Keras's Sequential built by its first data, by fit, predict, evaluate or a
    /// call, keeps that batch's shape: its summary shows `(8, 32)`, `model.inputs[0].shape` and
    /// the saved `batch_shape` have the 8). The graph's shapes are computed again from an input
    /// of that batch, under the input layer's name; the layers, built for any batch, are not
    /// built again (a traced Python layer still runs at any batch), and the input check leaves
    /// the batch out (``checkInput(_:against:what:)``), as Keras's input_spec. Nothing where the
    /// input's batch size is known already or `batch` is not positive.
    public func recordFirstBatch(_ batch: Int) throws {
        guard batch > 0, let input = inputLayer, let shape = inputTensor?.shape, shape.count >= 1, shape[0] == nil else { return }
        let recorded = InputLayer(batchShape: [batch] + shape.dropFirst(), dtype: input.dtype, name: input.name).makeOutput()
        try rebuildGraph(from: recorded)
        inputTensor = recorded
    }

    /// Builds the model for `inputShape` (batch first). Keras: `model.build(input_shape)`.
    public func build(inputShape: [Int?]) throws {
        let input = InputLayer(batchShape: inputShape, name: LayerNames.unique(for: "input_layer")).makeOutput()
        try rebuildGraph(from: input)
        inputTensor = input
    }

    public override func forward(_ given: [Tensor], masks: [Tensor?]?, training: Bool) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        var xs = given
        if xs.count == 1, let shape = inputs.first?.shape { xs[0] = try adjustedRank(xs[0], to: shape) }
        // Inference of a Dense stack with no tape to record on: the precomputed plan.
        if !training, masks == nil, xs.count == 1, GradientTape.active == nil, let out = predictWithPlan(xs[0]) {
            return ([out], nil)
        }
        try ensureBuilt(for: xs)
        guard xs.count == 1 else {
            throw KerasError.invalidArgument("Sequential '\(name)' takes one input, got \(xs.count)")
        }
        if let shape = inputs.first?.shape { try checkInput(xs[0], against: shape, what: "the input") }
        // A step's own model: each layer drops its previous call's losses (CallContext.steppingModel).
        let stepEntry = CallContext.takeStepEntry()
        return try CallContext.with(training: training) {
            var x = xs[0]
            var mask = masks?.first ?? nil
            let folds = inferenceFolds(training: training)
            let runs = pooledConvRuns()
            var skipThrough = -1  // the last layer fused into one before it
            for (i, l) in stack.enumerated() {
                if i <= skipThrough { continue }
                if mask == nil, let fold = folds?.byLayer[ObjectIdentifier(l)], i + 1 < stack.count, stack[i + 1] === fold.bn,
                   let out = try fold.call(x) {
                    x = out
                    skipThrough = i + 1
                    continue
                }
                if mask == nil, let run = runs?.byLayer[ObjectIdentifier(l)], run.follows(i, in: stack),
                   let out = run.call(x, training: training) {
                    x = out
                    skipThrough = i + run.layers.count
                    continue
                }
                if stepEntry { l.clearAllLosses() }
                if mask == nil, !l.computesMasksInCall {
                    // The fast path: no arrays; a layer that supports masking may start a mask.
                    let input = x
                    x = try l.callEager(single: input, training: training)
                    if l.supportsMasking { mask = try l.computeMask(input, mask: nil) }
                } else {
                    let (outs, outMasks) = try l.callWithMasks([x], masks: mask.map { [$0] }, training: training)
                    x = try l.singleOutput(outs)
                    mask = outMasks?.first ?? nil
                }
            }
            return ([x], mask.map { [$0] })
        }
    }

    public override func getConfig() -> JSON {
        var layerConfigs: [JSON] = []
        if let inputLayer { layerConfigs.append(serializedLayer(inputLayer, legacy: false)) }
        for l in stack { layerConfigs.append(serializedLayer(l, legacy: false)) }
        var c: JSON = ["name": .string(name), "trainable": .bool(trainable), "dtype": Layer.dtypePolicy,
                       "layers": .array(layerConfigs)]
        if let shape = inputLayer?.batchShape {
            c.set("build_input_shape", .array(shape.map { $0.map { .int($0) } ?? .null }))
        }
        return c
    }
}

/// Whether the input of a layer of a Sequential carries a mask, as Keras's symbolic calls know
/// it: none at the input; after each layer the mask its `computeMask` gives (a layer that
/// does not support masking drops it), computed on zeros of the layer's input shape. Unknown
/// from a layer that computes its masks in its call (a nested model, a layer written in
/// Python) on.
struct SymbolicMaskChain {
    private var mask: Tensor?
    private var known = true

    /// Whether the next layer's input carries a mask; nil when not known.
    var carried: Bool? { known ? mask != nil : nil }

    mutating func pass(through layer: Layer, input shape: [Int?]) {
        guard known else { return }
        guard !layer.computesMasksInCall, !(layer is CallbackLayer) else {
            known = false
            return
        }
        guard layer.supportsMasking else {
            if !layer.returnsItsInput(shape) { mask = nil }
            return
        }
        do {
            mask = try layer.computeMask(Tensor(shape: shape.map { $0 ?? 1 }), mask: mask)
        } catch {
            known = false   // (its mask is then computed when it runs)
        }
    }
}
