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
        try tracing("layer call")
        guard sublayers.contains(where: { $0.layer === layer }) else {
            throw KerasError.invalidArgument("op graph: layer '\(layer.name)' is not a sublayer of the traced layer")
        }
        return try appendCall(layer, inputs, training: training)
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
        guard withMasks else { return try appendCall(base, inputs, training: training) }
        return try appendCall(base, inputs, training: training) { xs, t in
            guard let masks = OpGraph.inputMasks, masks.count == xs.count else { return try base.callEager(xs, training: t) }
            return try base.singleOutput(base.callWithMasks(xs, masks: masks, training: t).outputs)
        }
    }

    private func appendCall(_ layer: Layer, _ inputs: [Int], training: Bool?,
                            run: (([Tensor], Bool) throws -> Tensor)? = nil) throws -> Int {
        guard !inputs.isEmpty else { throw KerasError.invalidArgument("op graph: layer '\(layer.name)' was called on no inputs") }
        let ids = try inputs.map { try node($0, "call of layer '\(layer.name)'") }
        let op = OpGraphOp(name: layer.name) { xs, stepTraining in
            let t = training ?? stepTraining
            return try run?(xs, t) ?? layer.callEager(xs, training: t)
        }
        let p = try GradientTape.withoutRecording {
            try (0..<2).map { k in try op.apply(ids.map { probes[$0][k] }, training: training ?? false) }
        }
        layer.clearAllLosses()   // the probes are not steps
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
