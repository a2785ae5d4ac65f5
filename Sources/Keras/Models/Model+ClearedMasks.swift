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
/// masks, which MultiHeadAttention's call does not clear; recorded when the graph is built, so
/// for a layer whose call takes one, ``Layer/callTakesMask``, also where a graph built here
/// recorded none and Keras's would record it, ``GraphNode/recordsBuiltMask``: the mask its input
/// had when the graph was built, ``BuiltMasks``), an attention's `value_mask=`. GroupQueryAttention,
/// Attention and AdditiveAttention clear nothing.
///
/// Keras keeps a mask on the tensor object: a call that returns its input itself
/// (``Layer/returnsItsInput(_:training:)``: Dropout at inference, Identity, ...) gives the same
/// object, so clearing the mask of either clears both. A nested model's call sets the masks it
/// is given (its node's recorded `mask`) on its inputs, then clears those its own graph clears
/// on them; an output of it that is one of its inputs is that object.
struct ClearedMasks {
    private struct Key: Hashable {
        let node: ObjectIdentifier
        let index: Int
    }
    /// Per node: the positions of its inputs whose masks are cleared before Keras runs it.
    private var before: [ObjectIdentifier: Set<Int>] = [:]
    /// The objects (``object(_:)``) whose masks are cleared at the end of a run.
    private var atEnd = Set<Key>()
    /// A tensor that is an earlier tensor's object: that tensor.
    private var sameObject: [Key: Key] = [:]

    /// The masks cleared in a run with `training` (nil: Keras's `training=None`, each call's
    /// recorded flag, else inference).
    init(_ order: [GraphNode], training: Bool?) {
        var cleared = Set<Key>()
        for node in KerasGraphDepths(order).runOrder(order) where !(node.layer is InputLayer) {
            let ins = node.inputs.map { object($0) }
            // (a call recording its input's mask gets the one it had when the graph was built)
            if !node.recordsBuiltMask {
                let gone = Set(ins.indices.filter { ins[$0].map(cleared.contains) ?? false })
                if !gone.isEmpty { before[ObjectIdentifier(node)] = gone }
            }
            let runsWith = training ?? node.training
            if (node.layer as? MultiHeadAttention)?.clearsInputMasks == true {
                cleared.formUnion(ins.compactMap { $0 })
            } else if let model = node.layer as? Model {
                for (i, m) in (node.masks ?? []).enumerated() where m != nil && i < ins.count {
                    if let k = ins[i] { cleared.remove(k) }
                }
                let inner = model.clearedMasks(training: runsWith)
                for (i, input) in model.inputs.enumerated() where i < ins.count && inner.clearedAfterRun(input) {
                    if let k = ins[i] { cleared.insert(k) }
                }
                for (j, out) in model.outputs.enumerated() {
                    guard let i = model.inputs.firstIndex(where: { inner.object($0) == inner.object(out) }),
                          i < ins.count, let k = ins[i] else { continue }
                    sameObject[Key(node: ObjectIdentifier(node), index: j)] = k
                }
            } else if ins.count == 1, let k = ins[0], node.layer.returnsItsInput(node.inputs[0].shape, training: runsWith ?? false) {
                sameObject[Key(node: ObjectIdentifier(node), index: 0)] = k
            }
        }
        atEnd = cleared
    }

    /// The tensor whose object `t` is (itself unless an earlier call returned it unchanged).
    private func object(_ t: KerasTensor) -> Key? {
        t.node.map { node in
            let k = Key(node: ObjectIdentifier(node), index: t.tensorIndex)
            return sameObject[k] ?? k
        }
    }

    /// Whether a call runs after masks of its inputs were cleared: the masks some tensors carry
    /// at run time then differ from those they had when the graph was built.
    var clearsAny: Bool { !before.isEmpty }

    /// Whether the mask of input `i` of `node` is cleared when it runs.
    func cleared(_ node: GraphNode, input i: Int) -> Bool {
        before[ObjectIdentifier(node)]?.contains(i) ?? false
    }

