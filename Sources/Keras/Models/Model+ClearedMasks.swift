/// Keras's `map_graph` walk of a functional graph: each node's and each layer's depth (the
/// longest path from it to an output; a shared layer at its deepest node's), found in Keras's
/// loop over the nodes from the outputs back (`order`, inputs first, reversed), and the order
/// that loop first meets each node (Keras's `nodes_depths` dict, whose order is the order the
/// nodes of one depth run in) and each layer.
struct KerasGraphDepths {
    var nodeDepth: [ObjectIdentifier: Int] = [:], layerDepth: [ObjectIdentifier: Int] = [:]
    var nodeMet: [ObjectIdentifier: Int] = [:]
    var layers: [Layer] = [], layerMet: [ObjectIdentifier: Int] = [:]

    init(_ order: [GraphNode]) {
        let inGraph = Set(order.map { ObjectIdentifier($0) })
        for node in order.reversed() {
            let id = ObjectIdentifier(node), lid = ObjectIdentifier(node.layer)
            meet(id)
            let depth = Swift.max(nodeDepth[id] ?? 0, layerDepth[lid] ?? 0)
            nodeDepth[id] = depth
            layerDepth[lid] = depth
            if layerMet[lid] == nil { layerMet[lid] = layers.count; layers.append(node.layer) }
            for t in node.dependencies {
                guard let parent = t.node, inGraph.contains(ObjectIdentifier(parent)) else { continue }
                let pid = ObjectIdentifier(parent)
                meet(pid)
                nodeDepth[pid] = Swift.max(depth + 1, nodeDepth[pid] ?? 0)
            }
        }
    }

    private mutating func meet(_ id: ObjectIdentifier) {
        if nodeMet[id] == nil { nodeMet[id] = nodeMet.count }
    }

    /// The nodes of `order` in the order Keras's functional call runs them
    /// (`Function._run_through_graph`): deepest first, at equal depth in the order met.
    func runOrder(_ order: [GraphNode]) -> [GraphNode] {
        func key(_ n: GraphNode) -> (Int, Int) {
            let id = ObjectIdentifier(n)
            return (-(nodeDepth[id] ?? 0), nodeMet[id] ?? 0)
        }
        return order.sorted { key($0) < key($1) }
    }
}

/// The Keras masks that MultiHeadAttention calls clear in a functional graph. Keras's
/// `MultiHeadAttention.call` takes the masks its query, value and key tensors carry and sets
/// them to None on those tensors, so a layer that Keras runs after it (in Keras's run order,
/// ``KerasGraphDepths/runOrder(_:)``) on one of the same tensors sees no mask there (a merge's
/// output mask and masked values, the mask a Dense passes on, a later attention's masks), and a
/// model output read by one carries none. Masks given to a call are arguments, not cleared:
/// `layer(x, mask=m)`, what Keras's config records for a call taking `mask` (its symbolic
/// masks, which MultiHeadAttention's call does not clear), an attention's `value_mask=`.
/// GroupQueryAttention, Attention and AdditiveAttention clear nothing.
struct ClearedMasks {
    private struct Key: Hashable {
        let node: ObjectIdentifier
        let index: Int
    }
    /// Per node: the positions of its inputs whose masks are cleared before Keras runs it.
    private var before: [ObjectIdentifier: Set<Int>] = [:]
    /// Every tensor cleared by the end of a run.
    private var all = Set<Key>()

    init(_ order: [GraphNode]) {
        func clears(_ node: GraphNode) -> Bool { (node.layer as? MultiHeadAttention)?.clearsInputMasks == true }
        guard order.contains(where: clears) else { return }
        for node in KerasGraphDepths(order).runOrder(order) where !(node.layer is InputLayer) {
            let gone = Set(node.inputs.indices.filter { i in Self.key(node.inputs[i]).map { all.contains($0) } ?? false })
            if !gone.isEmpty { before[ObjectIdentifier(node)] = gone }
            if clears(node) { all.formUnion(node.inputs.compactMap(Self.key)) }
        }
    }

    private static func key(_ t: KerasTensor) -> Key? {
        t.node.map { Key(node: ObjectIdentifier($0), index: t.tensorIndex) }
    }

    /// Whether the mask of input `i` of `node` is cleared when it runs.
    func cleared(_ node: GraphNode, input i: Int) -> Bool {
        before[ObjectIdentifier(node)]?.contains(i) ?? false
    }

    /// Whether the mask of `t`, an input of `node`, is cleared when it runs.
    func cleared(_ t: KerasTensor, at node: GraphNode) -> Bool {
        guard let gone = before[ObjectIdentifier(node)], let k = Self.key(t) else { return false }
        return gone.contains { $0 < node.inputs.count && Self.key(node.inputs[$0]) == k }
    }

    /// Whether the mask of `t` (a model output) is cleared by the end of a run.
    func clearedAfterRun(_ t: KerasTensor) -> Bool {
        guard !all.isEmpty, let k = Self.key(t) else { return false }
        return all.contains(k)
    }
}

extension Model {
    /// The masks this graph's MultiHeadAttention calls clear, found on first use for the
    /// current graph.
    var clearedMasks: ClearedMasks {
        if let found = clearedMasksFound { return found }
        let found = ClearedMasks(executionOrder)
        clearedMasksFound = found
        return found
    }
}
