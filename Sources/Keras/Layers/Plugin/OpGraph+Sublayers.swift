/// Layers called inside a traced call (Keras: a custom layer whose `call` calls the layers held
/// in its attributes, `self.att(x, x)`, `self.ffn(h)`): each call is a node of the graph that runs
/// the layer eagerly, so its weights are read through the tape and get their gradients from the
/// library's autodiff. The layers are the traced layer's sublayers (``Layer/hostedSublayers``):
/// their weights, losses and saved groups (`att/vars`, `ffn/layers/dense/vars`) belong to it, as
/// Keras tracks a layer's attributes.
extension OpGraph {
    /// A layer the traced call calls, under the attribute of the calling layer that holds it.
    public struct Sublayer {
        /// Keras's attribute name (`att`, `blocks` for a list).
        public let attribute: String
        /// The attribute's position among the calling layer's attributes: the tracking order
        /// (Keras lists a layer's weights by it), whatever the order of the calls.
        public let order: Int
        /// Its position in a list attribute; nil for an attribute holding one layer.
        public let index: Int?
        public let layer: Layer
    }

    /// The sublayer held at (`attribute`, `index`): the one already called in this trace, else
    /// the one a rebuilt layer had there (of the same class), else `make()`.
    public func sublayer(attribute: String, order: Int, index: Int?, make: () throws -> Layer) throws -> Layer {
        try tracing("layer call")
        guard !attribute.isEmpty else { throw KerasError.invalidArgument("op graph: a called layer needs the attribute that holds it") }
        if let s = sublayers.first(where: { $0.attribute == attribute && $0.index == index }) { return s.layer }
        let made = try make()
        let layer = earlierSublayers.first { $0.attribute == attribute && $0.index == index && $0.layer.className == made.className }?.layer ?? made
        sublayers.append(Sublayer(attribute: attribute, order: order, index: index, layer: layer))
        return layer
    }

    /// A call of `layer` (from ``sublayer(attribute:order:index:make:)``) on nodes `inputs` as a
    /// node: its output. `training` nil: the traced layer's own training flag of each step.
    /// The layer is built here, by its first call (on the trace's probe values).
    public func addLayerCall(_ layer: Layer, _ inputs: [Int], training: Bool?) throws -> Int {
        let nodes = try addLayerCall(layer, inputs, arguments: LayerCallArguments(), training: training)
        guard nodes.count == 1 else {
            throw KerasError.invalidArgument("\(layer.className) '\(layer.name)' returns \(nodes.count) tensors; call it with its arguments (keras_layer_builder_layer_call)")
        }
        return nodes[0]
    }

    /// What a traced call passes a called layer besides its tensors (Keras's call keywords):
    /// a mask node per input (nil: none; Keras's `mask=`), the explicit `attention_mask` of
    /// `MultiHeadAttention`, and the plain keyword values (`use_causal_mask`,
    /// `return_attention_scores`).
    public struct LayerCallArguments {
        public var masks: [Int?]
        public var attentionMask: Int?
        public var keywords: JSON

        public init(masks: [Int?] = [], attentionMask: Int? = nil, keywords: JSON = .object([])) {
            self.masks = masks
            self.attentionMask = attentionMask
            self.keywords = keywords
        }
    }