    /// Whether the mask of `t`, an input of `node`, is cleared when it runs.
    func cleared(_ t: KerasTensor, at node: GraphNode) -> Bool {
        guard let gone = before[ObjectIdentifier(node)], let k = object(t) else { return false }
        return gone.contains { $0 < node.inputs.count && object(node.inputs[$0]) == k }
    }

    /// Whether the mask of `t` (a model output) is cleared by the end of a run.
    func clearedAfterRun(_ t: KerasTensor) -> Bool {
        guard !atEnd.isEmpty, let k = object(t) else { return false }
        return atEnd.contains(k)
    }
}

/// The masks the tensors of a graph had when Keras built it (none cleared), where they differ
/// from those they carry in a run because a MultiHeadAttention call cleared one before: what a
/// call recording its input's mask gets (``GraphNode/recordsBuiltMask``). `T` is a mask: a
/// tensor when the graph runs, an ONNX value when it is exported.
struct BuiltMasks<T> {
    let cleared: ClearedMasks
    private var found: [ObjectIdentifier: [T?]] = [:]

    init(_ cleared: ClearedMasks) { self.cleared = cleared }

    /// The mask `t` had when the graph was built; `carried`: the one it carries in the run.
    func mask(_ t: KerasTensor, carried: (KerasTensor) -> T?) -> T? {
        guard let node = t.node, let masks = found[ObjectIdentifier(node)] else { return carried(t) }
        return t.tensorIndex < masks.count ? masks[t.tensorIndex] : nil
    }

    /// The masks the inputs of `node` had when the graph was built, where one of them differs
    /// from the one it was `given` in the run (an attention's recorded masks are the same then
    /// and now); nil where none does, and past a nested model or a layer computing its masks
    /// in its call (whose outputs keep those of the run).
    func inputs(of node: GraphNode, given: [T?]?, carried: (KerasTensor) -> T?) -> [T?]? {
        guard cleared.clearsAny, node.masks == nil, !node.recordsBuiltMask,
              !(node.layer is CallbackLayer), !node.layer.computesMasksInCall else { return nil }
        let differs = node.inputs.indices.map { i in
            node.recordedAttentionMask(i) == nil && (cleared.cleared(node, input: i)
                || node.inputs[i].node.map { found[ObjectIdentifier($0)] != nil } == true)
        }
        guard differs.contains(true) else { return nil }
        return node.inputs.indices.map { i in
            differs[i] ? mask(node.inputs[i], carried: carried) : given.flatMap { i < $0.count ? $0[i] : nil }
        }
    }

    /// Keeps the masks the outputs of `node` had when the graph was built.
    mutating func set(_ node: GraphNode, _ masks: [T?]) { found[ObjectIdentifier(node)] = masks }
}

/// The masks a graph's MultiHeadAttention calls clear, kept for each way of running it
/// (`training` true, false or nil).
struct ClearedMasksFound {
    private var found: [ClearedMasks?] = [nil, nil, nil]

    subscript(_ training: Bool?) -> ClearedMasks? {
        get { found[Self.slot(training)] }
        set { found[Self.slot(training)] = newValue }
    }

    private static func slot(_ training: Bool?) -> Int { training.map { $0 ? 1 : 0 } ?? 2 }
}

extension Model {
    /// The masks this graph's MultiHeadAttention calls clear at inference.
    var clearedMasks: ClearedMasks { clearedMasks(training: false) }

    /// The masks this graph's MultiHeadAttention calls clear in a run with `training` (nil: each
    /// call's recorded flag), found on first use for the current graph.
    func clearedMasks(training: Bool?) -> ClearedMasks {
        if let found = clearedMasksFound[training] { return found }
        let found = ClearedMasks(executionOrder, training: training)
        clearedMasksFound[training] = found
        return found
    }
}
