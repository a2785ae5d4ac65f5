extension Model {
    /// The layers in the order Keras lists them (`model.layers`), which fixes the order of
    /// configs, legacy `.h5` weight groups and `.weights.h5` paths.
    ///
    /// Sequential: the stack. Functional: Keras's `map_graph` order — layers grouped by depth
    /// from the inputs, and within one depth by first visit in a depth-first walk from the outputs.
    var kerasLayers: [Layer] {
        if self is Sequential { return layers }
        var opIndex: [ObjectIdentifier: Int] = [:]
        var finished = Set<ObjectIdentifier>()
        var post: [GraphNode] = []
        let inputNodes = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
        func visit(_ node: GraphNode, depth: Int) {
            let id = ObjectIdentifier(node)
            guard !finished.contains(id), depth < 100_000 else { return }
            let lid = ObjectIdentifier(node.layer)
            if opIndex[lid] == nil { opIndex[lid] = opIndex.count }
            if !inputNodes.contains(id) {
                for t in node.dependencies { if let n = t.node { visit(n, depth: depth + 1) } }
            }
            finished.insert(id)
            post.append(node)
        }
        for o in outputs { if let n = o.node { visit(n, depth: 0) } }
        var nodeDepth: [ObjectIdentifier: Int] = [:]
        var layerDepth: [ObjectIdentifier: Int] = [:]
        var layerByID: [ObjectIdentifier: Layer] = [:]
        for node in post.reversed() {
            let id = ObjectIdentifier(node), lid = ObjectIdentifier(node.layer)
            layerByID[lid] = node.layer
            let depth = Swift.max(nodeDepth[id] ?? 0, layerDepth[lid] ?? 0)
            layerDepth[lid] = depth
            nodeDepth[id] = depth
            guard !inputNodes.contains(id) else { continue }
            for t in node.dependencies {
                if let p = t.node { nodeDepth[ObjectIdentifier(p)] = Swift.max(depth + 1, nodeDepth[ObjectIdentifier(p)] ?? 0) }
            }
        }
        for i in inputs {
            guard let l = i.layer else { continue }
            let lid = ObjectIdentifier(l)
            if layerDepth[lid] == nil { layerDepth[lid] = 0; opIndex[lid] = -1; layerByID[lid] = l }
        }
        return layerByID.keys.sorted { a, b in
            let da = layerDepth[a] ?? 0, db = layerDepth[b] ?? 0
            return da != db ? da > db : (opIndex[a] ?? 0) < (opIndex[b] ?? 0)
        }.compactMap { layerByID[$0] }
    }

    /// Weights in Keras's order (`model.weights`): layer by layer in ``kerasLayers`` order.
    var kerasWeights: [Variable] { kerasLayers.flatMap { ($0 as? Model)?.kerasWeights ?? $0.weights } }

    /// Trainable weights in Keras's order: what optimizer slots follow.
    var kerasTrainableWeights: [Variable] { trainable ? kerasWeights.filter(\.trainable) : [] }

    /// ``kerasTrainableWeights`` as a model rebuilt from a file has them (``weightsInBuildOrder(_:)``):
    /// the order in which files list the optimizer's variables, so that they load back.
    var kerasTrainableWeightsInBuildOrder: [Variable] { trainable ? kerasWeightsInBuildOrder.filter(\.trainable) : [] }

    private var kerasWeightsInBuildOrder: [Variable] {
        kerasLayers.flatMap { ($0 as? Model)?.kerasWeightsInBuildOrder ?? weightsInBuildOrder($0) }
    }
}

/// A layer's weights in the order its `build` makes them, which is the order of the layer
/// rebuilt from a file: a float8 layer's scales and amax histories first (Keras's
/// `quantized_build` runs before the kernel is made), also when it was quantized after it was
/// built (its `weights`, in Keras as here, then list them last). Files that list weights or
/// optimizer variables by position (legacy `.h5` layer groups, `optimizer/vars`) follow this
/// order: Keras 3.15 writes the other one for a float8 model quantized after building, and then
/// cannot load its own file (gradient accumulators, legacy `.h5` weights: shape mismatches).
func weightsInBuildOrder(_ l: Layer) -> [Variable] {
    guard let q = l as? QuantizableLayer, case .float8? = q.quantizationMode else { return l.weights }
    return l.weights.filter(\.overwriteWithGradient) + l.weights.filter { !$0.overwriteWithGradient }
}

/// A layer's own variables as Keras saves them in its `vars` group: those created trainable,
/// then the others (Keras: `_trainable_variables + _non_trainable_variables`); none for a model.
func ownVariablesInKerasOrder(_ l: Layer) -> [Variable] {
    if l is Model { return [] }
    if let q = l as? QuantizableLayer, q.quantizationMode != nil { return q.variablesInSaveOrder }
    return l.variables.filter(\.createdTrainable) + l.variables.filter { !$0.createdTrainable }
}