    /// A call of `layer` on nodes `inputs` with `arguments` (masks, `attention_mask`, keyword
    /// values, as Keras's `self.att(q, v, attention_mask=m, use_causal_mask=True,
    /// return_attention_scores=True)` or `self.lstm(x, initial_state=[h, c], mask=m)`, the states
    /// following the sequence in `inputs`): one node per output of the call, in order.
    public func addLayerCall(_ layer: Layer, _ inputs: [Int], arguments: LayerCallArguments, training: Bool?) throws -> [Int] {
        try tracing("layer call")
        guard sublayers.contains(where: { $0.layer === layer }) else {
            throw KerasError.invalidArgument("op graph: layer '\(layer.name)' is not a sublayer of the traced layer")
        }
        guard !inputs.isEmpty else { throw KerasError.invalidArgument("op graph: layer '\(layer.name)' was called on no inputs") }
        guard arguments.masks.count <= inputs.count else {
            throw KerasError.invalidArgument("op graph: layer '\(layer.name)' was given \(arguments.masks.count) masks for \(inputs.count) inputs")
        }
        let what = "call of layer '\(layer.name)'"
        let ids = try inputs.map { try node($0, what) }
        let maskIds = try arguments.masks.map { try $0.map { try node($0, what) } }
        let attentionId = try arguments.attentionMask.map { try node($0, what) }
        let n = ids.count
        // The op's inputs: the tensors, then the masks given, then the attention mask.
        var slots: [Int?] = [], next = n
        for m in maskIds {
            slots.append(m == nil ? nil : next)
            if m != nil { next += 1 }
        }
        let attentionSlot: Int? = attentionId == nil ? nil : next
        func masksOf(_ xs: [Tensor]) -> [Tensor?]? {
            slots.isEmpty ? nil : (0..<n).map { k in k < slots.count ? slots[k].map { xs[$0] } : nil }
        }
        let body: ([Tensor], Bool) throws -> [Tensor]
        let label = "\(layer.className) '\(layer.name)'"
        if let mha = layer as? MultiHeadAttention {
            let kw = try AttentionMasks.read(arguments.keywords, ignoring: [], layer: label)
            let causal = kw.causal ?? false, scores = kw.scores ?? false
            guard n == 2 || n == 3 else { throw KerasError.invalidArgument("\(label) takes query, value and an optional key, got \(n) tensors") }
            body = { xs, t in
                let m = masksOf(xs) ?? []
                let r = try mha.call(query: xs[0], value: xs[1], key: n == 3 ? xs[2] : nil,
                                     attentionMask: attentionSlot.map { xs[$0] },
                                     queryMask: m.first ?? nil, valueMask: m.count > 1 ? m[1] : nil,
                                     keyMask: m.count > 2 ? m[2] : nil, useCausalMask: causal, training: t)
                return scores ? [r.output, r.scores] : [r.output]
            }
        } else if let attention = layer as? BaseAttention {
            guard attentionId == nil else { throw KerasError.invalidArgument("\(label) takes no attention_mask (MultiHeadAttention does)") }
            let kw = try AttentionMasks.read(arguments.keywords, ignoring: [], layer: label)
            let causal = kw.causal ?? false, scores = kw.scores ?? false
            body = { xs, t in
                let r = try attention.call(Array(xs[0..<n]), masks: masksOf(xs), useCausalMask: causal, training: t)
                return scores ? [r.output, r.scores] : [r.output]
            }
        } else {
            guard attentionId == nil else { throw KerasError.invalidArgument("\(label) takes no attention_mask (MultiHeadAttention does)") }
            try layer.applyCallKeywordArguments(arguments.keywords)
            let keywords = arguments.keywords, perCall = layer.callKeywordsPerNode
            body = { xs, t in
                if perCall { try layer.applyCallKeywordArguments(keywords) }   // (this call's, not another's)
                return try layer.callMultiple(Array(xs[0..<n]), masks: masksOf(xs), training: t).outputs
            }
        }
        let all = ids + maskIds.compactMap { $0 } + (attentionId.map { [$0] } ?? [])
        if let plugin = layer as? CallbackLayer {
            // Keras's call gets the `mask=` the traced call gives it, any tensor (None where it
            // gives none): the layer's own trace reads masks of those shapes, and no others.
            let given = (0..<n).map { k in k < maskIds.count ? maskIds[k] : nil }
            plugin.noteCall(inputsCarryMasks: given.map { $0 != nil })
            plugin.givenMaskShapes = given.map { $0.map(symbolicShape) }
            plugin.callProbes = callProbes(ids, masks: given)
        }
        if !layer.built {
            // Keras builds the layer for the symbolic shapes of its inputs: unknown only on the
            // axes that follow the batch (those the two probes, of different batch sizes,
            // differ on), which need not be the first (a layer called on a transposed tensor,
            // its nodes first: keras.io's traffic forecasting GraphConv). An eager call would
            // take the first axis for the batch.
            try layer.ensureBuilt(ids.map(symbolicShape))
        }
        // The probes run in inference mode whatever the call's `training`: they are not steps, so
        // they move no state (a BatchNormalization's moving statistics, a Dropout's generator,
        // which a call with training=True would move once per probe), nor the generators a
        // layer written in Python draws from in any mode (its random ops, at any depth).
        let p = try SeedGenerator.keepingStates(of: layer.allSeedGenerators.map(\.generator),
                                                takingBackDrawsOf: { layer.allSeedGenerators.map(\.generator) }) {
            try GradientTape.withoutRecording {
                try (0..<2).map { k in try body(all.map { probes[$0][k] }, false) }
            }
        }
        layer.clearAllLosses()   // the probes are not steps
        guard let count = p.first?.count, count > 0, p.allSatisfy({ $0.count == count }) else {
            throw KerasError.invalidState("op graph: \(label) gave no output")
        }
        let run = { (xs: [Tensor], stepTraining: Bool) in try body(xs, training ?? stepTraining) }
        let op = count == 1 ? OpGraphOp(name: layer.name) { xs, t in try run(xs, t)[0] } : OpGraphOp(name: layer.name, outputs: run)
        let first = append(.op(op, all), [p[0][0], p[1][0]])
        return [first] + (1..<count).map { j in append(.op(OpGraphOp(part: j, of: layer.name), [first]), [p[0][j], p[1][j]]) }
    }

    /// The trace-time shapes of the outputs of the first call of the sublayer named `name` (nil
    /// where the trace calls none): Keras's summary of a model whose whole call is one traced
    /// layer shows its layers' shapes so (``Model/subclassSummaryRows(_:batchSize:unknownShapes:graphShapes:)``).
    /// nil entries follow an unknown input dimension (the batch).
    public func callOutputShapes(of name: String) -> [[Int?]]? {
        func call(_ i: Int) -> (name: String, inputs: [Int])? {
            if case .op(let op, let inputs) = sources[i] { return (op.name, inputs) }
            return nil
        }
        guard let first = sources.indices.first(where: { call($0)?.name == name }) else { return nil }
        let parts = sources.indices.filter { i in call(i).map { $0.inputs == [first] && $0.name.hasPrefix(name + "[") } ?? false }
        return ([first] + parts).filter(shapes.indices.contains).map { shapes[$0].map { $0 < 0 ? nil : $0 } }
    }

    /// The shape of node `id` with the axes its two probes differ on unknown.
    private func symbolicShape(_ id: Int) -> [Int?] {
        zip(probes[id][0].shape, probes[id][1].shape).map { a, b in a == b ? Optional(a) : nil }
    }

    /// The shapes of the two probes of each tensor a traced call gives a layer it calls: the
    /// called layer's own trace probes its inputs at these sizes rather than 2 and 3, so that
    /// a reshape grouping its unknown axis by a size of the calling trace splits (keras.io's
    /// Swin Transformer: the windows' axis is the batch times the windows of an image, and the
    /// window attention's `reshape(attn, (-1, windows, ...))` takes it apart again).
    public struct CallProbes {
        /// Per input, its two probe shapes.
        let inputs: [[[Int]]]
        /// Per input, the two probe shapes of the `mask=` given with it (nil: none given).
        let masks: [[[Int]]?]

        func input(_ k: Int) -> [[Int]]? { inputs.indices.contains(k) ? inputs[k] : nil }
        func mask(_ k: Int) -> [[Int]]? { masks.indices.contains(k) ? masks[k] : nil }
    }

    /// The probes a call of a layer on nodes `ids`, with mask nodes `masks`, gives its trace.
    private func callProbes(_ ids: [Int], masks: [Int?]) -> CallProbes {
        CallProbes(inputs: ids.map { id in probes[id].map(\.shape) },
                   masks: masks.map { $0.map { id in probes[id].map(\.shape) } })
    }

    /// Probe `k` (0 or 1) of a tensor of symbolic shape `shape`: `outer`'s where a calling trace
    /// gave probes of that shape (differing on its unknown axes, as the two probes must),
    /// else its unknown dimensions as 2 (k = 0) or 3.
    func probeShape(_ shape: [Int?], _ outer: [[Int]]?, _ k: Int) -> [Int] {
        if let outer, outer.count == 2, outer.allSatisfy({ $0.count == shape.count }),
           shape.indices.allSatisfy({ i in shape[i].map { d in outer[0][i] == d && outer[1][i] == d } ?? (outer[0][i] != outer[1][i]) }) {
            return outer[k]
        }
        return shape.map { $0 ?? k + 2 }
    }

    /// The weight named `name` of `layer` (from ``sublayer(attribute:order:index:make:)``) as a
    /// node, the layer built for `inputShape` where no call built it yet (Keras: `self.conv.kernel`
    /// read in the traced call, of a layer built in the calling layer's `build`). The node reads
    /// the weight's value at each run, through the tape, so the weight gets its gradient.
    public func addSublayerWeight(_ layer: Layer, named name: String, inputShape: [Int?]) throws -> Int {
        try tracing("sublayer weight")
        guard sublayers.contains(where: { $0.layer === layer }) else {
            throw KerasError.invalidArgument("op graph: layer '\(layer.name)' is not a sublayer of the traced layer")
        }
        try layer.buildIfNeeded(inputShape)
        guard let variable = layer.weights.first(where: { $0.name == name }) else {
            let names = layer.weights.map(\.name).joined(separator: ", ")
            throw KerasError.invalidArgument("\(layer.className) '\(layer.name)' has no weight '\(name)' (its weights: \(names.isEmpty ? "none" : names))")
        }
        let value = variable.numpy
        return append(.op(OpGraphOp(name: "\(layer.name)/\(name)") { _, _ in variable.value }, []), [value, value])
    }

    /// Makes the built-in layer the traced layer subclasses (Keras: `class MyDense(keras.layers.Dense)`
    /// and its `super().build(input_shape)`) and builds it for the traced input shapes: its weights
    /// become the traced layer's own, after those it already made, saved as its own `vars` (Keras
    /// creates them on the subclass itself). Returns its weights.
    public func makeBase(_ make: () throws -> Layer) throws -> [Variable] {
        try tracing("base layer")
        guard base == nil else { throw KerasError.invalidArgument("op graph: the built-in layer a layer subclasses is built once (super().build)") }
        let layer = try make()
        try NameScope.runAs(layer) { try layer.ensureBuilt(inputShapes) }
        base = layer
        adoptBase?(layer)
        return layer.variables
    }

    /// A call of the base layer (``makeBase(_:)``) on nodes `inputs` (Keras: `super().call(x)`).
    /// `withMasks`: it gets the masks of the traced layer's inputs at each step (Keras passes
    /// them to a `call` it does not override, or one taking `mask`), which its
    /// ``Layer/computeMask(_:masks:)`` also gives the layer's output (``CallbackLayer``).
    public func addBaseCall(_ inputs: [Int], training: Bool?, withMasks: Bool = false) throws -> Int {
        try tracing("base layer call")
        guard let base else { throw KerasError.invalidState("op graph: super().call before super().build: the built-in layer a layer subclasses is made by its build") }
        guard !inputs.isEmpty else { throw KerasError.invalidArgument("op graph: layer '\(base.name)' was called on no inputs") }
        let ids = try inputs.map { try node($0, "call of layer '\(base.name)'") }
        let op = OpGraphOp(name: base.name) { xs, stepTraining in
            let t = training ?? stepTraining
            guard withMasks, let masks = OpGraph.inputMasks, masks.count == xs.count else { return try base.callEager(xs, training: t) }
            return try base.singleOutput(base.callWithMasks(xs, masks: masks, training: t).outputs)
        }
        let p = try SeedGenerator.keepingStates(of: base.allSeedGenerators.map(\.generator)) {
            try GradientTape.withoutRecording {   // (in inference mode: see addLayerCall)
                try (0..<2).map { k in try op.apply(ids.map { probes[$0][k] }, training: false) }
            }
        }
        base.clearAllLosses()   // the probes are not steps
        return append(.op(op, ids), p)
    }

    /// The sublayers grouped by attribute in tracking order (``Layer/hostedSublayers``).
    public var sublayerAttributes: [(name: String, layers: [Layer], isList: Bool)] {
        var out: [(name: String, layers: [Layer], isList: Bool)] = []
        for s in sublayers.sorted(by: { ($0.order, $0.index ?? -1) < ($1.order, $1.index ?? -1) }) {
            if let i = out.firstIndex(where: { $0.name == s.attribute }) {
                out[i].layers.append(s.layer)
            } else {
                out.append((s.attribute, [s.layer], s.index != nil))
            }
        }
        return out
    }
}
